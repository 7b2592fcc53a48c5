import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, createInteropTenant, promptNoneAnswer, promptNoneRequest, registerClient, startRelyingPartyServer,
  type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

/** The library's own browser build (an IIFE defining `oidc`), served as a page would load it. */
const LIBRARY = path.join(path.dirname(createRequire(import.meta.url).resolve('oidc-client-ts')), '..', 'browser', 'oidc-client-ts.min.js');

const INDEX_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA</title>
<script src="/oidc-client-ts.js"></script><script src="/config.js"></script><script src="/app.js"></script></head>
<body><p id="status">loading</p><p id="result"></p>
<button id="login">Log in</button> <button id="renew">Renew</button> <button id="revoke">Revoke tokens</button> <button id="logout">Log out</button>
</body></html>`;

/**
 * The SPA, as oidc-client-ts's README sets up a UserManager: authority, client_id, redirect and post-logout
 * URIs, scope. Everything else is the library's default (code flow, PKCE, session storage, profile from the
 * ID token, no userinfo call); a client allowed the refresh_token grant gets a refresh token without asking.
 */
const APP_JS = `
const spa = window.spa = { mgr: new oidc.UserManager({
  authority: PORTA.authority,
  client_id: PORTA.clientId,
  redirect_uri: location.origin + '/callback.html',
  post_logout_redirect_uri: location.origin + '/',
  scope: 'openid profile email',
}) };
const $ = (id) => document.getElementById(id);
const report = (text) => { $('result').textContent = text; };
async function show() {
  const user = await spa.mgr.getUser();
  $('status').textContent = user ? 'Logged in as ' + user.profile.name + ' <' + user.profile.email + '>' : 'Logged out';
}
if (location.pathname === '/callback.html') {
  spa.mgr.signinRedirectCallback().then(() => location.replace('/'), (err) => report('callback error: ' + err.message));
} else {
  document.addEventListener('DOMContentLoaded', () => {
    show();
    $('login').onclick = () => spa.mgr.signinRedirect().catch((err) => report('login error: ' + err.message));
    $('renew').onclick = async () => {
      try {
        const before = await spa.mgr.getUser();
        const after = await spa.mgr.signinSilent();
        report(after && after.access_token !== before.access_token && after.refresh_token && after.refresh_token !== before.refresh_token ? 'renewed' : 'not renewed');
        await show();
      } catch (err) { report('renew error: ' + err.message); }
    };
    $('revoke').onclick = () => spa.mgr.revokeTokens().then(() => report('revoked'), (err) => report('revoke error: ' + err.message));
    $('logout').onclick = () => spa.mgr.signoutRedirect().catch((err) => report('logout error: ' + err.message));
  });
}
`;

describeWithChromium('interop: oidc-client-ts (SPA in Chromium)', () => {
  let s: TestServer;
  let t: InteropTenant;
  let rp: RelyingPartyServer;
  let client: RegisteredClient;
  let chromium: ChromiumSession;
  let page: Page;
  const consoleErrors: string[] = [];
  const navigations: string[] = [];

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createInteropTenant(s, 'spa');
    rp = await startRelyingPartyServer();
    client = await registerClient(s, t, {
      clientName: 'Single-page app',
      clientType: 'public',
      applicationType: 'spa',
      redirectUris: [`${rp.origin}/callback.html`, `${rp.origin}/probe`],
      postLogoutRedirectUris: [`${rp.origin}/`],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    const library = fs.readFileSync(LIBRARY, 'utf8');
    const files: Record<string, [string, string]> = {
      '/': ['text/html', INDEX_HTML],
      '/callback.html': ['text/html', INDEX_HTML],
      '/probe': ['text/html', '<!doctype html><title>probe</title><p>probe</p>'],
      '/oidc-client-ts.js': ['text/javascript', library],
      '/config.js': ['text/javascript', `const PORTA = ${JSON.stringify({ authority: t.issuer, clientId: client.clientId })};`],
      '/app.js': ['text/javascript', APP_JS],
    };
    rp.serve((req: http.IncomingMessage, res: http.ServerResponse) => {
      const pathname = new URL(req.url ?? '/', rp.origin).pathname;
      if (pathname === '/favicon.ico') return void res.writeHead(204).end();
      const file = files[pathname];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8`, 'cache-control': 'no-store' }).end(file[1]);
    });
    chromium = await launchChromium({ timeoutMs: 60_000 });
    page = await chromium.newPage({ timeoutMs: 30_000, navigationTimeoutMs: 30_000 });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations.push(frame.url());
    });
  }, INTEROP_TIMEOUT_MS);
  afterAll(async () => {
    await chromium?.close();
    await rp?.close();
    await s?.stop();
  }, INTEROP_TIMEOUT_MS);

  const status = () => page.locator('#status');
  const result = () => page.locator('#result');
  const storedUser = () =>
    page.evaluate(async () => {
      const user = await (globalThis as unknown as { spa: { mgr: { getUser(): Promise<{ access_token: string; refresh_token?: string | null } | null> } } }).spa.mgr.getUser();
      return user && { accessToken: user.access_token, refreshToken: user.refresh_token ?? null };
    });

  /** The prompt=none probe, run in the browser (its Porta cookies), landing on the SPA's /probe page. */
  async function portaSession(): Promise<'live' | 'ended'> {
    const probe = promptNoneRequest(t.issuer, client.clientId, `${rp.origin}/probe`);
    await page.goto(probe.url);
    await page.waitForURL(`${rp.origin}/probe?**`);
    const answer = promptNoneAnswer(page.url(), `${rp.origin}/probe`, probe.state);
    await page.goto(`${rp.origin}/`);
    return answer;
  }

  async function logIn() {
    await page.goto(`${rp.origin}/`);
    await status().filter({ hasText: 'Logged out' }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(new RegExp(`/${t.slug}/interaction/[^/]+$`));
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${rp.origin}/`);
    await status().filter({ hasText: 'Logged in' }).or(result().filter({ hasText: 'error' })).waitFor();
    expect(await result().textContent()).toBe('');
  }

  it('logs in with code + PKCE and shows the profile from the ID token', { timeout: INTEROP_TIMEOUT_MS }, async () => {
    await logIn();
    expect(await status().textContent()).toBe(`Logged in as ${t.name} <${t.email}>`);
    const user = await storedUser();
    expect(user?.refreshToken).toBeTruthy();
    expect(await portaSession()).toBe('live');
  });

  it('renews with its refresh token (signinSilent), from the browser across origins', { timeout: INTEROP_TIMEOUT_MS }, async () => {
    const before = await storedUser();
    await page.getByRole('button', { name: 'Renew' }).click();
    await result().filter({ hasText: /renewed|error/ }).waitFor();
    expect(await result().textContent()).toBe('renewed');
    expect(await status().textContent()).toBe(`Logged in as ${t.name} <${t.email}>`);
    const after = await storedUser();
    expect(after?.accessToken).not.toBe(before?.accessToken);
  });

  it('revokes its tokens (revokeTokens): the access and refresh tokens stop working', { timeout: INTEROP_TIMEOUT_MS }, async () => {
    const tokens = (await storedUser())!;
    expect(tokens.refreshToken).toBeTruthy();
    await page.getByRole('button', { name: 'Revoke tokens' }).click();
    await result().filter({ hasText: /revoked|error/ }).waitFor();
    expect(await result().textContent()).toBe('revoked');
    const userinfo = await fetch(`${t.issuer}/auth/userinfo`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(userinfo.status).toBe(401);
    const refresh = await fetch(`${t.issuer}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken!, client_id: client.clientId }),
    });
    expect(refresh.status).toBe(400);
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('logs out at Porta (signoutRedirect with the ID token as hint) and comes back logged out', { timeout: INTEROP_TIMEOUT_MS }, async () => {
    navigations.length = 0;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${rp.origin}/`);
    await status().filter({ hasText: 'Logged out' }).waitFor();
    expect(navigations.some((u) => u.startsWith(`${t.issuer}/auth/session/end`)), navigations.join('\n')).toBe(true);
    expect(await portaSession()).toBe('ended');
  });

  it('logs in again afterwards, and no page logged an error', { timeout: INTEROP_TIMEOUT_MS }, async () => {
    await logIn();
    expect(await status().textContent()).toBe(`Logged in as ${t.name} <${t.email}>`);
    expect(consoleErrors).toEqual([]);
  });
});
