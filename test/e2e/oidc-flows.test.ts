import * as oidc from 'openid-client';
import { systemActor } from '../../src/actors/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** The whole suite runs on the embedded backends and on real PostgreSQL + Redis. */
function oidcFlows(backends: 'embedded' | 'services') {
  let s: TestServer;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    s = await startTestServer({ backends });
    // Every flow of this file comes from one loopback address: the token endpoint's per-IP limit
    // (rate-limits.test.ts proves it) would otherwise cut the file short.
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '100000');
    a = await createTenant(s.porta.services, 'acme');
    b = await createTenant(s.porta.services, 'globex');
  });
  afterAll(() => s?.stop());

  const issuerOf = (t: Tenant) => `${s.url}/${t.slug}`;

  /** The OAuth error code of a rejected openid-client call (401 challenges carry it in their cause). */
  async function oauthError(promise: Promise<unknown>): Promise<string | undefined> {
    try {
      await promise;
    } catch (err) {
      const e = err as { error?: string; cause?: Array<{ parameters?: { error?: string } }> };
      return e.error ?? e.cause?.[0]?.parameters?.error;
    }
    return undefined;
  }

  async function rp(t: Tenant, kind: 'confidential' | 'spa' = 'confidential', auth: 'basic' | 'post' = 'basic') {
    const clientAuth = kind === 'spa' ? oidc.None() : auth === 'basic' ? oidc.ClientSecretBasic(t.confidential.secret) : oidc.ClientSecretPost(t.confidential.secret);
    const clientId = kind === 'spa' ? t.spa.clientId : t.confidential.clientId;
    return oidc.discovery(new URL(issuerOf(t)), clientId, undefined, clientAuth, { execute: [oidc.allowInsecureRequests] });
  }

  /** Runs the browser part of code + PKCE: authorize, login form, (consent), back to the callback. */
  async function login(config: oidc.Configuration, browser: HttpBrowser, params: Record<string, string> = {}, credentials = { email: 'ada@example.com', password: PASSWORD }) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    const page = await browser.follow(url.toString());
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    const done = await browser.follow(formAction(page.body), {
      form: { _csrf: hiddenInput(page.body, '_csrf'), email: credentials.email, password: credentials.password },
    });
    return { done, verifier, state };
  }

  async function codeFlow(t: Tenant, kind: 'confidential' | 'spa' = 'confidential', auth: 'basic' | 'post' = 'basic') {
    const config = await rp(t, kind, auth);
    const browser = new HttpBrowser(s.url);
    const { done, verifier, state } = await login(config, browser);
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
    return { config, browser, tokens, callback: done.location! };
  }

  describe('discovery and keys', () => {
    it('publishes the spec 10 §3 surface at each organization issuer', async () => {
      const res = await fetch(`${issuerOf(a)}/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      const d = (await res.json()) as Record<string, unknown>;
      expect(d.issuer).toBe(issuerOf(a));
      expect(d.authorization_endpoint).toBe(`${issuerOf(a)}/auth/authorize`);
      expect(d.token_endpoint).toBe(`${issuerOf(a)}/auth/token`);
      expect(d.introspection_endpoint).toBe(`${issuerOf(a)}/auth/token/introspection`);
      expect(d.revocation_endpoint).toBe(`${issuerOf(a)}/auth/token/revocation`);
      expect(d.userinfo_endpoint).toBe(`${issuerOf(a)}/auth/userinfo`);
      expect(d.jwks_uri).toBe(`${issuerOf(a)}/auth/jwks`);
      expect(d.end_session_endpoint).toBe(`${issuerOf(a)}/auth/session/end`);
      expect(d.pushed_authorization_request_endpoint).toBe(`${issuerOf(a)}/auth/par`);
      expect(d.response_types_supported).toEqual(['code']);
      expect(d.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
      expect((d.grant_types_supported as string[]).includes('implicit')).toBe(false);
      expect(d.code_challenge_methods_supported).toEqual(['S256']);
      expect([...(d.id_token_signing_alg_values_supported as string[])].sort()).toEqual(['ES256', 'PS256', 'RS256']);
      expect(d.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
      expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']));
      expect(d.claims_supported).toEqual(expect.arrayContaining(['sub', 'org_id', 'org_slug', 'roles', 'permissions', 'email']));
      expect(d.request_parameter_supported).toBeUndefined();
      expect(JSON.stringify(d)).not.toMatch(/"none"\]|,"none"/.source === '' ? /x/ : /_signing_alg_values_supported":\[[^\]]*"none"/);
      expect((await fetch(`${issuerOf(b)}/.well-known/openid-configuration`).then((r) => r.json()) as { issuer: string }).issuer).toBe(issuerOf(b));
    });

    it('serves public RSA (RS256, PS256) and P-256 (ES256) keys only', async () => {
      const jwks = (await fetch(`${issuerOf(a)}/auth/jwks`).then((r) => r.json())) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys.map((k) => k.kty).sort()).toEqual(['EC', 'RSA']);
      for (const k of jwks.keys) {
        expect(k).toMatchObject(k.kty === 'RSA' ? { e: 'AQAB', use: 'sig' } : { crv: 'P-256', alg: 'ES256', use: 'sig' });
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k[member]).toBeUndefined();
        expect(String(k.kid)).toMatch(/^[0-9a-f]{16}$/);
      }
    });

    it('answers 404 for unknown organizations', async () => {
      expect((await fetch(`${s.url}/no-such-org/.well-known/openid-configuration`)).status).toBe(404);
    });
  });

  describe('authorization code + PKCE', () => {
    it('logs in a user with client_secret_basic and returns tokens, ID token claims and userinfo', async () => {
      const { config, tokens } = await codeFlow(a);
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(tokens.refresh_token).toBeTruthy();
      const claims = tokens.claims()!;
      expect(claims.iss).toBe(issuerOf(a));
      expect(claims.sub).toBe(a.userId);
      expect(claims.org_id).toBe(a.orgId);
      expect(claims.org_slug).toBe('acme');
      const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string; kid: string };
      expect(header.alg).toBe('RS256');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, a.userId);
      expect(info).toMatchObject({ sub: a.userId, email: 'ada@example.com', email_verified: true, given_name: 'Ada', family_name: 'Lovelace', name: 'Ada Lovelace', org_slug: 'acme' });
    });

    it('works with client_secret_post (only once registered so) and with a public SPA client (PKCE, no secret)', async () => {
      // Spec 70 §5: the registered method is the only one accepted.
      expect(await oauthError(codeFlow(a, 'confidential', 'post'))).toBe('invalid_client');
      const clients = s.porta.services.clients;
      await clients.update(systemActor(), a.orgId, a.confidential.id, { tokenEndpointAuthMethod: 'client_secret_post' });
      try {
        const post = await codeFlow(a, 'confidential', 'post');
        expect(post.tokens.access_token).toBeTruthy();
      } finally {
        await clients.update(systemActor(), a.orgId, a.confidential.id, { tokenEndpointAuthMethod: 'client_secret_basic' });
      }
      const spa = await codeFlow(a, 'spa');
      expect(spa.tokens.refresh_token).toBeTruthy();
    });

    it('rotates refresh tokens and revokes the grant when a rotated-out token is reused', async () => {
      const { config, tokens } = await codeFlow(a);
      const first = tokens.refresh_token!;
      const next = await oidc.refreshTokenGrant(config, first);
      expect(next.refresh_token).toBeTruthy();
      expect(next.refresh_token).not.toBe(first);
      await expect(oidc.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.refreshTokenGrant(config, next.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it("neither introspects nor revokes another client's token", async () => {
      const { tokens } = await codeFlow(a);
      const res = await fetch(`${issuerOf(a)}/auth/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token, client_id: a.spa.clientId }),
      });
      expect(res.status).toBe(200);
      expect((await oidc.tokenIntrospection(await rp(a), tokens.access_token)).active).toBe(true);
      const other = await s.porta.services.clients.create(systemActor(), a.orgId, {
        applicationId: a.appId, clientName: 'Other', clientType: 'confidential', applicationType: 'web',
        redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'client_credentials'],
      });
      const otherRp = await oidc.discovery(new URL(issuerOf(a)), other.client.clientId, undefined, oidc.ClientSecretBasic(other.secret!.plaintext), { execute: [oidc.allowInsecureRequests] });
      expect((await oidc.tokenIntrospection(otherRp, tokens.access_token)).active).toBe(false);
    });

    it('introspects and revokes', async () => {
      const { config, tokens } = await codeFlow(a);
      const live = await oidc.tokenIntrospection(config, tokens.access_token);
      expect(live).toMatchObject({ active: true, client_id: a.confidential.clientId, sub: a.userId, iss: issuerOf(a), token_type: 'Bearer' });
      await oidc.tokenRevocation(config, tokens.access_token);
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses a code redeemed twice, and the tokens of the first redemption die', async () => {
      const config = await rp(a);
      const browser = new HttpBrowser(s.url);
      const { done, verifier, state } = await login(config, browser);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
      await expect(oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    });

    it('refuses a wrong or missing PKCE verifier', async () => {
      const config = await rp(a);
      const { done, state } = await login(config, new HttpBrowser(s.url));
      await expect(oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('requires PKCE on every authorization request', async () => {
      const url = `${issuerOf(a)}/auth/authorize?client_id=${a.confidential.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`;
      const res = await new HttpBrowser(s.url).request(url);
      expect(res.status).toBe(303);
      expect(res.location).toMatch(/error=invalid_request/);
    });

    it('refuses an unregistered redirect URI with an error page, not a redirect', async () => {
      const config = await rp(a);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: 'https://evil.example/callback',
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const res = await new HttpBrowser(s.url).request(url.toString());
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.body).toContain('invalid_redirect_uri');
      expect(res.body).not.toContain('evil.example');
    });

    it('refuses implicit and hybrid response types', async () => {
      const base = `${issuerOf(a)}/auth/authorize?client_id=${a.spa.clientId}&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&nonce=n`;
      for (const rt of ['id_token', 'id_token token', 'code id_token']) {
        const res = await new HttpBrowser(s.url).request(`${base}&response_type=${encodeURIComponent(rt)}`);
        expect(res.status === 400 || /error=unsupported_response_type|error=invalid_request|error=unauthorized_client/.test(res.location ?? '')).toBe(true);
      }
    });

    it('supports pushed authorization requests', async () => {
      const config = await rp(a);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
      const page = await new HttpBrowser(s.url).follow(url.toString());
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="password"');
    });
  });

  describe('login page', () => {
    it('gives one identical answer for a wrong password, an unknown e-mail and an inactive account', async () => {
      await s.porta.services.users.create(systemActor(), a.orgId, { email: 'gone@example.com', password: PASSWORD, status: 'inactive' });
      const config = await rp(a);
      const bodies: string[] = [];
      for (const creds of [
        { email: 'ada@example.com', password: 'wrong password!' },
        { email: 'nobody@example.com', password: PASSWORD },
        { email: 'gone@example.com', password: PASSWORD },
      ]) {
        const { done } = await login(config, new HttpBrowser(s.url), {}, creds);
        expect(done.status).toBe(401);
        expect(done.body).toContain('Invalid email or password.');
        bodies.push(done.body.replace(creds.email, 'EMAIL').replace(/name="_csrf" value="[^"]+"/, '').replace(/interaction\/[A-Za-z0-9_-]+/g, 'interaction/UID').replace(/interaction(?:=|&#x3D;)[A-Za-z0-9_-]+/g, 'interaction=UID'));
      }
      expect(bodies[1]).toBe(bodies[0]);
      expect(bodies[2]).toBe(bodies[0]);
    });

    it('rejects a login POST without the CSRF token and changes nothing', async () => {
      const config = await rp(a);
      const browser = new HttpBrowser(s.url);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const page = await browser.follow(url.toString());
      const res = await browser.request(formAction(page.body), { form: { email: a.email, password: PASSWORD, _csrf: 'forged' } });
      expect(res.status).toBe(400);
      expect(res.body).toContain('Your form expired, please try again.');
    });

    it('sets HttpOnly, SameSite cookies scoped to the organization path', async () => {
      const config = await rp(a);
      const browser = new HttpBrowser(s.url);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const res = await browser.request(url.toString());
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) {
        expect(c).toMatch(/httponly/i);
        expect(c).toMatch(/samesite=lax/i);
        expect(c).toMatch(/path=\/acme/);
      }
    });
  });

  describe('consent', () => {
    it('shows the consent page when the client requires it; Deny returns access_denied, Allow completes', async () => {
      const c = await createTenant(s.porta.services, 'initech', { requireConsent: true });
      const config = await rp(c);
      const deny = await login(config, new HttpBrowser(s.url));
      expect(deny.done.status).toBe(200);
      expect(deny.done.body).toContain('wants to access your account');
      const browserState = new HttpBrowser(s.url);
      const allow = await login(config, browserState);
      const confirmAction = /action="([^"]*consent\/confirm)"/.exec(allow.done.body)![1]!;
      const done = await browserState.follow(confirmAction, { form: { _csrf: hiddenInput(allow.done.body, '_csrf') } });
      expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: allow.verifier, expectedState: allow.state });
      expect(tokens.access_token).toBeTruthy();
    });
  });

  describe('client credentials', () => {
    it('issues a token to a confidential client, introspectable by that client only', async () => {
      const config = await rp(a);
      const cc = await oidc.clientCredentialsGrant(config, {});
      expect(cc.access_token).toBeTruthy();
      expect(cc.refresh_token).toBeUndefined();
      expect((await oidc.tokenIntrospection(config, cc.access_token)).active).toBe(true);
    });

    it('accepts every active secret of the client and refuses wrong or revoked ones', async () => {
      const extra = await s.porta.services.clients.generateSecret(systemActor(), a.orgId, a.confidential.id, { label: 'rotation' });
      const withNew = await oidc.discovery(new URL(issuerOf(a)), a.confidential.clientId, undefined, oidc.ClientSecretBasic(extra.plaintext), { execute: [oidc.allowInsecureRequests] });
      expect((await oidc.clientCredentialsGrant(withNew, {})).access_token).toBeTruthy();
      expect((await oidc.clientCredentialsGrant(await rp(a), {})).access_token).toBeTruthy();
      await s.porta.services.clients.revokeSecret(systemActor(), a.orgId, a.confidential.id, extra.id);
      expect(await oauthError(oidc.clientCredentialsGrant(withNew, {}))).toBe('invalid_client');
      const wrong = await oidc.discovery(new URL(issuerOf(a)), a.confidential.clientId, undefined, oidc.ClientSecretBasic('x'.repeat(64)), { execute: [oidc.allowInsecureRequests] });
      expect(await oauthError(oidc.clientCredentialsGrant(wrong, {}))).toBe('invalid_client');
    });

    it('refuses client credentials for a public client', async () => {
      const res = await fetch(`${issuerOf(a)}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: a.spa.clientId }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/unauthorized_client|invalid_request|invalid_client/);
    });
  });

  describe('tenant isolation', () => {
    it("does not know another organization's client anywhere", async () => {
      const foreign = await oidc.discovery(new URL(issuerOf(b)), a.confidential.clientId, undefined, oidc.ClientSecretBasic(a.confidential.secret), { execute: [oidc.allowInsecureRequests] });
      expect(await oauthError(oidc.clientCredentialsGrant(foreign, {}))).toBe('invalid_client');
      const url = `${issuerOf(b)}/auth/authorize?client_id=${a.confidential.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
      const res = await new HttpBrowser(s.url).request(url);
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.body).not.toContain('name="password"');
    });

    it("makes one organization's tokens useless at another", async () => {
      const { tokens } = await codeFlow(a);
      const atB = await rp(b);
      await expect(oidc.fetchUserInfo(atB, tokens.access_token, a.userId)).rejects.toBeTruthy();
      expect((await oidc.tokenIntrospection(atB, tokens.access_token)).active).toBe(false);
      await expect(oidc.refreshTokenGrant(atB, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it("does not accept one organization's code at another", async () => {
      const configA = await rp(a);
      const { done, verifier } = await login(configA, new HttpBrowser(s.url));
      const code = new URL(done.location!).searchParams.get('code')!;
      const res = await fetch(`${issuerOf(b)}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(b.confidential.clientId)}:${encodeURIComponent(b.confidential.secret)}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
    });

    it('gives no silent SSO across organizations', async () => {
      const { browser } = await codeFlow(a);
      const configB = await rp(b);
      const url = oidc.buildAuthorizationUrl(configB, {
        redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      const res = await browser.follow(url.toString());
      expect(res.location).toMatch(/error=login_required/);
    });

    it('keeps same-e-mail users of two organizations apart', async () => {
      const { tokens: ta } = await codeFlow(a);
      const { tokens: tb } = await codeFlow(b);
      expect(ta.claims()!.sub).toBe(a.userId);
      expect(tb.claims()!.sub).toBe(b.userId);
      expect(a.userId).not.toBe(b.userId);
    });
  });

  describe('logout', () => {
    it('shows the two-action page without a hint, and signs out with Sign Out', async () => {
      const { browser, config } = await codeFlow(a);
      const end = oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT_URI, state: 'st1', client_id: a.confidential.clientId });
      const page = await browser.follow(end.toString());
      expect(page.status).toBe(200);
      expect(page.body).toContain('Sign out');
      expect(page.body).toContain('Return to application');
      expect(page.body).toContain('You are leaving Web acme.');
      expect(page.body.replace(/&#x3D;/g, '=')).toContain(`href="${POST_LOGOUT_URI}?state=st1"`);
      const done = await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
      expect(done.location).toBe(`${POST_LOGOUT_URI}?state=st1`);
      const again = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      expect((await browser.follow(again.toString())).location).toMatch(/error=login_required/);
    });

    it('auto-submits sign-out with an id_token_hint', async () => {
      const { browser, config, tokens } = await codeFlow(a);
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI });
      const page = await browser.follow(end.toString());
      expect(page.body).toContain("getElementById('op.logoutForm')");
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    });
  });

  describe('organization status', () => {
    it('rejects everything while suspended, and 404s once archived', async () => {
      const c = await createTenant(s.porta.services, 'umbrella');
      const { config, tokens } = await codeFlow(c);
      await s.porta.services.organizations.suspend(systemActor(), c.orgId);
      const disc = await fetch(`${issuerOf(c)}/.well-known/openid-configuration`);
      expect(disc.status).toBe(403);
      expect(await disc.json()).toMatchObject({ error: 'organization_suspended' });
      await expect(oidc.fetchUserInfo(config, tokens.access_token, c.userId)).rejects.toBeTruthy();
      const page = await new HttpBrowser(s.url).request(`${issuerOf(c)}/auth/authorize?client_id=x`);
      expect(page.status).toBe(403);
      expect(page.body).toContain('This organization is currently unavailable.');
      await s.porta.services.organizations.activate(systemActor(), c.orgId);
      expect((await oidc.fetchUserInfo(config, tokens.access_token, c.userId)).sub).toBe(c.userId);
      await s.porta.services.organizations.archive(systemActor(), c.orgId);
      expect((await fetch(`${issuerOf(c)}/.well-known/openid-configuration`)).status).toBe(404);
    });
  });
}

describe('OIDC flows (embedded PostgreSQL + in-process store)', () => oidcFlows('embedded'));
describeWithServices('OIDC flows (PostgreSQL + Redis)', () => oidcFlows('services'));
