import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTenant, PASSWORD, type Tenant } from '../support/oidc-fixtures.js';

const TEST_TIMEOUT = 60_000;
const SLUG = 'browser-co';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const htmlPage = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;

/**
 * A tiny server-side relying party on 127.0.0.1:0, as a real web app would be: `/callback` redeems the
 * code (PKCE) with openid-client and shows who signed in; `/logged-out` shows the returned `state`.
 */
interface RelyingParty {
  origin: string;
  callbackUri: string;
  postLogoutUri: string;
  /** The last tokens `/callback` received (for an `id_token_hint`). */
  lastTokens?: oidc.TokenEndpointResponse;
  use(config: oidc.Configuration): void;
  authorizationUrl(params?: Record<string, string>): Promise<{ url: string; state: string }>;
  endSessionUrl(params: Record<string, string>): string;
  close(): Promise<void>;
}

async function startRelyingParty(): Promise<RelyingParty> {
  let config: oidc.Configuration | undefined;
  const verifiers = new Map<string, string>();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
      res.end(htmlPage('RP error', `<p id="rp-error">${escapeHtml(String(err))}</p>`));
    });
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', rp.origin);
    const send = (status: number, title: string, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(htmlPage(title, body));
    };
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const error = url.searchParams.get('error');
      if (error) return send(200, 'Sign-in failed', `<p>Sign-in failed: <span id="error">${escapeHtml(error)}</span></p>`);
      const verifier = verifiers.get(state);
      if (!config || !verifier) return send(400, 'Unknown state', '<p id="rp-error">unknown state</p>');
      verifiers.delete(state);
      const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: verifier, expectedState: state });
      rp.lastTokens = tokens;
      const sub = tokens.claims()!.sub;
      const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
      return send(200, 'Signed in', `<h1>Welcome back</h1><dl><dt>Subject</dt><dd id="sub">${escapeHtml(sub)}</dd><dt>E-mail</dt><dd id="email">${escapeHtml(String(info.email ?? ''))}</dd></dl>`);
    }
    if (url.pathname === '/logged-out') {
      return send(200, 'Logged out', `<h1>You have left Porta</h1><p>State: <span id="state">${escapeHtml(url.searchParams.get('state') ?? '')}</span></p>`);
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    send(404, 'Not found', '<p>Not found</p>');
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rp: RelyingParty = {
    origin,
    callbackUri: `${origin}/callback`,
    postLogoutUri: `${origin}/logged-out`,
    use(c) {
      config = c;
    },
    async authorizationUrl(params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      verifiers.set(state, verifier);
      const url = oidc.buildAuthorizationUrl(config!, {
        redirect_uri: rp.callbackUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...params,
      });
      return { url: url.toString(), state };
    },
    endSessionUrl(params) {
      return oidc.buildEndSessionUrl(config!, { post_logout_redirect_uri: rp.postLogoutUri, ...params }).toString();
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return rp;
}

describeWithChromium('Browser: login, consent and logout in Chromium', () => {
  let s: TestServer;
  let rp: RelyingParty;
  let t: Tenant;
  let chromium: ChromiumSession | undefined;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    rp = await startRelyingParty();
    t = await createTenant(s.porta.services, SLUG, { requireConsent: true, redirectUri: rp.callbackUri, postLogoutRedirectUri: rp.postLogoutUri });
    rp.use(await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] }));
  });
  afterEach(async () => {
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  });

  /** A fresh browser (own profile: no cookies) and one tab that records console errors. */
  async function openBrowser(): Promise<{ page: Page; consoleErrors: string[] }> {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return { page, consoleErrors };
  }

  const loginUrl = new RegExp(`/${SLUG}/interaction/[^/]+$`);

  async function fillLogin(page: Page, email: string, password: string) {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Authorize → login → consent (Allow) → RP callback; returns the callback page's sub and e-mail. */
  async function signIn(page: Page) {
    const { url } = await rp.authorizationUrl({ scope: 'openid profile email offline_access', prompt: 'consent' });
    await page.goto(url);
    await page.waitForURL(loginUrl);
    await fillLogin(page, t.email, PASSWORD);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rp.callbackUri}?**`);
    return { sub: await page.locator('#sub').textContent(), email: await page.locator('#email').textContent() };
  }

  /** A silent authorization (prompt=none) as the RP would start it; returns what its callback page says. */
  async function silentAuthorization(page: Page) {
    const { url } = await rp.authorizationUrl({ prompt: 'none' });
    await page.goto(url);
    await page.waitForURL(`${rp.callbackUri}?**`);
    const error = page.locator('#error');
    return (await error.count()) > 0 ? { error: await error.textContent() } : { sub: await page.locator('#sub').textContent() };
  }

  async function openLogoutPage(page: Page, state: string) {
    await page.goto(rp.endSessionUrl({ client_id: t.confidential.clientId, state }));
    await page.getByRole('heading', { level: 1, name: 'Sign out' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Do you want to sign out of Org browser-co?');
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    const back = page.getByRole('link', { name: 'Return to application' });
    expect(await back.getAttribute('href')).toBe(`${rp.postLogoutUri}?state=${state}`);
    return { signOut: page.getByRole('button', { name: 'Sign out' }), back };
  }

  it('signs in on the branded login page, asks consent in plain sentences, and the RP gets the user', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    const { url } = await rp.authorizationUrl({ scope: 'openid profile email offline_access', prompt: 'consent' });
    await page.goto(url);
    await page.waitForURL(loginUrl);
    expect(await page.title()).toBe('Sign in · Org browser-co');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Web browser-co');
    const email = page.getByLabel('Email');
    expect(await email.getAttribute('type')).toBe('email');
    expect(await email.getAttribute('name')).toBe('email');
    expect(await email.getAttribute('autocomplete')).toBe('username');
    const password = page.getByLabel('Password');
    expect(await password.getAttribute('type')).toBe('password');
    expect(await password.getAttribute('name')).toBe('password');
    expect(await password.getAttribute('autocomplete')).toBe('current-password');
    expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    await saveScreenshot(page, 'login');

    await fillLogin(page, t.email, PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Web browser-co wants to access your account' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(`Signed in as ${t.email}.`);
    expect(await page.locator('ul.scopes li').allTextContents()).toEqual([
      'Confirm your identity',
      'See your name and profile information',
      'See your email address',
      'Stay signed in to the application when you are not using it',
    ]);
    expect(await page.getByRole('button', { name: 'Deny' }).isVisible()).toBe(true);
    await saveScreenshot(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(`${rp.callbackUri}?**`);
    expect(await page.locator('#sub').textContent()).toBe(t.userId);
    expect(await page.locator('#email').textContent()).toBe(t.email);
    expect(consoleErrors).toEqual([]);
  });

  it('says "Invalid email or password." after a wrong password and keeps the e-mail', { timeout: TEST_TIMEOUT }, async () => {
    const { page } = await openBrowser();
    const { url } = await rp.authorizationUrl();
    await page.goto(url);
    await page.waitForURL(loginUrl);
    await fillLogin(page, t.email, 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Invalid email or password.');
    expect(page.url()).toMatch(new RegExp(`/${SLUG}/interaction/[^/]+/login$`));
    expect(await page.getByLabel('Email').inputValue()).toBe(t.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');

    await fillLogin(page, t.email, PASSWORD);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${rp.callbackUri}?**`);
    expect(await page.locator('#sub').textContent()).toBe(t.userId);
  });

  it('logout without a hint: "Return to application" goes back with state and keeps the session', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    expect(await signIn(page)).toEqual({ sub: t.userId, email: t.email });
    const { back } = await openLogoutPage(page, 'keep-1');
    await saveScreenshot(page, 'logout');
    await back.click();
    await page.waitForURL(`${rp.postLogoutUri}?**`);
    expect(page.url()).toBe(`${rp.postLogoutUri}?state=keep-1`);
    expect(await page.locator('#state').textContent()).toBe('keep-1');
    expect(await silentAuthorization(page)).toEqual({ sub: t.userId });
    expect(consoleErrors).toEqual([]);
  });

  it('logout without a hint: "Sign out" ends the session and goes back with state', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    await signIn(page);
    expect(await silentAuthorization(page)).toEqual({ sub: t.userId });
    const { signOut } = await openLogoutPage(page, 'bye-1');
    await signOut.click();
    await page.waitForURL(`${rp.postLogoutUri}?**`);
    expect(page.url()).toBe(`${rp.postLogoutUri}?state=bye-1`);
    expect(await page.locator('#state').textContent()).toBe('bye-1');
    expect(await silentAuthorization(page)).toEqual({ error: 'login_required' });
    expect(consoleErrors).toEqual([]);
  });

  it('logout with an id_token_hint signs out without a click, within the page CSP', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    await signIn(page);
    const idToken = rp.lastTokens!.id_token!;
    const cspHeaders: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/auth/session/end')) cspHeaders.push(r.headers()['content-security-policy'] ?? '');
    });
    await page.goto(rp.endSessionUrl({ id_token_hint: idToken, state: 'auto-1' }), { waitUntil: 'commit' });
    await page.waitForURL(`${rp.postLogoutUri}?**`);
    expect(page.url()).toBe(`${rp.postLogoutUri}?state=auto-1`);
    expect(cspHeaders[0]).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await silentAuthorization(page)).toEqual({ error: 'login_required' });
  });
});
