import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport, type Profile } from 'passport';
import OpenIDConnectStrategy from 'passport-openidconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, InteropBrowser, createInteropTenant, json, loginForm, portaSessionState, registerClient,
  startRelyingPartyServer, type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

interface SignedInUser {
  profile: Profile;
  idToken: string;
}

/**
 * passport-openidconnect with express-session, configured as its README shows: explicit endpoints, client id
 * and secret, callback URL (plus `scope` for a name and e-mail). The library sends no PKCE and puts the secret
 * in the request body, so the client is confidential with `requirePkce: false` and `client_secret_post`.
 * The profile comes from the ID token (the library skips userinfo with this verify signature).
 * The library has no logout of its own: the app ends its session and sends the browser to Porta's
 * end-session endpoint with the ID token as hint, as its docs suggest.
 */
describe('interop: passport-openidconnect', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let s: TestServer;
  let t: InteropTenant;
  let rp: RelyingPartyServer;
  let client: RegisteredClient;
  let browser: InteropBrowser;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createInteropTenant(s, 'poidc');
    rp = await startRelyingPartyServer();
    client = await registerClient(s, t, {
      clientName: 'Passport app',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/callback`],
      postLogoutRedirectUris: [`${rp.origin}/logged-out`],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_post',
      requirePkce: false,
    });

    const passport = new Passport();
    passport.use(
      new OpenIDConnectStrategy(
        {
          issuer: t.issuer,
          authorizationURL: `${t.issuer}/auth/authorize`,
          tokenURL: `${t.issuer}/auth/token`,
          userInfoURL: `${t.issuer}/auth/userinfo`,
          clientID: client.clientId,
          clientSecret: client.secret!,
          callbackURL: `${rp.origin}/callback`,
          scope: ['profile', 'email'],
        },
        (_issuer: string, profile: Profile, _context: object, idToken: string | object, done: (err: Error | null, user?: SignedInUser) => void) => {
          done(null, { profile, idToken: String(idToken) });
        },
      ),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: SignedInUser, done) => done(null, user));

    const app = express();
    app.use(session({ secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false }));
    app.use(passport.authenticate('session'));
    app.get('/login', passport.authenticate('openidconnect'));
    app.get('/callback', passport.authenticate('openidconnect', { successRedirect: '/me', failureRedirect: '/failed', failureMessage: true }));
    app.get('/failed', (req, res) => {
      res.status(401).json({ failed: (req.session as { messages?: string[] }).messages ?? [] });
    });
    app.get('/me', (req, res) => {
      const user = req.user as SignedInUser | undefined;
      if (!user) return void res.status(401).json({ signedIn: false });
      res.json({ sub: user.profile.id, name: user.profile.displayName, email: user.profile.emails?.[0]?.value });
    });
    app.get('/logout', (req, res, next) => {
      const idToken = (req.user as SignedInUser | undefined)?.idToken;
      req.logout((err) => {
        if (err) return next(err);
        const end = new URL(`${t.issuer}/auth/session/end`);
        end.search = new URLSearchParams({ ...(idToken ? { id_token_hint: idToken } : { client_id: client.clientId }), post_logout_redirect_uri: `${rp.origin}/logged-out` }).toString();
        res.redirect(end.toString());
      });
    });
    app.get('/logged-out', (_req, res) => {
      res.json({ loggedOut: true });
    });
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ rpError: err.message, cause: String((err as { oauthError?: { data?: unknown } }).oauthError?.data ?? '') });
    });
    rp.serve(app);
    browser = new InteropBrowser(s.url);
  }, INTEROP_TIMEOUT_MS);
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  }, INTEROP_TIMEOUT_MS);

  it('signs in through Porta without PKCE and the app shows who is logged in', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email });
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/callback`)).toBe('live');
  });

  it('logs out of the app and of Porta (end-session with the ID token as hint)', async () => {
    const { page, visited } = await browser.go(`${rp.origin}/logout`);
    expect(visited.some((u) => u.startsWith(`${t.issuer}/auth/session/end`))).toBe(true);
    expect(page.url).toBe(`${rp.origin}/logged-out`);
    expect(json(page)).toEqual({ loggedOut: true });
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/callback`)).toBe('ended');
    expect((await browser.http.request(`${rp.origin}/me`)).status).toBe(401);
    const again = await browser.go(`${rp.origin}/login`);
    expect(loginForm(again.page), `${again.page.status} ${again.page.url}`).toBeDefined();
  });

  it('signs in again afterwards', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email });
  });
});
