import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { auth, type ConfigParams } from 'express-openid-connect';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, InteropBrowser, createInteropTenant, json, loginForm, parseForms, portaSessionState, registerClient,
  startRelyingPartyServer, type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

let s: TestServer;
let t: InteropTenant;

beforeAll(async () => {
  s = await startTestServer({ backends: 'embedded' });
  t = await createInteropTenant(s, 'eoc');
}, INTEROP_TIMEOUT_MS);
afterAll(() => s?.stop(), INTEROP_TIMEOUT_MS);

/** An Express app protected by express-openid-connect (every route needs a login), with `/me` and `/refresh`. */
function expressApp(config: ConfigParams): express.Express {
  const app = express();
  app.use(auth(config));
  app.get('/me', (req, res) => {
    res.json({ sub: req.oidc.user?.sub, name: req.oidc.user?.name, email: req.oidc.user?.email });
  });
  app.get('/refresh', async (req, res) => {
    const before = req.oidc.accessToken!.access_token;
    const refreshed = await req.oidc.accessToken!.refresh();
    const info = await req.oidc.fetchUserInfo();
    res.json({ before, after: refreshed.access_token, email: info.email });
  });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ rpError: err.message, cause: String((err as { cause?: unknown }).cause ?? '') });
  });
  return app;
}

/**
 * express-openid-connect (Auth0's Express middleware) with its README configuration. Porta issues codes only,
 * so the library needs what its docs ask for the code flow: a client secret and `response_type: 'code'`.
 * The client is a confidential web client with Porta's defaults (client_secret_basic, PKCE, RS256).
 */
describe('interop: express-openid-connect', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let rp: RelyingPartyServer;
  let client: RegisteredClient;
  let browser: InteropBrowser;

  beforeAll(async () => {
    rp = await startRelyingPartyServer();
    client = await registerClient(s, t, {
      clientName: 'Express app',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/callback`],
      postLogoutRedirectUris: [rp.origin],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    rp.serve(
      expressApp({
        issuerBaseURL: t.issuer,
        baseURL: rp.origin,
        clientID: client.clientId,
        clientSecret: client.secret,
        secret: randomBytes(32).toString('hex'),
        idpLogout: true,
        authorizationParams: { response_type: 'code' },
      }),
    );
    browser = new InteropBrowser(s.url);
  }, INTEROP_TIMEOUT_MS);
  afterAll(() => rp?.close(), INTEROP_TIMEOUT_MS);

  it('signs in through Porta and the app shows who is logged in (ID token claims)', async () => {
    const { page } = await browser.signIn(`${rp.origin}/me`, { email: t.email, password: PASSWORD });
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email });
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/callback`)).toBe('live');
  });

  it('refreshes the access token with the refresh token Porta issued', async () => {
    const { page } = await browser.go(`${rp.origin}/refresh`);
    expect(page.status, page.body).toBe(200);
    const body = json<{ before: string; after: string; email: string }>(page);
    expect(body.after).toBeTruthy();
    expect(body.after).not.toBe(body.before);
    expect(body.email).toBe(t.email);
  });

  it('logs out at Porta as well (idpLogout: RP-initiated logout with an id_token_hint)', async () => {
    const { page, visited } = await browser.go(`${rp.origin}/logout`);
    expect(visited.some((u) => u.startsWith(`${t.issuer}/auth/session/end`))).toBe(true);
    // Back at the app, which sends the anonymous visitor to log in: Porta asks for the password again.
    expect(visited).toContain(`${rp.origin}/`);
    expect(loginForm(page), `${page.status} ${page.url}`).toBeDefined();
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/callback`)).toBe('ended');
    const me = await browser.http.request(`${rp.origin}/me`);
    expect(me.status).toBe(302);
    expect(me.location?.startsWith(`${t.issuer}/auth/authorize?`)).toBe(true);
  });

  it('signs in again afterwards', async () => {
    const { page } = await browser.signIn(`${rp.origin}/me`, { email: t.email, password: PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toMatchObject({ sub: t.userId, name: t.name, email: t.email });
  });
});

/**
 * OIDC Back-Channel Logout with the library's `backchannelLogout` option (it needs a store for the logout
 * tokens it receives; express-session's MemoryStore will do). The user signs out on Porta's own logout page,
 * not in the app: Porta POSTs a logout token to the app, and the app's next request finds the user logged out.
 */
describe('interop: express-openid-connect back-channel logout', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let rp: RelyingPartyServer;
  let client: RegisteredClient;
  let browser: InteropBrowser;
  const logoutTokenAnswers: number[] = [];

  beforeAll(async () => {
    rp = await startRelyingPartyServer();
    client = await registerClient(s, t, {
      clientName: 'Express app with back-channel logout',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/callback`],
      postLogoutRedirectUris: [rp.origin],
      grantTypes: ['authorization_code', 'refresh_token'],
      backchannelLogoutUri: `${rp.origin}/backchannel-logout`,
    });
    const app = expressApp({
      issuerBaseURL: t.issuer,
      baseURL: rp.origin,
      clientID: client.clientId,
      clientSecret: client.secret,
      secret: randomBytes(32).toString('hex'),
      idpLogout: true,
      authorizationParams: { response_type: 'code' },
      backchannelLogout: { store: new session.MemoryStore() as never },
    });
    rp.serve((req, res) => {
      if (req.method === 'POST' && req.url === '/backchannel-logout') res.on('finish', () => logoutTokenAnswers.push(res.statusCode));
      app(req, res);
    });
    browser = new InteropBrowser(s.url);
  }, INTEROP_TIMEOUT_MS);
  afterAll(() => rp?.close(), INTEROP_TIMEOUT_MS);

  it('signs the app out when the user signs out at Porta', async () => {
    const signedIn = await browser.signIn(`${rp.origin}/me`, { email: t.email, password: PASSWORD });
    expect(json(signedIn.page)).toMatchObject({ sub: t.userId, name: t.name });

    const { page } = await browser.go(`${t.issuer}/auth/session/end?client_id=${encodeURIComponent(client.clientId)}`);
    const form = parseForms(page.body).find((f) => f.id === 'op.logoutForm');
    expect(form, page.body.slice(0, 500)).toBeDefined();
    await browser.submit(page, form!, { logout: 'yes' });
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/callback`)).toBe('ended');

    await vi.waitFor(() => expect(logoutTokenAnswers).toEqual([204]), { timeout: 15_000, interval: 100 });
    const me = await browser.http.request(`${rp.origin}/me`);
    expect(me.status).toBe(302);
    expect(me.location?.startsWith(`${t.issuer}/auth/authorize?`)).toBe(true);
  });

  it('signs in again afterwards', async () => {
    const { page } = await browser.signIn(`${rp.origin}/me`, { email: t.email, password: PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toMatchObject({ sub: t.userId, name: t.name, email: t.email });
  });
});
