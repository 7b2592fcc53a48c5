import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { rawRequest } from '../support/forwarding-proxy.js';
import { hiddenInput } from '../support/http-browser.js';
import { createTenant, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/**
 * Issue 10 item 7: malformed input on any public or admin route is a 4xx, never a 5xx. Property-based:
 * fast-check builds query strings, form and JSON bodies, charsets and Authorization headers out of
 * NUL bytes, broken percent-encoding, invalid UTF-8, lone surrogates, over-long values and ordinary
 * text, and every answer must stay below 500. Bounded: a few hundred cases per property, each property
 * stopped after its time budget.
 */
const RUNS = 300;
const BUDGET_MS = 25_000;
const TEST_TIMEOUT = 60_000;

const safeEncode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

/** Fragments a URL may legally carry (ASCII only) but Porta must not choke on. */
const urlJunk = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom('%00', '%C3%28', '%ZZ') },
      fc.constantFrom('%00', '%ZZ', '%', '%4', '%C3%28', '%FF', '%ED%A0%80', '%C0%80', '%E2%9C%93', '%2F', '%26', '%3D', '+', '&', '=', '..', "'", '%22', '%0A', '%7B%7D'),
      fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/),
      fc.string({ maxLength: 16, unit: 'binary' }).map(safeEncode),
      fc.constant('a'.repeat(300)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** Text of any kind for bodies: NUL, lone surrogates, non-ASCII, long runs. */
const textJunk = fc
  .array(fc.oneof(fc.string({ maxLength: 16, unit: 'binary' }), fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'ü', 'a'.repeat(5000)), urlJunk), { maxLength: 5 })
  .map((parts) => parts.join(''));

const contentTypes = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=bogus',
  'application/x-www-form-urlencoded; charset',
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'multipart/form-data; boundary=x',
  'garbage/',
  '',
);

/** Header values Node will send: printable ASCII only. */
const headerJunk = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const authorization = fc.oneof(
  fc.constant(undefined),
  headerJunk.map((v) => `Bearer ${v}`),
  fc.string({ maxLength: 40, unit: 'binary' }).map((v) => `Basic ${Buffer.from(v).toString('base64')}`),
  headerJunk.map((v) => `Basic ${v}`),
  headerJunk,
);

/** A raw body: form pairs of junk, JSON of junk, or bytes that are not UTF-8. */
const bodyJunk = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom('client_id', 'grant_type', 'code', 'refresh_token', 'token', 'access_token', 'redirect_uri', 'scope', 'email', 'password', '_csrf', 'x'), fc.oneof(urlJunk, textJunk)), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('name', 'slug', 'email', 'givenName', 'search', 'value', 'description'), textJunk).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

function assertNo5xx(label: string, status: number, body: string) {
  if (status >= 500) throw new Error(`${label} answered ${status}: ${body.slice(0, 200)}`);
}

describe('no input gives a 5xx (property-based)', () => {
  let s: AdminServer;
  let t: Tenant;
  let interaction: { path: string; cookie: string; csrf: string };

  beforeAll(async () => {
    s = await startAdminServer();
    for (const key of ['rate_limit_token_max', 'rate_limit_introspection_max', 'rate_limit_admin_write_max', 'rate_limit_admin_unauthenticated_max', 'rate_limit_login_max']) {
      await s.porta.services.systemConfig.set(systemActor(), key, '1000000').catch(() => undefined);
    }
    t = await createTenant(s.porta.services, 'fuzz-co');
    // One login interaction whose form the login property posts to (with a valid CSRF token, so the
    // fuzzed e-mail and password reach the password check).
    const authorize = await rawRequest(
      `${s.url}/${t.slug}/auth/authorize?${new URLSearchParams({
        client_id: t.spa.clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      })}`,
    );
    const cookies = (authorize.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
    const page = await rawRequest(`${s.url}${authorize.headers.location!}`, { headers: { cookie: cookies.join('; ') } });
    const all = [...cookies, ...(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0])];
    interaction = { path: `${authorize.headers.location!}/login`, cookie: all.join('; '), csrf: hiddenInput(page.body, '_csrf') };
  }, 120_000);
  afterAll(() => s?.stop());

  it('public endpoints: query strings, form bodies, charsets and Authorization headers', { timeout: TEST_TIMEOUT }, async () => {
    const routes = fc.constantFrom(
      { method: 'GET', path: '/.well-known/openid-configuration' },
      { method: 'GET', path: '/auth/authorize' },
      { method: 'POST', path: '/auth/authorize' },
      { method: 'GET', path: '/auth/jwks' },
      { method: 'POST', path: '/auth/token' },
      { method: 'POST', path: '/auth/token/introspection' },
      { method: 'POST', path: '/auth/token/revocation' },
      { method: 'GET', path: '/auth/userinfo' },
      { method: 'POST', path: '/auth/userinfo' },
      { method: 'POST', path: '/auth/par' },
      { method: 'GET', path: '/auth/session/end' },
      { method: 'POST', path: '/auth/session/end' },
      { method: 'POST', path: '/auth/session/end/confirm' },
      { method: 'GET', path: '/auth/session/end/success' },
      { method: 'GET', path: '/interaction/' },
      { method: 'POST', path: '/interaction/x/login' },
      { method: 'GET', path: '/branding/logo' },
    );
    const queryKeys = fc.constantFrom('client_id', 'response_type', 'scope', 'redirect_uri', 'state', 'login_hint', 'ui_locales', 'id_token_hint', 'post_logout_redirect_uri', 'code_challenge', 'prompt', 'x');
    await fc.assert(
      fc.asyncProperty(
        routes,
        fc.array(fc.tuple(queryKeys, urlJunk), { maxLength: 4 }),
        urlJunk,
        fc.option(bodyJunk, { nil: undefined, freq: 8 }),
        fc.oneof({ weight: 3, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 2, arbitrary: contentTypes }),
        authorization,
        fc.oneof({ weight: 6, arbitrary: fc.constant(t.slug) }, { weight: 1, arbitrary: fc.constantFrom('no-such-org', 'a') }),
        async (route, params, pathTail, body, contentType, auth, slug) => {
          const path = `/${slug}${route.path}${route.path.endsWith('/') ? pathTail : ''}`;
          const search = params.map(([k, v]) => `${k}=${v}`).join('&');
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (auth !== undefined) headers.authorization = auth;
          const res = await rawRequest(`${s.url}${path}${search ? `?${search}` : ''}`, { method: route.method, headers, body: route.method === 'POST' ? (body ?? '') : undefined });
          assertNo5xx(`${route.method} ${path}?${search}`, res.status, res.body);
        },
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
  });

  it('the login form: fuzzed e-mail, password and encodings reach the password check or a 4xx page', { timeout: TEST_TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(textJunk, textJunk, fc.option(urlJunk), fc.oneof({ weight: 3, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: contentTypes }), async (email, password, raw, contentType) => {
        const form = `_csrf=${encodeURIComponent(interaction.csrf)}&email=${safeEncode(email)}&password=${safeEncode(password)}${raw === null ? '' : `&${raw}`}`;
        const res = await rawRequest(`${s.url}${interaction.path}`, {
          method: 'POST',
          headers: { cookie: interaction.cookie, ...(contentType ? { 'content-type': contentType } : {}) },
          body: form,
        });
        assertNo5xx(`login ${JSON.stringify(email)}`, res.status, res.body);
      }),
      { numRuns: 100, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
  });

  it('Admin API list filters, cursors and path parameters', { timeout: TEST_TIMEOUT }, async () => {
    const lists = fc.constantFrom(
      '/organizations', `/organizations/${t.orgId}/users`, '/clients', '/applications', '/audit', '/sessions', '/service-accounts',
      '/organizations/validate-slug', `/organizations/${t.orgId}/history`, `/applications/${t.appId}/roles`, `/applications/${t.appId}/permissions`,
      `/applications/${t.appId}/claims`, '/export/organizations', '/keys', '/config',
    );
    const filterKeys = fc.oneof({ weight: 1, arbitrary: fc.constantFrom('search', 'cursor') }, fc.constantFrom(
      'search', 'status', 'sortBy', 'sortOrder', 'page', 'pageSize', 'cursor', 'limit', 'organizationId', 'applicationId', 'userId',
      'event', 'category', 'org', 'user', 'since', 'until', 'targetId', 'after', 'event_type', 'slug', 'moduleId', 'x',
    ));
    // Cursors that decode: a client may forge any JSON inside the base64url.
    const forgedCursor = fc
      .record({ s: fc.constantFrom('name', 'created_at', 'email'), o: fc.constantFrom('asc', 'desc'), v: fc.oneof(textJunk, fc.constant(null)), i: fc.constant(randomUUID()), d: fc.constantFrom('next', 'prev') })
      .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));
    const value = fc.oneof(urlJunk, forgedCursor, fc.constantFrom('1', '0', '-1', '99999999999999999999', '1e308', 'NaN', 'asc', 'name', 'active', '2024-13-45', randomUUID()));
    await fc.assert(
      fc.asyncProperty(lists, fc.array(fc.tuple(filterKeys, value), { maxLength: 4 }), async (list, params) => {
        const search = params.map(([k, v]) => `${k}=${v}`).join('&');
        const res = await rawRequest(`${s.url}/api/admin${list}?${search}`, { headers: { authorization: `Bearer ${s.superAdmin.token}` } });
        assertNo5xx(`GET ${list}?${search}`, res.status, res.body);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );

    const targets = fc.constantFrom(
      { method: 'GET', path: '/organizations/' },
      { method: 'GET', path: '/clients/' },
      { method: 'GET', path: '/config/' },
      { method: 'GET', path: '/export/' },
      { method: 'POST', path: '/keys/' },
      { method: 'POST', path: '/organizations' },
      { method: 'POST', path: `/organizations/${t.orgId}/users` },
      { method: 'POST', path: '/applications' },
      { method: 'PUT', path: '/config/access_token_ttl' },
      { method: 'POST', path: '/bulk/users/status' },
    );
    await fc.assert(
      fc.asyncProperty(targets, urlJunk, fc.option(bodyJunk, { nil: undefined }), contentTypes, fc.oneof({ weight: 3, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: authorization }), async (target, tail, body, contentType, auth) => {
        const path = `/api/admin${target.path}${target.path.endsWith('/') ? tail : ''}`;
        // Mostly the super-admin's token; sometimes a junk Authorization header (or none).
        const headers: Record<string, string> = auth === 'valid' ? { authorization: `Bearer ${s.superAdmin.token}` } : auth === undefined ? {} : { authorization: auth };
        if (contentType) headers['content-type'] = contentType;
        const res = await rawRequest(`${s.url}${path}`, { method: target.method, headers, body: target.method === 'GET' ? undefined : (body ?? '') });
        assertNo5xx(`${target.method} ${path}`, res.status, res.body);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
    );
    expect(true).toBe(true);
  });
});
