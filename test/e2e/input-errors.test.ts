import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { rawRequest } from '../support/forwarding-proxy.js';
import { hiddenInput } from '../support/http-browser.js';
import { createTenant, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Issue 10 item 7: input Porta cannot read (NUL, invalid UTF-8, broken percent-encoding, other charsets)
 * is refused at the edge, in each route's own vocabulary. These inputs used to reach PostgreSQL and 500.
 */
describe('malformed input answers (PostgreSQL + Redis when available)', () => {
  let s: AdminServer;
  let t: Tenant;
  const admin = () => ({ authorization: `Bearer ${s.superAdmin.token}` });

  beforeAll(async () => {
    s = await startAdminServer();
    t = await createTenant(s.porta.services, 'inputs-co');
  });
  afterAll(() => s?.stop());

  it('Admin API: 400 {error, message} for NUL, invalid UTF-8 and bad escapes in the URL, path parameters included', async () => {
    for (const path of ['/organizations?search=a%00', `/organizations/${t.orgId}/users?search=%C3%28`, '/clients?search=%ZZ', '/keys/a%00/revoke', '/config/a%FF']) {
      const res = await rawRequest(`${s.url}/api/admin${path}`, { method: path.includes('revoke') ? 'POST' : 'GET', headers: admin() });
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', message: expect.stringMatching(/request URL/) });
    }
  });

  it('Admin API: JSON bodies must be UTF-8 without NUL characters or lone surrogates', async () => {
    const post = (body: string | Buffer, type = 'application/json') =>
      rawRequest(`${s.url}/api/admin/organizations`, { method: 'POST', headers: { ...admin(), 'content-type': type }, body: body as string });
    const nul = await post(JSON.stringify({ name: 'a\u0000b', slug: 'nul-org' }));
    expect(nul.status).toBe(400);
    expect(JSON.parse(nul.body)).toEqual({ error: 'invalid_request', message: 'The JSON body contains a NUL character.' });
    const surrogate = await post('{"name":"\\ud800","slug":"lone-org"}');
    expect(JSON.parse(surrogate.body)).toMatchObject({ error: 'invalid_request' });
    const latin1 = await post(Buffer.from('{"name":"\xe9t\xe9","slug":"latin-org"}', 'latin1'));
    expect(latin1.status).toBe(400);
    expect(JSON.parse(latin1.body)).toEqual({ error: 'invalid_request', message: 'The request body is not valid UTF-8.' });
    const charset = await post('{}', 'application/json; charset=iso-8859-1');
    expect(charset.status).toBe(415);
    expect(JSON.parse(charset.body)).toMatchObject({ error: 'unsupported_media_type' });
    expect((await post('{"name":')).status).toBe(400);
  });

  it('OIDC endpoints: 400 invalid_request in OAuth form for NUL and bad encodings in forms and queries', async () => {
    const basic = `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}`;
    const cases = [
      { path: '/auth/token', body: 'grant_type=client_credentials&client_id=a%00b' },
      { path: '/auth/token', body: 'grant_type=refresh_token&refresh_token=%C3%28' },
      { path: '/auth/token/introspection', body: 'token=a%00', auth: basic },
      { path: '/auth/token/revocation', body: 'token=%', auth: basic },
      { path: '/auth/userinfo', body: 'access_token=a%00' },
      { path: '/auth/par', body: 'client_id=%FF&response_type=code' },
      { path: '/auth/token', body: 'grant_type=client_credentials', auth: basic, type: `${FORM}; charset=latin1` },
    ];
    for (const c of cases) {
      const res = await rawRequest(`${s.url}/${t.slug}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': c.type ?? FORM, ...(c.auth ? { authorization: c.auth } : {}) },
        body: c.body,
      });
      expect(res.status, `${c.path} ${c.body}`).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    }
    const discovery = await rawRequest(`${s.url}/${t.slug}/.well-known/openid-configuration?x=%00`);
    expect(JSON.parse(discovery.body)).toMatchObject({ error: 'invalid_request' });
    // Basic credentials are checked by the engine itself (RFC 6749 §2.3.1 VSCHAR).
    const nulBasic = await rawRequest(`${s.url}/${t.slug}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from('a%00b:secret').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(nulBasic.status).toBe(400);
  });

  it('browser pages: the branded error page, 400, for the authorization, logout and login routes', async () => {
    const page = (res: { status: number; headers: Record<string, unknown>; body: string }) => {
      expect(res.status).toBe(400);
      expect(String(res.headers['content-type'])).toMatch(/text\/html/);
      expect(res.body).toContain('Error code: invalid_request');
      expect(res.body).toContain('Org inputs-co');
    };
    page(await rawRequest(`${s.url}/${t.slug}/auth/authorize?client_id=${t.spa.clientId}&login_hint=a%00`));
    page(await rawRequest(`${s.url}/${t.slug}/auth/session/end?id_token_hint=%ZZ`));
    page(await rawRequest(`${s.url}/${t.slug}/interaction/abc%C3%28`));

    const authorize = await rawRequest(
      `${s.url}/${t.slug}/auth/authorize?${new URLSearchParams({
        client_id: t.spa.clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      })}`,
    );
    const cookies = (authorize.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const login = await rawRequest(`${s.url}${authorize.headers.location!}`, { headers: { cookie: cookies.join('; ') } });
    const cookie = [...cookies, ...(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0])].join('; ');
    const csrf = encodeURIComponent(hiddenInput(login.body, '_csrf'));
    for (const body of [`_csrf=${csrf}&email=a%00@example.com&password=x`, `_csrf=${csrf}&email=%E9t%E9&password=x`]) {
      page(await rawRequest(`${s.url}${authorize.headers.location!}/login`, { method: 'POST', headers: { cookie, 'content-type': FORM }, body }));
    }
  });
});
