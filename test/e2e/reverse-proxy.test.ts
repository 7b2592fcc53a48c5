/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies asserted field by field */
import Router from '@koa/router';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { rawRequest, startForwardingProxy, type ForwardingProxy, type RawResponse } from '../support/forwarding-proxy.js';
import { formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** The proxy reaches Porta from this address; the "real" client reaches the proxy from CLIENT. */
const PROXY = '127.0.0.2';
const CLIENT = '127.0.0.3';
const ISSUER_BASE = 'https://auth.example.test';

const echoRequest = (app: Koa) => {
  const router = new Router();
  router.get('/test/request', (ctx) => {
    ctx.body = { ip: ctx.ip, secure: ctx.secure, protocol: ctx.protocol, host: ctx.host, href: ctx.href };
  });
  app.use(router.routes());
};

/** A fresh spoofed leftmost X-Forwarded-For entry per request, as a client escaping a per-IP limit would send. */
let spoofSeq = 0;
const spoofed = () => `203.0.113.${(spoofSeq++ % 250) + 1}`;

async function json(res: RawResponse): Promise<any> {
  return JSON.parse(res.body);
}

describe('behind a reverse proxy (TRUST_PROXY=true, one hop)', () => {
  let s: AdminServer;
  let t: Tenant;
  let proxy: ForwardingProxy;
  const basic = () => `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}`;

  beforeAll(async () => {
    s = await startAdminServer({ env: { TRUST_PROXY: 'true', ISSUER_BASE_URL: ISSUER_BASE }, extend: echoRequest });
    t = await createTenant(s.porta.services, 'proxied');
    proxy = await startForwardingProxy(s.url, { localAddress: PROXY });
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
  });

  it('takes the address the proxy appended, never the client-supplied leftmost entries', async () => {
    const res = await rawRequest(`${proxy.url}/test/request`, { localAddress: CLIENT, headers: { 'x-forwarded-for': '10.9.9.9, 198.51.100.77' } });
    expect(await json(res)).toMatchObject({ ip: CLIENT, secure: true, protocol: 'https', host: 'auth.example.test' });
    const plain = await rawRequest(`${s.url}/test/request`);
    expect(await json(plain)).toMatchObject({ ip: '127.0.0.1', secure: false, protocol: 'http' });
  });

  it('keeps a client that spoofs X-Forwarded-For inside the token endpoint limit, and audits its real address', async () => {
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '3');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await rawRequest(`${proxy.url}/${t.slug}/auth/token`, {
          method: 'POST',
          localAddress: CLIENT,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(), 'x-forwarded-for': `${spoofed()}, ${spoofed()}` },
          body: 'grant_type=client_credentials',
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const entries = (await s.porta.services.audit.list({ event: 'security.rate_limited', limit: 500 })).data;
      const tokenEntries = entries.filter((e: any) => e.metadata?.scope === 'token');
      expect(tokenEntries.length).toBeGreaterThan(0);
      expect(tokenEntries.map((e: any) => e.ipAddress)).toEqual(tokenEntries.map(() => CLIENT));
    } finally {
      await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '30');
    }
  });

  it('records the real client address in the audit of an admin write, not a planted one', async () => {
    const res = await rawRequest(`${proxy.url}/api/admin/organizations`, {
      method: 'POST',
      localAddress: CLIENT,
      headers: { authorization: `Bearer ${s.superAdmin.token}`, 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6' },
      body: JSON.stringify({ name: 'Planted', slug: 'planted-ip' }),
    });
    expect(res.status).toBe(201);
    const entries = (await s.porta.services.audit.list({ event: 'organization.created', limit: 500 })).data;
    const created = entries.find((e: any) => e.metadata?.slug === 'planted-ip' || e.targetId === JSON.parse(res.body).data.id);
    expect(created?.ipAddress).toBe(CLIENT);
  });

  describe('every absolute URL names ISSUER_BASE_URL, whatever Host and X-Forwarded-Host say', () => {
    const hostile = { host: 'evil.example', 'x-forwarded-host': 'evil2.example', 'x-forwarded-proto': 'http' };
    const issuer = () => `${ISSUER_BASE}/${t.slug}`;

    function expectOnlyIssuerUrls(doc: Record<string, unknown>) {
      const urls = Object.entries(doc).filter(([, v]) => typeof v === 'string' && /^https?:/.test(v));
      expect(urls.length).toBeGreaterThan(5);
      for (const [key, value] of urls) expect(`${key}=${value as string}`).toMatch(new RegExp(`^${key}=${issuer()}(/|$)`));
    }

    it('in discovery, directly, through the proxy and with an absolute-form request target', async () => {
      const path = `/${t.slug}/.well-known/openid-configuration`;
      for (const res of [
        await rawRequest(`${s.url}${path}`, { headers: hostile }),
        await rawRequest(`${proxy.url}${path}`, { localAddress: CLIENT, headers: hostile }),
        await rawRequest(s.url, { path: `http://evil.example${path}`, headers: hostile }),
      ]) {
        expect(res.status).toBe(200);
        const doc = await json(res);
        expect(doc.issuer).toBe(issuer());
        expectOnlyIssuerUrls(doc);
        expect(res.body).not.toContain('evil');
      }
    });

    it('lets shared caches keep discovery and JWKS: public, max-age, any origin, no Vary on Origin', async () => {
      for (const path of [`/${t.slug}/.well-known/openid-configuration`, `/${t.slug}/auth/jwks`]) {
        const res = await rawRequest(`${s.url}${path}`, { headers: { ...hostile, origin: 'https://rp.example' } });
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('public, max-age=300');
        expect(res.headers['access-control-allow-origin']).toBe('*');
        expect(String(res.headers.vary ?? '')).not.toMatch(/origin/i);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      const missing = await rawRequest(`${s.url}/${t.slug}/auth/token`, { headers: hostile });
      expect(missing.headers['cache-control'] ?? '').not.toMatch(/public/);
    });

    it('in the redirects of a sign-in and in the logout form and its redirect', async () => {
      const jar = new Map<string, string>();
      const send = async (path: string, init: { method?: string; form?: Record<string, string> } = {}) => {
        const res = await rawRequest(`${s.url}${path}`, {
          method: init.method ?? (init.form ? 'POST' : 'GET'),
          headers: {
            ...hostile,
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
            ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body: init.form ? new URLSearchParams(init.form).toString() : undefined,
        });
        for (const line of (res.headers['set-cookie'] ?? []) as string[]) {
          const [pair] = line.split(';');
          const eq = pair!.indexOf('=');
          jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
        }
        return res;
      };
      const pathOf = (location: string) => {
        const u = new URL(location, ISSUER_BASE);
        expect(u.origin).toBe(ISSUER_BASE);
        return `${u.pathname}${u.search}`;
      };

      const authorize = await send(
        `/${t.slug}/auth/authorize?${new URLSearchParams({
          client_id: t.spa.clientId, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state: 'st',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
        })}`,
      );
      expect(authorize.status).toBe(303);
      expect(authorize.headers.location).not.toContain('evil');
      const login = await send(pathOf(authorize.headers.location!));
      expect(login.status).toBe(200);
      const done = await send(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
      expect(done.status).toBe(303);
      expect(done.headers.location).toMatch(new RegExp(`^${issuer()}/auth/authorize/`));
      // The engine's own hops (the consent step, recorded automatically) stay on the issuer too.
      let location = done.headers.location!;
      for (let hop = 0; hop < 5 && !location.startsWith(REDIRECT_URI); hop++) {
        const next = await send(pathOf(location));
        expect(next.status).toBe(303);
        location = next.headers.location!;
      }
      const redirect = new URL(location);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
      expect(redirect.searchParams.get('iss')).toBe(issuer());

      const logout = await send(`/${t.slug}/auth/session/end?client_id=${t.spa.clientId}`);
      expect(logout.status).toBe(200);
      const confirm = formAction(logout.body, 'op.logoutForm');
      expect(confirm).toBe(`${issuer()}/auth/session/end/confirm`);
      const ended = await send(pathOf(confirm), { form: { xsrf: hiddenInput(logout.body, 'xsrf'), logout: 'yes' } });
      expect(ended.status).toBe(303);
      expect(ended.headers.location).toBe(`${issuer()}/auth/session/end/success`);
    });
  });
});

describe('behind a proxy trusted by address (TRUST_PROXY=<the proxy address>)', () => {
  let s: AdminServer;
  let t: Tenant;
  let proxy: ForwardingProxy;

  beforeAll(async () => {
    s = await startAdminServer({ env: { TRUST_PROXY: `${PROXY}, fd00::/8` }, extend: echoRequest });
    t = await createTenant(s.porta.services, 'by-address');
    proxy = await startForwardingProxy(s.url, { localAddress: PROXY });
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
  });

  it('believes X-Forwarded-For and X-Forwarded-Proto from the proxy only', async () => {
    const viaProxy = await rawRequest(`${proxy.url}/test/request`, { localAddress: CLIENT, headers: { 'x-forwarded-for': '10.1.1.1' } });
    expect(await json(viaProxy)).toMatchObject({ ip: CLIENT, protocol: 'https' });
    const direct = await rawRequest(`${s.url}/test/request`, { headers: { 'x-forwarded-for': `10.1.1.1, ${PROXY}`, 'x-forwarded-proto': 'https' } });
    expect(await json(direct)).toMatchObject({ ip: '127.0.0.1', protocol: 'http', secure: false });
  });

  it('keeps a client that talks to Porta directly inside the limit, whatever it forwards', async () => {
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '2');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await rawRequest(`${s.url}/${t.slug}/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `${spoofed()}, ${PROXY}` },
          body: `grant_type=client_credentials&client_id=${t.spa.clientId}`,
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(2)).toEqual([429, 429]);
      const entries = (await s.porta.services.audit.list({ event: 'security.rate_limited', limit: 500 })).data;
      expect(entries.filter((e: any) => e.metadata?.scope === 'token').map((e: any) => e.ipAddress)).toEqual(['127.0.0.1']);
    } finally {
      await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '30');
    }
  });
});
