import http from 'node:http';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** POSTs a form in chunks, without Content-Length. */
function postChunked(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    const bytes = Buffer.from(body);
    for (let at = 0; at < bytes.length; at += 7 * 1024) req.write(bytes.subarray(at, at + 7 * 1024));
    req.end();
  });
}

/**
 * Issue 10 item 8: request bodies reach oidc-provider as the unread stream it expects, so it never warns
 * about "already parsed request body" (it would print that once per process: this file runs in its own),
 * and the 100 KB limit of spec 50 §8 still holds on its endpoints, chunked or not.
 */
describe('request bodies handed to the OIDC engine', () => {
  let s: TestServer;
  let t: Tenant;
  const warnings: string[] = [];
  const originalWarn = console.warn;
  const onWarning = (w: Error) => warnings.push(w.message);
  const basic = () => `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}`;

  beforeAll(async () => {
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
      originalWarn(...args);
    };
    process.on('warning', onWarning);
    s = await startTestServer();
    t = await createTenant(s.porta.services, 'bodies-co');
  });
  afterAll(async () => {
    console.warn = originalWarn;
    process.off('warning', onWarning);
    await s?.stop();
  });

  it('serves a chunked token request, and one with Content-Length', async () => {
    const chunked = await postChunked(`${s.url}/${t.slug}/auth/token`, 'grant_type=client_credentials', { authorization: basic() });
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toMatchObject({ token_type: 'Bearer' });
    const sized = await fetch(`${s.url}/${t.slug}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: 'grant_type=client_credentials',
    });
    expect(sized.status).toBe(200);
    const token = ((await sized.json()) as { access_token: string }).access_token;
    const introspection = await postChunked(`${s.url}/${t.slug}/auth/token/introspection`, `token=${token}`, { authorization: basic() });
    expect(JSON.parse(introspection.body)).toMatchObject({ active: true });
  });

  it('keeps the 100 KB limit on engine endpoints (413 before the engine), and the engine its own 56 KB', async () => {
    const pad = (kb: number) => `grant_type=client_credentials&pad=${'a'.repeat(kb * 1024)}`;
    const overChunked = await postChunked(`${s.url}/${t.slug}/auth/token`, pad(120), { authorization: basic() });
    expect(overChunked.status).toBe(413);
    expect(JSON.parse(overChunked.body)).toMatchObject({ error: 'payload_too_large' });
    const overSized = await fetch(`${s.url}/${t.slug}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() }, body: pad(120),
    });
    expect(overSized.status).toBe(413);
    const between = await postChunked(`${s.url}/${t.slug}/auth/token`, pad(70), { authorization: basic() });
    expect(between.status).toBe(400);
    expect(JSON.parse(between.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('runs a whole sign-in and logout (engine form posts included) without the warning', async () => {
    const config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const login = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid offline_access', prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString(),
    );
    const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier });
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const page = await browser.follow(oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT_URI, client_id: t.confidential.clientId }).toString());
    const out = await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
    expect(out.location).toBe(POST_LOGOUT_URI);
  });

  it('never printed "already parsed request body"', () => {
    expect(warnings.filter((w) => /already parsed/i.test(w))).toEqual([]);
  });
});
