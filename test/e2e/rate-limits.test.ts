/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies asserted field by field */
import { createHash } from 'node:crypto';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { describeWithServices } from '../support/services.js';

/** Requests name their client IP in this header; the app sees it as `ctx.ip` (as a trusted proxy would give it). */
const CLIENT_IP = 'x-test-client-ip';
const asClient = (app: Koa) =>
  app.use(async (ctx, next) => {
    const ip = ctx.get(CLIENT_IP);
    if (ip) ctx.request.ip = ip;
    await next();
  });

/** Spec 50 §7 and issue 10 item 3: every limit on its real path, per client IP, on the memory store and on Redis. */
function rateLimitSuite(backends: 'embedded' | 'services') {
  let s: AdminServer;
  let t: Tenant;
  let ipSeq = 0;
  /** A fresh client IP per case, so cases never share a counter. */
  const newIp = () => `198.51.100.${++ipSeq}`;

  beforeAll(async () => {
    s = await startAdminServer({ backends, extend: asClient });
    t = await createTenant(s.porta.services, `rl-${backends}`);
  });
  afterAll(() => s?.stop());

  const limit = (key: string, value: number) => s.porta.services.systemConfig.set(systemActor(), key, String(value));

  /** The `security.rate_limited` entries of one scope. */
  async function rateLimitedEntries(scope: string) {
    const page = await s.porta.services.audit.list({ event: 'security.rate_limited', limit: 500 });
    return page.data.filter((e) => (e.metadata as { scope?: string } | null)?.scope === scope);
  }

  function expectRetryAfter(res: { headers: Headers }, window: number) {
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(window);
    return retryAfter;
  }

  const basic = () => `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}`;
  const post = (path: string, form: Record<string, string>, ip: string) =>
    fetch(`${s.url}/${t.slug}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(), [CLIENT_IP]: ip },
      body: new URLSearchParams(form),
    });

  it('token endpoint: N per window per IP, then 429 OAuth-style with Retry-After, audited once', async () => {
    await limit('rate_limit_token_max', 3);
    try {
      const ip = newIp();
      const remaining = [];
      for (let i = 0; i < 3; i++) {
        const res = await post('/auth/token', { grant_type: 'client_credentials' }, ip);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit')).toBe('3');
        remaining.push(res.headers.get('x-ratelimit-remaining'));
      }
      expect(remaining).toEqual(['2', '1', '0']);
      // The engine's router ignores case and a trailing slash: so does the limit.
      for (const path of ['/auth/token', '/auth/token/', '/auth/TOKEN']) {
        const res = await post(path, { grant_type: 'client_credentials' }, ip);
        expect(res.status, path).toBe(429);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expectRetryAfter(res, 300);
        const body = (await res.json()) as any;
        expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
        expect(body.error).toBe('rate_limited');
      }
      // Another client IP has its own budget; a concurrent burst from it gets exactly `max` through.
      const other = newIp();
      const burst = await Promise.all(Array.from({ length: 10 }, () => post('/auth/token', { grant_type: 'client_credentials' }, other)));
      expect(burst.map((r) => r.status).sort()).toEqual([...Array(3).fill(200), ...Array(7).fill(429)]);
      const entries = (await rateLimitedEntries('token')).filter((e) => e.ipAddress === ip);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ eventCategory: 'security', organizationId: t.orgId, ipAddress: ip, metadata: { scope: 'token', limit: 3, window: 300 } });
      // The limited key is recorded hashed only.
      expect((entries[0]!.metadata as { keyHash: string }).keyHash).toMatch(/^[\w-]{32}$/);
    } finally {
      await limit('rate_limit_token_max', 30);
    }
  });

  it('introspection: its own budget per IP, then 429 OAuth-style, audited', async () => {
    await limit('rate_limit_introspection_max', 2);
    try {
      const ip = newIp();
      const token = ((await (await post('/auth/token', { grant_type: 'client_credentials' }, ip)).json()) as any).access_token as string;
      for (let i = 0; i < 2; i++) {
        const res = await post('/auth/token/introspection', { token }, ip);
        expect(res.status).toBe(200);
        expect(((await res.json()) as any).active).toBe(true);
      }
      const res = await post('/auth/token/introspection', { token }, ip);
      expect(res.status).toBe(429);
      expectRetryAfter(res, 60);
      expect(await res.json()).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
      // The token endpoint's budget is separate.
      expect((await post('/auth/token', { grant_type: 'client_credentials' }, ip)).status).toBe(200);
      expect(await rateLimitedEntries('introspection')).toEqual([
        expect.objectContaining({ organizationId: t.orgId, ipAddress: ip, metadata: expect.objectContaining({ scope: 'introspection', limit: 2, window: 60 }) }),
      ]);
    } finally {
      await limit('rate_limit_introspection_max', 100);
    }
  });

  /** Opens the login page of a code flow at the tenant, from a client IP. */
  async function loginPage(ip: string) {
    const browser = new HttpBrowser(s.url);
    const authorize = new URL(`${s.url}/${t.slug}/auth/authorize`);
    authorize.search = new URLSearchParams({
      client_id: t.confidential.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 'st',
      code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    let page = await browser.request(authorize.toString(), { headers: { [CLIENT_IP]: ip } });
    while (page.location?.startsWith('/') && page.status >= 300 && page.status < 400) page = await browser.request(new URL(page.location, page.url).toString(), { headers: { [CLIENT_IP]: ip } });
    expect(page.body, page.location ?? '').toContain('name="password"');
    let form = page.body;
    // Each rendering of the page issues a fresh CSRF token: submit the latest one, as a browser would.
    const submit = async (email: string, password: string) => {
      const res = await browser.request(formAction(form), { form: { _csrf: hiddenInput(form, '_csrf'), email, password }, headers: { [CLIENT_IP]: ip } });
      if (res.body.includes('name="_csrf"')) form = res.body;
      return res;
    };
    return { submit };
  }

  it('login: org + IP + e-mail, then the login page again with 429, a localized message and Retry-After', async () => {
    await limit('rate_limit_login_max', 2);
    try {
      const ip = newIp();
      const { submit } = await loginPage(ip);
      for (let i = 0; i < 2; i++) expect((await submit(t.email, 'wrong password')).status).toBe(401);
      const limited = await submit(t.email, PASSWORD);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toMatch(/^text\/html/);
      expect(limited.body).toMatch(/Too many attempts\. Please wait \d+ minutes/);
      expectRetryAfter(limited, 900);
      // Another IP, the same e-mail: its own budget.
      expect((await (await loginPage(newIp())).submit(t.email, 'wrong password')).status).toBe(401);
      expect(await rateLimitedEntries('login')).toEqual([
        expect.objectContaining({ organizationId: t.orgId, ipAddress: ip, metadata: expect.objectContaining({ scope: 'login', limit: 2, window: 900 }) }),
      ]);
    } finally {
      await limit('rate_limit_login_max', 10);
    }
  });

  it('password spraying: failed logins per org + IP across all e-mails; successes are given back', async () => {
    await limit('rate_limit_login_ip_failures_max', 3);
    try {
      const ip = newIp();
      const { submit } = await loginPage(ip);
      expect((await submit('nobody-1@example.com', 'Summer2025!')).status).toBe(401);
      expect((await submit('nobody-2@example.com', 'Summer2025!')).status).toBe(401);
      // A success from the same IP does not count against it.
      expect((await submit(t.email, PASSWORD)).status).toBe(303);
      const again = await loginPage(ip);
      expect((await again.submit('nobody-3@example.com', 'Summer2025!')).status).toBe(401);
      const limited = await again.submit('nobody-4@example.com', 'Summer2025!');
      expect(limited.status).toBe(429);
      expect(limited.body).toMatch(/Too many attempts/);
      expectRetryAfter(limited, 900);
      // Once over, even the right password of a real account is not evaluated from this IP…
      expect((await again.submit(t.email, PASSWORD)).status).toBe(429);
      // …while other IPs sign in as usual.
      expect((await (await loginPage(newIp())).submit(t.email, PASSWORD)).status).toBe(303);
      // A concurrent spray from one IP gets exactly `max` passwords checked.
      const sprayer = await loginPage(newIp());
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => sprayer.submit(`victim-${i}@example.com`, 'Summer2025!')));
      expect(burst.map((r) => r.status).sort()).toEqual([...Array(3).fill(401), ...Array(7).fill(429)]);
      const entries = await rateLimitedEntries('login_ip_failures');
      expect(entries).toHaveLength(2);
      expect(entries.find((e) => e.ipAddress === ip)).toMatchObject({ organizationId: t.orgId, metadata: { scope: 'login_ip_failures', limit: 3, window: 900 } });
    } finally {
      await limit('rate_limit_login_ip_failures_max', 50);
    }
  });

  it('admin writes: N per window per IP for authenticated admins, GET unmetered, then 429 with retryAfter', async () => {
    await limit('rate_limit_admin_write_max', 3);
    try {
      const ip = newIp();
      const headers = { [CLIENT_IP]: ip };
      for (let i = 0; i < 3; i++) {
        const res = await s.superAdmin.post('/organizations', {}, headers);
        expect(res.status).toBe(400);
        expect([res.headers.get('x-ratelimit-limit'), res.headers.get('x-ratelimit-remaining')]).toEqual(['3', String(2 - i)]);
      }
      const limited = await s.superAdmin.post('/organizations', {}, headers);
      expect(limited.status).toBe(429);
      const retryAfter = expectRetryAfter(limited, 60);
      expect(limited.body).toEqual({ error: 'rate_limited', message: expect.any(String), retryAfter });
      expect((await s.superAdmin.get('/organizations', headers)).status).toBe(200);
      expect((await s.superAdmin.post('/organizations', {}, { [CLIENT_IP]: newIp() })).status).toBe(400);
      expect(await rateLimitedEntries('admin_write')).toEqual([
        expect.objectContaining({ organizationId: null, ipAddress: ip, metadata: expect.objectContaining({ scope: 'admin_write', limit: 3, window: 60 }) }),
      ]);
    } finally {
      await limit('rate_limit_admin_write_max', 60);
    }
  });

  it('unauthenticated admin requests: their own budget per IP, never that of authenticated admins', async () => {
    await limit('rate_limit_admin_unauthenticated_max', 3);
    await limit('rate_limit_admin_write_max', 5);
    try {
      const ip = newIp();
      const headers = { [CLIENT_IP]: ip };
      const anonymous = s.anonymous();
      const forged = s.withToken('not-a-real-token');
      expect((await anonymous.post('/organizations', {}, headers)).status).toBe(401);
      expect((await forged.delete('/organizations/00000000-0000-4000-8000-000000000000', undefined, headers)).status).toBe(401);
      expect((await anonymous.get('/organizations', headers)).status).toBe(401);
      for (const res of [await anonymous.post('/organizations', {}, headers), await forged.get('/organizations', headers)]) {
        expect(res.status).toBe(429);
        const retryAfter = expectRetryAfter(res, 60);
        expect(res.body).toEqual({ error: 'rate_limited', message: expect.any(String), retryAfter });
      }
      // An admin behind the same IP keeps working, with the whole write budget: nothing above used it up.
      const write = await s.superAdmin.post('/organizations', {}, headers);
      expect([write.status, write.headers.get('x-ratelimit-remaining')]).toEqual([400, '4']);
      expect((await s.superAdmin.get('/organizations', headers)).status).toBe(200);
      // The open metadata route is not metered.
      expect((await anonymous.get('/metadata', headers)).status).toBe(200);
      expect(await rateLimitedEntries('admin_unauthenticated')).toEqual([
        expect.objectContaining({ ipAddress: ip, metadata: expect.objectContaining({ scope: 'admin_unauthenticated', limit: 3, window: 60 }) }),
      ]);
    } finally {
      await limit('rate_limit_admin_unauthenticated_max', 30);
      await limit('rate_limit_admin_write_max', 60);
    }
  });
}

describe('rate limits (memory store, embedded database)', () => rateLimitSuite('embedded'));
describeWithServices('rate limits (Redis, PostgreSQL)', () => rateLimitSuite('services'));
