import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTenant, PASSWORD, type Tenant } from '../support/oidc-fixtures.js';

const TEST_TIMEOUT = 60_000;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const htmlPage = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;

/**
 * A relying party on another site than Porta (`localhost` against Porta's `127.0.0.1`), as with
 * `response_mode=form_post` in production: `/callback` takes the POSTed response and redeems the code;
 * `/post-authorize` sends its authorization request as an auto-submitted form POST (OIDC Core §3.1.2.1).
 */
interface RelyingParty {
  origin: string;
  callbackUri: string;
  authorize(params?: Record<string, string>): Promise<Record<string, string>>;
  close(): Promise<void>;
}

async function startRelyingParty(issuer: () => string, client: () => { clientId: string; secret: string }): Promise<RelyingParty> {
  const verifiers = new Map<string, string>();
  const pending = new Map<string, Record<string, string>>();
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
      res.end(htmlPage('RP error', `<p id="rp-error">${escapeHtml(String(err))}</p>`));
    });
  });
  const send = (res: http.ServerResponse, title: string, body: string) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(htmlPage(title, body));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', rp.origin);
    if (url.pathname === '/callback') {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const fields = new URLSearchParams(req.method === 'POST' ? body : url.search);
      const state = fields.get('state') ?? '';
      if (fields.get('error')) return send(res, 'Sign-in failed', `<p>Error: <span id="error">${escapeHtml(fields.get('error')!)}</span></p>`);
      const { clientId, secret } = client();
      const answer = await fetch(`${issuer()}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: fields.get('code') ?? '', redirect_uri: rp.callbackUri, code_verifier: verifiers.get(state) ?? '' }),
      });
      const tokens = (await answer.json()) as { id_token?: string; error?: string };
      const sub = tokens.id_token ? (JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub : `token error ${tokens.error}`;
      return send(res, 'Signed in', `<dl><dt>Method</dt><dd id="method">${escapeHtml(req.method ?? '')}</dd><dt>State</dt><dd id="state">${escapeHtml(state)}</dd><dt>Subject</dt><dd id="sub">${escapeHtml(sub)}</dd></dl>`);
    }
    if (url.pathname === '/post-authorize') {
      const fields = pending.get(url.searchParams.get('state') ?? '') ?? {};
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
      // No inline script (the page has no CSP of its own, but keep it plain): the button is clicked by the test.
      return send(res, 'Continue', `<form method="post" action="${escapeHtml(issuer())}/auth/authorize">${inputs}<button type="submit">Continue to sign-in</button></form>`);
    }
    res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
    res.end();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  const rp: RelyingParty = {
    origin,
    callbackUri: `${origin}/callback`,
    async authorize(params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = params.state ?? oidc.randomState();
      verifiers.set(state, verifier);
      const fields = {
        client_id: client().clientId, response_type: 'code', redirect_uri: rp.callbackUri, scope: 'openid', state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', response_mode: 'form_post', ...params,
      };
      pending.set(state, fields);
      return fields;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return rp;
}

describeWithChromium('Browser: form_post response mode and POSTed authorization requests in Chromium', () => {
  let s: TestServer;
  let rp: RelyingParty;
  let t: Tenant;
  let chromium: ChromiumSession | undefined;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    rp = await startRelyingParty(() => `${s.url}/${t.slug}`, () => ({ clientId: t.confidential.clientId, secret: t.confidential.secret }));
    t = await createTenant(s.porta.services, 'form-post-co', { redirectUri: rp.callbackUri });
  });
  afterEach(async () => {
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  });

  async function openBrowser(): Promise<{ page: Page; consoleErrors: string[] }> {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return { page, consoleErrors };
  }

  it('posts the authorization response to the relying party, within the CSP of the auto-submit page', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    const policies: string[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().includes('/interaction/')) policies.push(r.headers()['content-security-policy'] ?? '');
      if (r.url().includes('/auth/authorize/')) policies.push(r.headers()['content-security-policy'] ?? '');
    });
    const fields = await rp.authorize({ state: 'fp-1' });
    await page.goto(`${s.url}/${t.slug}/auth/authorize?${new URLSearchParams(fields)}`);
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(rp.callbackUri);
    expect(await page.locator('#method').textContent()).toBe('POST');
    expect(await page.locator('#state').textContent()).toBe('fp-1');
    expect(await page.locator('#sub').textContent()).toBe(t.userId);
    const autoSubmit = policies.find((p) => p.includes("'sha256-"));
    expect(autoSubmit).toContain(`form-action 'self' ${rp.origin};`);
    expect(consoleErrors).toEqual([]);
  });

  it('accepts an authorization request POSTed from the relying party, with the signed-in session (prompt=none)', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors } = await openBrowser();
    const first = await rp.authorize();
    await page.goto(`${s.url}/${t.slug}/auth/authorize?${new URLSearchParams(first)}`);
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(rp.callbackUri);

    const silent = await rp.authorize({ prompt: 'none', state: 'silent-post' });
    await page.goto(`${rp.origin}/post-authorize?state=silent-post`);
    await page.getByRole('button', { name: 'Continue to sign-in' }).click();
    await page.locator('#state, #error').first().waitFor();
    expect(await page.locator('#error').count()).toBe(0);
    expect(await page.locator('#state').textContent()).toBe(silent.state);
    expect(await page.locator('#sub').textContent()).toBe(t.userId);
    expect(consoleErrors).toEqual([]);
  });
});
