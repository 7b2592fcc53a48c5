import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import * as client from 'openid-client';
import { Strategy, type VerifyFunction } from 'openid-client/passport';
import { Passport } from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, InteropBrowser, createInteropTenant, json, loginForm, portaSessionState, registerClient,
  startRelyingPartyServer, type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

interface SignedInUser {
  claims: client.IDToken;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
}

/**
 * openid-client v6 and its Passport strategy, as its README's quick start: `discovery(issuer, clientId,
 * clientSecret)` (plus `allowInsecureRequests`, which an http issuer needs) and a Strategy with scope and
 * callback URL. With a secret and no explicit method, openid-client authenticates with client_secret_post,
 * so the client is registered with that method; PKCE stays on (the strategy always sends it).
 */
describe('interop: openid-client v6 with passport', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let s: TestServer;
  let t: InteropTenant;
  let rp: RelyingPartyServer;
  let registered: RegisteredClient;
  let config: client.Configuration;
  let browser: InteropBrowser;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createInteropTenant(s, 'oidcc');
    rp = await startRelyingPartyServer();
    registered = await registerClient(s, t, {
      clientName: 'openid-client app',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/callback`],
      postLogoutRedirectUris: [`${rp.origin}/logged-out`],
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_post',
    });

    config = await client.discovery(new URL(t.issuer), registered.clientId, registered.secret, undefined, { execute: [client.allowInsecureRequests] });
    const verify: VerifyFunction = (tokens, done) => {
      done(null, { claims: tokens.claims()!, idToken: tokens.id_token!, accessToken: tokens.access_token, refreshToken: tokens.refresh_token } satisfies SignedInUser);
    };
    const strategy = new Strategy({ config, scope: 'openid profile email', callbackURL: `${rp.origin}/callback` }, verify);
    const passport = new Passport();
    passport.use(strategy);
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: SignedInUser, done) => done(null, user));

    const app = express();
    app.use(session({ secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false }));
    app.use(passport.authenticate('session'));
    app.get('/login', passport.authenticate(strategy.name));
    app.get('/callback', passport.authenticate(strategy.name, { successRedirect: '/me', failureRedirect: '/failed', failureMessage: true }));
    app.get('/failed', (req, res) => {
      res.status(401).json({ failed: (req.session as { messages?: string[] }).messages ?? [] });
    });
    app.get('/me', async (req, res) => {
      const user = req.user as SignedInUser | undefined;
      if (!user) return void res.status(401).json({ signedIn: false });
      const info = await client.fetchUserInfo(config, user.accessToken, user.claims.sub);
      res.json({ sub: user.claims.sub, name: user.claims.name, email: user.claims.email, userinfoEmail: info.email });
    });
    app.get('/refresh', async (req, res) => {
      const user = req.user as SignedInUser | undefined;
      if (!user?.refreshToken) return void res.status(401).json({ refreshToken: false });
      const tokens = await client.refreshTokenGrant(config, user.refreshToken);
      const refreshed: SignedInUser = { claims: tokens.claims() ?? user.claims, idToken: tokens.id_token ?? user.idToken, accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
      req.login(refreshed, () => res.json({ rotated: refreshed.refreshToken !== user.refreshToken, newAccessToken: refreshed.accessToken !== user.accessToken, sub: refreshed.claims.sub }));
    });
    app.get('/logout', (req, res, next) => {
      const user = req.user as SignedInUser | undefined;
      req.logout((err) => {
        if (err) return next(err);
        res.redirect(client.buildEndSessionUrl(config, { post_logout_redirect_uri: `${rp.origin}/logged-out`, ...(user ? { id_token_hint: user.idToken } : {}) }).href);
      });
    });
    app.get('/logged-out', (_req, res) => {
      res.json({ loggedOut: true });
    });
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ rpError: err.message, cause: String((err as { cause?: unknown }).cause ?? '') });
    });
    rp.serve(app);
    browser = new InteropBrowser(s.url);
  }, INTEROP_TIMEOUT_MS);
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  }, INTEROP_TIMEOUT_MS);

  it('signs in (code + PKCE) and the app shows who is logged in, from the ID token and userinfo', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email, userinfoEmail: t.email });
    expect(await portaSessionState(browser, t.issuer, registered.clientId, `${rp.origin}/callback`)).toBe('live');
  });

  it('refreshes with the rotating refresh token', async () => {
    const first = await browser.go(`${rp.origin}/refresh`);
    expect(first.page.status, first.page.body).toBe(200);
    expect(json(first.page)).toEqual({ rotated: true, newAccessToken: true, sub: t.userId });
    const second = await browser.go(`${rp.origin}/refresh`);
    expect(json(second.page)).toEqual({ rotated: true, newAccessToken: true, sub: t.userId });
    const me = await browser.go(`${rp.origin}/me`);
    expect(json(me.page)).toMatchObject({ sub: t.userId, userinfoEmail: t.email });
  });

  it('logs out of the app and of Porta (buildEndSessionUrl with the ID token as hint)', async () => {
    const { page, visited } = await browser.go(`${rp.origin}/logout`);
    expect(visited.some((u) => u.startsWith(`${t.issuer}/auth/session/end`))).toBe(true);
    expect(page.url).toBe(`${rp.origin}/logged-out`);
    expect(json(page)).toEqual({ loggedOut: true });
    expect(await portaSessionState(browser, t.issuer, registered.clientId, `${rp.origin}/callback`)).toBe('ended');
    expect((await browser.http.request(`${rp.origin}/me`)).status).toBe(401);
    const again = await browser.go(`${rp.origin}/login`);
    expect(loginForm(again.page), `${again.page.status} ${again.page.url}`).toBeDefined();
  });

  it('signs in again afterwards', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toMatchObject({ sub: t.userId, name: t.name, email: t.email });
  });
});
