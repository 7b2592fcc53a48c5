import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, InteropBrowser, createInteropTenant, json, parseForms, portaSessionState, registerClient,
  startRelyingPartyServer, type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

/** What this file uses of @auth/express, whose own types it does not load (see `loadAuthExpress`). */
interface AuthExpress {
  ExpressAuth(config: AuthConfig): express.RequestHandler;
  getSession(req: Request, config: AuthConfig): Promise<{ user?: { name?: string | null; email?: string | null } } | null>;
}
interface AuthConfig {
  secret: string;
  providers: Array<{ id: string; name: string; type: 'oidc'; issuer: string; clientId: string; clientSecret?: string }>;
}

/**
 * @auth/express's type declarations reach preact's JSX types, which add the DOM library to the whole
 * project's typecheck (changing `fetch` and `BodyInit` for every Node file), so the module is imported by a
 * specifier TypeScript does not follow.
 */
async function loadAuthExpress(): Promise<AuthExpress> {
  const specifier = '@auth/express';
  return (await import(specifier)) as AuthExpress;
}

/**
 * Auth.js (@auth/express) with a generic OpenID Connect provider as its docs show: id, name, `type: 'oidc'`,
 * issuer, client id and secret, and the app's secret. Auth.js sends PKCE, authenticates with
 * client_secret_basic and builds the user from the ID token alone (no userinfo call), so the profile is only
 * as full as the ID token. The client is a confidential web client with Porta's defaults.
 * Auth.js signs out locally only (it has no RP-initiated logout), so Porta's session outlives it.
 */
describe('interop: Auth.js (@auth/express)', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let s: TestServer;
  let t: InteropTenant;
  let rp: RelyingPartyServer;
  let client: RegisteredClient;
  let browser: InteropBrowser;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createInteropTenant(s, 'authjs');
    rp = await startRelyingPartyServer();
    client = await registerClient(s, t, {
      clientName: 'Auth.js app',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/auth/callback/porta`],
      grantTypes: ['authorization_code', 'refresh_token'],
    });

    const { ExpressAuth, getSession } = await loadAuthExpress();
    const authConfig: AuthConfig = {
      secret: randomBytes(32).toString('hex'),
      providers: [{ id: 'porta', name: 'Porta', type: 'oidc', issuer: t.issuer, clientId: client.clientId, clientSecret: client.secret }],
    };
    const app = express();
    app.set('trust proxy', true);
    // Express 5 refuses the docs' "/auth/*" pattern; mounted at "/auth", ExpressAuth derives the same base path.
    app.use('/auth', ExpressAuth(authConfig));
    app.get('/me', async (req, res) => {
      const session = await getSession(req, authConfig);
      if (!session?.user) return void res.status(401).json({ signedIn: false });
      res.json({ name: session.user.name, email: session.user.email });
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

  /** Auth.js's sign-in page, then its "Sign in with Porta" button (a POST with the CSRF token). */
  async function signInButton(): Promise<{ url: string; form: Record<string, string> }> {
    const { page } = await browser.go(`${rp.origin}/auth/signin?callbackUrl=${encodeURIComponent(`${rp.origin}/me`)}`);
    expect(page.status, page.body).toBe(200);
    const form = parseForms(page.body).find((f) => f.action.endsWith('/auth/signin/porta'));
    expect(form, page.body.slice(0, 500)).toBeDefined();
    return { url: new URL(form!.action, page.url).toString(), form: form!.fields };
  }

  it('signs in through Porta and the session shows a non-empty profile from the ID token', async () => {
    const button = await signInButton();
    const { page } = await browser.signIn(button.url, { email: t.email, password: PASSWORD }, { method: 'POST', form: button.form });
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ name: t.name, email: t.email });
    const session = json<{ user?: { name?: string; email?: string } }>((await browser.go(`${rp.origin}/auth/session`)).page);
    expect(session.user).toMatchObject({ name: t.name, email: t.email });
  });

  it('signs out of the app (Auth.js ends only its own session)', async () => {
    const { page: signoutPage } = await browser.go(`${rp.origin}/auth/signout`);
    const form = parseForms(signoutPage.body).find((f) => f.action.endsWith('/auth/signout'));
    expect(form, signoutPage.body.slice(0, 500)).toBeDefined();
    await browser.submit(signoutPage, form!);
    expect((await browser.http.request(`${rp.origin}/me`)).status).toBe(401);
    expect(await portaSessionState(browser, t.issuer, client.clientId, `${rp.origin}/auth/callback/porta`)).toBe('live');
  });

  it('signs in again through Porta single sign-on, without the password', async () => {
    const button = await signInButton();
    const { page, visited } = await browser.go(button.url, { method: 'POST', form: button.form });
    expect(visited.some((u) => u.startsWith(`${t.issuer}/auth/authorize`))).toBe(true);
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(json(page)).toEqual({ name: t.name, email: t.email });
  });
});
