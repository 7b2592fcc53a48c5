import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput, type PageResponse } from '../support/http-browser.js';
import { createTenant, PASSWORD, type Tenant } from '../support/oidc-fixtures.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The engine's base-20 alphabet in its XXXX-XXXX mask (RFC 8628 §6.1). */
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const RACERS = 10;

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * RFC 8628 device flow over HTTP, as a device and a person's browser would drive it: the device
 * authorization endpoint, Porta's user-code page, the normal sign-in, and the device's token polls.
 */
function deviceFlow(backends: 'embedded' | 'services') {
  let s: TestServer;
  let t: Tenant;
  /** A public, device-only client (no redirect URI) that may refresh. */
  let tv: { clientId: string };
  /** A confidential device client (client_secret_basic). */
  let box: { clientId: string; secret: string };

  const setConfig = (key: string, value: string) => s.porta.services.systemConfig.set(systemActor(), key, value);

  beforeAll(async () => {
    // The tests that check a limit come from their own address (X-Forwarded-For, one trusted hop).
    s = await startTestServer({ backends, env: { TRUST_PROXY: 'true' } });
    for (const key of ['rate_limit_token_max', 'rate_limit_login_max', 'rate_limit_device_user_code_max']) await setConfig(key, '100000');
    t = await createTenant(s.porta.services, 'devices');
    const services = s.porta.services;
    const tvClient = await services.clients.create(systemActor(), t.orgId, {
      applicationId: t.appId,
      clientName: 'Living room TV',
      clientType: 'public',
      applicationType: 'native',
      grantTypes: [DEVICE_GRANT, 'refresh_token'],
      scope: 'openid profile email offline_access',
    });
    tv = { clientId: tvClient.client.clientId };
    const boxClient = await services.clients.create(systemActor(), t.orgId, {
      applicationId: t.appId,
      clientName: 'Set-top box',
      clientType: 'confidential',
      grantTypes: [DEVICE_GRANT],
      scope: 'openid profile',
    });
    box = { clientId: boxClient.client.clientId, secret: boxClient.secret!.plaintext };
  });
  afterAll(() => s?.stop());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const issuer = () => `${s.url}/${t.slug}`;
  const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(`${issuer()}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  async function authorizeDevice(scope = 'openid profile email offline_access', from: Record<string, string> = {}): Promise<DeviceAuthorization> {
    const res = await post('/auth/device/auth', { client_id: tv.clientId, scope }, from);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as unknown as DeviceAuthorization;
  }

  const poll = (deviceCode: string, from: Record<string, string> = {}) => post('/auth/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: tv.clientId }, from);
  const fromAddress = (ip: string) => ({ 'x-forwarded-for': ip });

  /** The user-code page, then the code as typed: answers the confirmation page (or the page again). */
  async function enterCode(browser: HttpBrowser, typed: string, from: Record<string, string> = {}): Promise<PageResponse> {
    const page = await browser.request(`${issuer()}/auth/device`, { headers: from });
    expect(page.status).toBe(200);
    return browser.request(formAction(page.body), { form: { xsrf: hiddenInput(page.body, 'xsrf'), user_code: typed }, headers: from });
  }

  /** Confirmation page → Continue → Porta's login page → password → the device success page. */
  async function approve(browser: HttpBrowser, userCode: string): Promise<PageResponse> {
    const confirm = await enterCode(browser, userCode);
    expect(confirm.status, confirm.body).toBe(200);
    expect(confirm.body).toContain(userCode);
    const login = await browser.follow(formAction(confirm.body), {
      form: { xsrf: hiddenInput(confirm.body, 'xsrf'), user_code: hiddenInput(confirm.body, 'user_code'), confirm: 'yes' },
    });
    expect(login.url).toMatch(new RegExp(`/${t.slug}/interaction/[^/]+$`));
    expect(login.body).toContain('name="password"');
    return browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
  }

  it('discovery advertises the device authorization endpoint and grant', async () => {
    const d = (await fetch(`${issuer()}/.well-known/openid-configuration`).then((r) => r.json())) as Record<string, unknown>;
    expect(d.device_authorization_endpoint).toBe(`${issuer()}/auth/device/auth`);
    expect(d.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('happy path: device authorization, code on the branded page, sign-in, tokens with a verifiable ID token', async () => {
    const da = await authorizeDevice();
    expect(da.user_code).toMatch(USER_CODE);
    expect(da).toMatchObject({ verification_uri: `${issuer()}/auth/device`, expires_in: 600, interval: 5 });
    expect(da.verification_uri_complete).toBe(`${issuer()}/auth/device?user_code=${da.user_code}`);
    expect((await poll(da.device_code)).body.error).toBe('authorization_pending');

    const browser = new HttpBrowser(s.url);
    const page = await browser.request(da.verification_uri);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(page.body).toContain('<title>Connect a device · Org devices</title>');
    expect(page.body).toContain('<label for="user_code">Device code</label>');
    expect(page.body).not.toContain('<script');
    expect(browser.cookieNames(`/${t.slug}/auth/device`)).toContain('_session');

    // Typed loosely: lower case, no dash; the engine normalizes.
    const confirm = await browser.request(formAction(page.body), { form: { xsrf: hiddenInput(page.body, 'xsrf'), user_code: da.user_code.replace('-', '').toLowerCase() } });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Connect Living room TV?');
    expect(confirm.body).toContain(`<p class="user-code-display" id="user_code">${da.user_code}</p>`);
    expect(confirm.body).toContain('name="abort" value="yes"');

    const login = await browser.follow(formAction(confirm.body), {
      form: { xsrf: hiddenInput(confirm.body, 'xsrf'), user_code: hiddenInput(confirm.body, 'user_code'), confirm: 'yes' },
    });
    expect(login.body).toContain('Sign in to Living room TV');
    const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
    expect(done.status).toBe(200);
    expect(done.url).toMatch(new RegExp(`/${t.slug}/auth/device/[^/]+$`));
    expect(done.body).toContain('Device connected');
    expect(done.body).toContain('Living room TV is now signed in.');

    const tokens = await poll(da.device_code);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile email offline_access' });
    expect(tokens.body.refresh_token).toEqual(expect.any(String));
    const { payload } = await jwtVerify(String(tokens.body.id_token), createRemoteJWKSet(new URL(`${issuer()}/auth/jwks`)), { issuer: issuer(), audience: tv.clientId });
    expect(payload).toMatchObject({ sub: t.userId, org_slug: t.slug, email: t.email });

    const userinfo = await fetch(`${issuer()}/auth/userinfo`, { headers: { authorization: `Bearer ${String(tokens.body.access_token)}` } });
    expect(((await userinfo.json()) as { sub: string }).sub).toBe(t.userId);
    const refreshed = await post('/auth/token', { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), client_id: tv.clientId });
    expect(refreshed.status).toBe(200);

    // Single use: the user code is spent, and so is the device code (whose reuse revokes the grant).
    const again = await enterCode(new HttpBrowser(s.url), da.user_code);
    expect(again.status).toBe(400);
    expect(again.body).toContain('This code has already been used.');
    expect((await poll(da.device_code)).body.error).toBe('invalid_grant');
    const revoked = await fetch(`${issuer()}/auth/userinfo`, { headers: { authorization: `Bearer ${String(tokens.body.access_token)}` } });
    expect(revoked.status).toBe(401);

    const entries = (await s.porta.services.audit.list({ org: t.orgId, event: 'device.approved' })).data;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorType: 'account', actorId: t.userId, userId: t.userId, eventCategory: 'authentication', metadata: { clientId: tv.clientId } });
    const logins = (await s.porta.services.audit.list({ org: t.orgId, event: 'user.login.password.success' })).data;
    expect(logins.some((e) => (e.metadata as { clientId?: string }).clientId === tv.clientId)).toBe(true);
  });

  it('a confidential device client authenticates at both endpoints; a client without the grant is refused', async () => {
    const auth = { authorization: basic(box.clientId, box.secret) };
    const da = await post('/auth/device/auth', { scope: 'openid' }, auth);
    expect(da.status).toBe(200);
    const deviceCode = String(da.body.device_code);
    expect((await post('/auth/token', { grant_type: DEVICE_GRANT, device_code: deviceCode }, auth)).body.error).toBe('authorization_pending');
    expect((await post('/auth/token', { grant_type: DEVICE_GRANT, device_code: deviceCode }, { authorization: basic(box.clientId, 'wrong') })).status).toBe(401);
    const unauthenticated = await post('/auth/device/auth', { scope: 'openid' }, { authorization: basic(box.clientId, 'wrong') });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toBe('invalid_client');
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    const anonymous = await post('/auth/device/auth', { scope: 'openid' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    // Another client's device code is not a grant for this one.
    expect((await poll(deviceCode)).body.error).toBe('invalid_grant');
    expect((await post('/auth/device/auth', { scope: 'openid' }, { authorization: basic(t.confidential.clientId, t.confidential.secret) })).body.error).toBe('unauthorized_client');
    expect((await post('/auth/device/auth', { client_id: t.spa.clientId, scope: 'openid' })).body.error).toBe('unauthorized_client');
  });

  it('verification_uri_complete opens the page with the code filled in, without a script', async () => {
    const da = await authorizeDevice();
    const browser = new HttpBrowser(s.url);
    const page = await browser.request(da.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script');
    expect(page.body).toMatch(new RegExp(`<input id="user_code"[^>]*value="${da.user_code}"`));
    const confirm = await browser.request(formAction(page.body), { form: { xsrf: hiddenInput(page.body, 'xsrf'), user_code: da.user_code } });
    expect(confirm.body).toContain('Connect Living room TV?');
  });

  it('the page is CSRF-protected: a foreign or missing xsrf re-renders it, 400, and looks nothing up', async () => {
    const da = await authorizeDevice();
    const browser = new HttpBrowser(s.url);
    const page = await browser.request(`${issuer()}/auth/device`);
    const forged = await browser.request(formAction(page.body), { form: { xsrf: 'x'.repeat(48), user_code: da.user_code } });
    expect(forged.status, forged.body).toBe(400);
    expect(forged.body).toContain('Your form expired, please try again.');
    expect(forged.body).not.toContain('Connect Living room TV?');
    // A form posted from a browser without the session that issued its xsrf value (cross-site): back to the page.
    const stranger = new HttpBrowser(s.url);
    const fresh = await stranger.request(formAction(page.body), { form: { xsrf: hiddenInput(page.body, 'xsrf'), user_code: da.user_code } });
    expect(fresh.status).toBe(303);
    expect(fresh.location).toBe(`${issuer()}/auth/device`);
    const restart = await stranger.request(fresh.location!);
    expect(restart.status).toBe(200);
    expect(restart.body).not.toContain(da.user_code);
    // The re-rendered page carries a fresh, working value.
    const retry = await browser.request(formAction(forged.body), { form: { xsrf: hiddenInput(forged.body, 'xsrf'), user_code: da.user_code } });
    expect(retry.body).toContain('Connect Living room TV?');
  });

  it('wrong user codes get a localized message, then 429 with Retry-After once over the limit', async () => {
    await setConfig('rate_limit_device_user_code_max', '3');
    const from = fromAddress('198.51.100.1');
    try {
      const da = await authorizeDevice();
      const browser = new HttpBrowser(s.url);
      for (let i = 0; i < 3; i++) {
        const wrong = await enterCode(browser, 'BBBB-BBBB', from);
        expect(wrong.status).toBe(400);
        expect(wrong.body).toContain('That code is not valid. Check the code on your device and try again.');
        expect(wrong.body).toContain('aria-invalid="true"');
      }
      // Over the limit even the right code is not looked up.
      for (const typed of ['CCCC-CCCC', da.user_code]) {
        const limited = await enterCode(browser, typed, from);
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(limited.body).toContain('Too many attempts. Please wait 15 minutes and try again.');
        expect(limited.body).not.toContain('Connect Living room TV?');
      }
      // Another address is not limited.
      expect((await enterCode(browser, da.user_code, fromAddress('198.51.100.2'))).body).toContain('Connect Living room TV?');
      const audited = (await s.porta.services.audit.list({ org: t.orgId, event: 'security.rate_limited' })).data;
      expect(audited.some((e) => (e.metadata as { scope?: string }).scope === 'device_user_code')).toBe(true);
    } finally {
      await setConfig('rate_limit_device_user_code_max', '100000');
    }
  });

  it('a right code is given back: it never uses up the limit', async () => {
    await setConfig('rate_limit_device_user_code_max', '2');
    try {
      const browser = new HttpBrowser(s.url);
      const from = fromAddress('198.51.100.3');
      for (let i = 0; i < 4; i++) {
        const da = await authorizeDevice();
        expect((await enterCode(browser, da.user_code, from)).body).toContain('Connect Living room TV?');
      }
      expect((await enterCode(browser, 'BBBB-BBBB', from)).status).toBe(400);
      expect((await enterCode(browser, 'BBBB-BBBB', from)).status).toBe(400);
      expect((await enterCode(browser, 'BBBB-BBBB', from)).status).toBe(429);
    } finally {
      await setConfig('rate_limit_device_user_code_max', '100000');
    }
  });

  it('Deny on the confirmation page: the device gets access_denied, once; the denial is audited', async () => {
    const da = await authorizeDevice();
    const browser = new HttpBrowser(s.url);
    const confirm = await enterCode(browser, da.user_code);
    const denied = await browser.request(formAction(confirm.body), {
      form: { xsrf: hiddenInput(confirm.body, 'xsrf'), user_code: hiddenInput(confirm.body, 'user_code'), abort: 'yes' },
    });
    expect(denied.status).toBe(200);
    expect(denied.body).toContain('Access was denied: the device was not connected.');
    const answer = await poll(da.device_code);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('access_denied');
    expect((await poll(da.device_code)).body.error).toBe('invalid_grant');
    expect((await enterCode(browser, da.user_code)).body).toContain('This code has already been used.');
    const entries = (await s.porta.services.audit.list({ org: t.orgId, event: 'device.denied' })).data;
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries[0]).toMatchObject({ eventCategory: 'authentication', metadata: { clientId: tv.clientId } });
  });

  it('Deny on the consent page of a client that asks for consent: access_denied, audited with the account', async () => {
    const kiosk = await s.porta.services.clients.create(systemActor(), t.orgId, {
      applicationId: t.appId,
      clientName: 'Lobby kiosk',
      clientType: 'public',
      applicationType: 'native',
      grantTypes: [DEVICE_GRANT],
      scope: 'openid profile',
      requireConsent: true,
    });
    const res = await post('/auth/device/auth', { client_id: kiosk.client.clientId, scope: 'openid profile' });
    const da = res.body as unknown as DeviceAuthorization;
    const browser = new HttpBrowser(s.url);
    const consent = await approve(browser, da.user_code);
    expect(consent.body).toContain('Lobby kiosk wants to access your account');
    const abortAction = /action="([^"]*\/abort)"/.exec(consent.body)![1]!;
    const denied = await browser.follow(abortAction, { form: { _csrf: hiddenInput(consent.body, '_csrf') } });
    expect(denied.body).toContain('Access was denied: the device was not connected.');
    const answer = await post('/auth/token', { grant_type: DEVICE_GRANT, device_code: da.device_code, client_id: kiosk.client.clientId });
    expect(answer.body.error).toBe('access_denied');
    const entries = (await s.porta.services.audit.list({ org: t.orgId, event: 'device.denied', actor: t.userId })).data;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actorType: 'account', userId: t.userId, targetId: kiosk.client.id, metadata: { clientId: kiosk.client.clientId } });
  });

  it('polling faster than the interval gets slow_down; pending polls at the interval do not use up the token limit', async () => {
    const da = await authorizeDevice();
    expect((await poll(da.device_code)).body.error).toBe('authorization_pending');
    const fast = await poll(da.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');
    expect((await poll(da.device_code)).body.error).toBe('slow_down');

    await setConfig('rate_limit_token_max', '3');
    const from = fromAddress('198.51.100.4');
    try {
      // Device authorizations count; each code's first poll is pending at the interval and is given back.
      for (let i = 0; i < 2; i++) {
        const da = await authorizeDevice('openid', from);
        expect((await poll(da.device_code, from)).body.error).toBe('authorization_pending');
      }
      await authorizeDevice('openid', from);
      const over = await post('/auth/device/auth', { client_id: tv.clientId, scope: 'openid' }, from);
      expect(over.status).toBe(429);
      expect(over.body.error).toBe('rate_limited');
    } finally {
      await setConfig('rate_limit_token_max', '100000');
    }
  });

  it('an expired device code: the device gets expired_token, the page says so', async () => {
    const da = await authorizeDevice();
    const later = Date.now() + (da.expires_in + 5) * 1000;
    vi.spyOn(Date, 'now').mockImplementation(() => later);
    const answer = await poll(da.device_code);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('expired_token');
    const page = await enterCode(new HttpBrowser(s.url), da.user_code);
    expect(page.status).toBe(400);
    expect(page.body).toContain('This code has expired.');
  });

  // The adapter's atomic consume lets one poll record the consumption; every other one is a reuse, and
  // reuse revokes the grant (as the engine does for a second, later redemption). The winner looks its
  // grant up after consuming, so when a loser's revocation lands first nobody gets tokens: never two.
  it(`${RACERS} concurrent polls of an approved device code: at most one token response`, async () => {
    const da = await authorizeDevice('openid');
    expect((await approve(new HttpBrowser(s.url), da.user_code)).body).toContain('Device connected');
    const replies = await Promise.all(Array.from({ length: RACERS }, () => poll(da.device_code)));
    const winners = replies.filter((r) => r.status === 200);
    expect(winners.length, JSON.stringify(replies.map((r) => r.body.error ?? r.status))).toBeLessThanOrEqual(1);
    expect(replies.filter((r) => r.status !== 200).length).toBeGreaterThanOrEqual(RACERS - 1);
    for (const loser of replies.filter((r) => r.status !== 200)) expect(loser.body.error).toBe('invalid_grant');
  });
}

describe('device authorization grant (embedded PostgreSQL + in-process store)', () => deviceFlow('embedded'));
describeWithServices('device authorization grant (PostgreSQL + Redis)', () => deviceFlow('services'));
