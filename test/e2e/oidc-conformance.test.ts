import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { CreateClientInput } from '../../src/clients/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * Issue 12, protocol endpoint conformance (spec 70 §5): what relying-party libraries with default
 * settings expect of the authorization, end-session, token, introspection and revocation endpoints.
 */
function conformance(backends: 'embedded' | 'services') {
  let s: TestServer;
  let a: Tenant;
  let issuer: string;

  beforeAll(async () => {
    s = await startTestServer({ backends });
    for (const scope of ['token', 'introspection']) await s.porta.services.systemConfig.set(systemActor(), `rate_limit_${scope}_max`, '100000');
    a = await createTenant(s.porta.services, 'acme');
    issuer = `${s.url}/${a.slug}`;
  });
  afterAll(() => s?.stop());

  async function addClient(input: Omit<CreateClientInput, 'applicationId'>): Promise<{ clientId: string; secret: string }> {
    const created = await s.porta.services.clients.create(systemActor(), a.orgId, { applicationId: a.appId, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI], ...input });
    return { clientId: created.client.clientId, secret: created.secret?.plaintext ?? '' };
  }

  async function rp(clientId = a.confidential.clientId, secret: string | null = a.confidential.secret): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(issuer), clientId, undefined, secret === null ? oidc.None() : oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
  }

  async function authorizationUrl(params: Record<string, string>): Promise<{ url: string; verifier: string }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const query = new URLSearchParams({
      client_id: a.confidential.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
    });
    for (const [name, value] of Object.entries(params)) if (value === '') query.delete(name);
    return { url: `${issuer}/auth/authorize?${query}`, verifier };
  }

  /** The browser part of the code flow from an authorization URL: the login page, then what the engine answers. */
  async function signIn(browser: HttpBrowser, url: string) {
    const page = await browser.follow(url);
    expect(page.body).toContain('name="password"');
    return browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: a.email, password: PASSWORD } });
  }

  async function token(body: Record<string, string>, headers: Record<string, string> = { authorization: basic(a.confidential.clientId, a.confidential.secret) }) {
    const res = await fetch(`${issuer}/auth/token`, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(body) });
    return { res, json: (await res.json()) as Record<string, string> };
  }

  /** A signed-in browser and the tokens of its code flow (confidential client, basic auth). */
  async function signedIn(params: Record<string, string> = {}) {
    const browser = new HttpBrowser(s.url);
    const { url, verifier } = await authorizationUrl(params);
    const done = await signIn(browser, url);
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    const code = new URL(done.location!).searchParams.get('code')!;
    const tokens = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(tokens.res.status).toBe(200);
    return { browser, tokens: tokens.json, tokenResponse: tokens.res };
  }

  describe('form POST at the authorization and end-session endpoints', () => {
    it('answers a POSTed authorization request like the GET one (303 to it), so the session cookie comes along', async () => {
      const { browser } = await signedIn();
      const { url, verifier } = await authorizationUrl({ prompt: 'none', state: 'post-1' });
      const fields = Object.fromEntries(new URL(url).searchParams);
      const posted = await browser.request(`${issuer}/auth/authorize`, { form: fields });
      expect(posted.status).toBe(303);
      expect(posted.headers.get('cache-control')).toBe('no-store');
      const target = new URL(posted.location!);
      expect(`${target.origin}${target.pathname}`).toBe(`${issuer}/auth/authorize`);
      expect(Object.fromEntries(target.searchParams)).toEqual(fields);
      const done = await browser.follow(posted.location!);
      const callback = new URL(done.location!);
      expect(callback.searchParams.get('state')).toBe('post-1');
      const tokens = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier });
      expect(tokens.json.access_token).toBeTruthy();
    });

    it('keeps repeated parameters, which the engine then refuses', async () => {
      const { url } = await authorizationUrl({});
      const body = `${new URL(url).searchParams}&scope=profile`;
      const posted = await fetch(`${issuer}/auth/authorize`, { method: 'POST', headers: FORM, body, redirect: 'manual' });
      expect(posted.status).toBe(303);
      expect(new URL(posted.headers.get('location')!).searchParams.getAll('scope')).toEqual(['openid', 'profile']);
      const answer = await new HttpBrowser(s.url).request(posted.headers.get('location')!);
      expect(answer.location ?? answer.body).toMatch(/invalid_request/);
    });

    it('refuses what it cannot read: another content type, malformed encoding, more than 8 KB (400 page, no redirect)', async () => {
      const { url } = await authorizationUrl({});
      const fields = Object.fromEntries(new URL(url).searchParams);
      for (const init of [
        { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) },
        { headers: FORM, body: `${new URL(url).searchParams}&state=%zz` },
        { headers: FORM, body: `${new URL(url).searchParams}&state=${'x'.repeat(9 * 1024)}` },
      ]) {
        const res = await fetch(`${issuer}/auth/authorize`, { method: 'POST', redirect: 'manual', ...init });
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        expect(await res.text()).toContain('invalid_request');
      }
    });

    it('answers a POSTed logout request like the GET one; the sign-out itself still needs its xsrf token', async () => {
      const { browser } = await signedIn();
      const posted = await browser.request(`${issuer}/auth/session/end`, { form: { client_id: a.confidential.clientId, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' } });
      expect(posted.status).toBe(303);
      expect(posted.location).toBe(`${issuer}/auth/session/end?client_id=${a.confidential.clientId}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT_URI)}&state=bye`);
      const page = await browser.follow(posted.location!);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Sign out');
      const forged = await browser.request(formAction(page.body, 'op.logoutForm'), { form: { xsrf: 'forged', logout: 'yes' } });
      expect(forged.status).toBe(400);
      const done = await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
      expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    });
  });

  describe('response_mode=form_post', () => {
    it("lets the auto-submit page post to the redirect URI's origin, and only that one", async () => {
      const twoOrigins = await addClient({ clientName: 'Two origins', clientType: 'public', applicationType: 'spa', redirectUris: [REDIRECT_URI, 'https://other.example/cb'], grantTypes: ['authorization_code'] });
      const { url } = await authorizationUrl({ client_id: twoOrigins.clientId, response_mode: 'form_post', state: 'fp' });
      const page = await signIn(new HttpBrowser(s.url), url);
      expect(page.status).toBe(200);
      expect(formAction(page.body)).toBe(REDIRECT_URI);
      expect(hiddenInput(page.body, 'state')).toBe('fp');
      const directives = page.headers.get('content-security-policy')!.split(';').map((d) => d.trim());
      expect(directives).toContain("form-action 'self' http://127.0.0.1:8765");
      expect(directives.find((d) => d.startsWith('script-src'))).toMatch(/^script-src 'self' 'sha256-[A-Za-z0-9+/=]+'$/);
      expect(directives).toContain("default-src 'none'");
      expect(directives).toContain("frame-ancestors 'none'");
    });

    it('widens nothing for other answers: a query response, an error page', async () => {
      const redirected = await signIn(new HttpBrowser(s.url), (await authorizationUrl({})).url);
      expect(redirected.status).toBe(303);
      const { url } = await authorizationUrl({ response_mode: 'form_post', redirect_uri: 'https://evil.example/cb' });
      const error = await new HttpBrowser(s.url).request(url);
      expect(error.status).toBe(400);
      expect(error.headers.get('content-security-policy')).toContain("form-action 'self';");
      expect(error.headers.get('content-security-policy')).not.toContain('evil.example');
    });
  });

  describe('authorization-server metadata at the RFC 8414 path-inserted location', () => {
    it("answers the organization's own document", async () => {
      const inserted = await fetch(`${s.url}/.well-known/oauth-authorization-server/${a.slug}`);
      expect(inserted.status).toBe(200);
      expect(inserted.headers.get('cache-control')).toBe('public, max-age=300');
      const document = (await inserted.json()) as Record<string, unknown>;
      expect(document.issuer).toBe(issuer);
      expect(document.token_endpoint).toBe(`${issuer}/auth/token`);
      expect(document).toEqual(await fetch(`${issuer}/.well-known/oauth-authorization-server`).then((r) => r.json()));
      expect(document).toEqual(await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json()));
    });

    it('gives unknown and archived organizations one 404, and a suspended one the 403 of its own location', async () => {
      const archived = await createTenant(s.porta.services, 'gone-co');
      await s.porta.services.organizations.archive(systemActor(), archived.orgId);
      const suspended = await createTenant(s.porta.services, 'paused-co');
      await s.porta.services.organizations.suspend(systemActor(), suspended.orgId);
      const answers = [];
      for (const path of ['no-such-org', 'gone-co', 'Acme', `${a.slug}/extra`]) {
        const res = await fetch(`${s.url}/.well-known/oauth-authorization-server/${path}`);
        answers.push({ status: res.status, type: res.headers.get('content-type'), body: await res.text() });
      }
      expect(answers[0]).toEqual({ status: 404, type: 'application/json; charset=utf-8', body: JSON.stringify({ error: 'not_found', message: 'Not found.' }) });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      const paused = await fetch(`${s.url}/.well-known/oauth-authorization-server/paused-co`);
      expect(paused.status).toBe(403);
      expect(await paused.json()).toMatchObject({ error: 'organization_suspended' });
      expect((await fetch(`${s.url}/paused-co/.well-known/oauth-authorization-server`)).status).toBe(403);
    });
  });

  describe('RFC 6749 §5.2 errors', () => {
    it('refuses a grant type the client may not use with unauthorized_client', async () => {
      const publicCc = await token({ grant_type: 'client_credentials', client_id: a.spa.clientId }, {});
      expect(publicCc.res.status).toBe(400);
      expect(publicCc.json.error).toBe('unauthorized_client');
      const ccOnly = await addClient({ clientName: 'Machine', clientType: 'confidential', applicationType: 'web', redirectUris: [], postLogoutRedirectUris: [], grantTypes: ['client_credentials'] });
      const refresh = await token({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, { authorization: basic(ccOnly.clientId, ccOnly.secret) });
      expect(refresh.res.status).toBe(400);
      expect(refresh.json.error).toBe('unauthorized_client');
      // An unauthenticated caller learns nothing about the grant types of a client.
      const guessed = await token({ grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: basic(ccOnly.clientId, 'wrong') });
      expect(guessed.json.error).toBe('invalid_client');
    });

    it('keeps unsupported_grant_type and invalid_request where they belong', async () => {
      expect((await token({ grant_type: 'password', username: 'u', password: 'p' })).json.error).toBe('unsupported_grant_type');
      const missing = await token({});
      expect(missing.res.status).toBe(400);
      expect(missing.json.error).toBe('invalid_request');
    });

    it('answers missing or failed client authentication with 401 invalid_client and a Basic challenge, at every client endpoint', async () => {
      const challenge = `Basic realm="${issuer}", error="invalid_client"`;
      const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
        ['nothing', {}, {}],
        ['client_id only', { client_id: a.confidential.clientId }, {}],
        ['wrong secret (basic)', {}, { authorization: basic(a.confidential.clientId, 'wrong') }],
        ['wrong secret (post)', { client_id: a.confidential.clientId, client_secret: 'wrong' }, {}],
        ['unknown client', {}, { authorization: basic('no-such-client', 'secret') }],
      ];
      for (const path of ['/auth/token', '/auth/token/introspection', '/auth/token/revocation', '/auth/par']) {
        for (const [label, body, headers] of cases) {
          const params = { grant_type: 'client_credentials', token: 'x', response_type: 'code', redirect_uri: REDIRECT_URI, ...body };
          const res = await fetch(`${issuer}${path}`, { method: 'POST', headers: { ...FORM, ...headers }, body: new URLSearchParams(params) });
          expect({ path, label, status: res.status }).toEqual({ path, label, status: 401 });
          expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
          expect(res.headers.get('www-authenticate')).toContain(challenge);
        }
      }
    });

    it('surfaces as invalid_client in a certified client library', async () => {
      const noSecret = await oidc.discovery(new URL(issuer), a.confidential.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      await expect(oidc.clientCredentialsGrant(noSecret, {})).rejects.toMatchObject({ cause: [{ parameters: { error: 'invalid_client' } }] });
    });
  });

  describe('introspection and revocation answers', () => {
    it('reads an ID token, a foreign JWT and an unknown string as inactive (200), once the client is authenticated', async () => {
      const { tokens } = await signedIn();
      const foreignJwt = `${Buffer.from('{"alg":"RS256","kid":"x"}').toString('base64url')}.${Buffer.from('{"sub":"x","iss":"https://elsewhere.example"}').toString('base64url')}.c2ln`;
      const config = await rp();
      for (const candidate of [tokens.id_token!, foreignJwt, 'not-a-porta-token']) {
        const res = await fetch(`${issuer}/auth/token/introspection`, { method: 'POST', headers: { ...FORM, authorization: basic(a.confidential.clientId, a.confidential.secret) }, body: new URLSearchParams({ token: candidate }) });
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.json()).toEqual({ active: false });
        expect((await oidc.tokenIntrospection(config, candidate)).active).toBe(false);
      }
      expect((await oidc.tokenIntrospection(config, tokens.access_token!)).active).toBe(true);
      const anonymous = await fetch(`${issuer}/auth/token/introspection`, { method: 'POST', headers: FORM, body: new URLSearchParams({ token: tokens.id_token! }) });
      expect(anonymous.status).toBe(401);
    });

    it('answers a revocation with 200, application/json and {}', async () => {
      const { tokens } = await signedIn();
      for (const candidate of [tokens.access_token!, 'unknown-token']) {
        const res = await fetch(`${issuer}/auth/token/revocation`, { method: 'POST', headers: { ...FORM, authorization: basic(a.confidential.clientId, a.confidential.secret) }, body: new URLSearchParams({ token: candidate }) });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(await res.text()).toBe('{}');
      }
      expect((await oidc.tokenIntrospection(await rp(), tokens.access_token!)).active).toBe(false);
    });
  });

  describe('token responses', () => {
    it('carry Cache-Control: no-store and Pragma: no-cache, on success and on error', async () => {
      const { tokens, tokenResponse } = await signedIn({ scope: 'openid offline_access', prompt: 'consent' });
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      const cc = await token({ grant_type: 'client_credentials' });
      const failed = await token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43) });
      expect(failed.res.status).toBe(400);
      for (const res of [tokenResponse, refreshed.res, cc.res, failed.res]) {
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('pragma')).toBe('no-cache');
      }
    });

    it('name a narrowed scope: scopes the client is not registered for are left out of the request', async () => {
      const narrow = await addClient({ clientName: 'Narrow', clientType: 'confidential', applicationType: 'web', grantTypes: ['authorization_code'], scope: 'openid email' });
      const browser = new HttpBrowser(s.url);
      const { url, verifier } = await authorizationUrl({ client_id: narrow.clientId, scope: 'openid profile email phone' });
      const done = await signIn(browser, url);
      const code = new URL(done.location!).searchParams.get('code')!;
      const tokens = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, { authorization: basic(narrow.clientId, narrow.secret) });
      expect(tokens.json.scope).toBe('openid email');
      const claims = JSON.parse(Buffer.from(tokens.json.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims.given_name).toBeUndefined();
      const info = (await fetch(`${issuer}/auth/userinfo`, { headers: { authorization: `Bearer ${tokens.json.access_token}` } }).then((r) => r.json())) as Record<string, unknown>;
      expect(info.email).toBe(a.email);
      expect(info.family_name).toBeUndefined();
      expect(info.phone_number).toBeUndefined();
    });

    it('name a narrowed scope pushed with PAR', async () => {
      const narrow = await addClient({ clientName: 'Narrow PAR', clientType: 'confidential', applicationType: 'web', grantTypes: ['authorization_code'], scope: 'openid' });
      const config = await rp(narrow.clientId, narrow.secret);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT_URI, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      const done = await signIn(new HttpBrowser(s.url), url.toString());
      const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier });
      expect(tokens.scope).toBe('openid');
    });

    it('name the narrower scope a refresh asked for, and refuse a wider one', async () => {
      const { tokens } = await signedIn({ scope: 'openid profile email offline_access', prompt: 'consent' });
      expect(tokens.scope).toBe('openid profile email offline_access');
      const narrower = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: 'openid email' });
      expect(narrower.json.scope).toBe('openid email');
      const wider = await token({ grant_type: 'refresh_token', refresh_token: narrower.json.refresh_token!, scope: 'openid phone' });
      expect(wider.res.status).toBe(400);
      expect(wider.json.error).toBe('invalid_scope');
    });

    it('name the granted scope when nothing was narrowed', async () => {
      const { tokens } = await signedIn({ scope: 'openid email' });
      expect(tokens.scope).toBe('openid email');
    });
  });

  describe('PKCE per client', () => {
    const withoutPkce = (clientId: string) => authorizationUrl({ client_id: clientId, code_challenge: '', code_challenge_method: '' });

    it('lets a confidential client registered without PKCE sign in without it', async () => {
      const client = await addClient({ clientName: 'Legacy', clientType: 'confidential', applicationType: 'web', grantTypes: ['authorization_code'], requirePkce: false });
      const { url } = await withoutPkce(client.clientId);
      expect(new URL(url).searchParams.has('code_challenge')).toBe(false);
      const done = await signIn(new HttpBrowser(s.url), url);
      const code = new URL(done.location!).searchParams.get('code')!;
      const tokens = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, { authorization: basic(client.clientId, client.secret) });
      expect(tokens.res.status).toBe(200);
      expect(tokens.json.access_token).toBeTruthy();
      // A challenge it does send still binds the code.
      const { url: withChallenge } = await authorizationUrl({ client_id: client.clientId });
      const bound = await signIn(new HttpBrowser(s.url), withChallenge);
      const refused = await token({ grant_type: 'authorization_code', code: new URL(bound.location!).searchParams.get('code')!, redirect_uri: REDIRECT_URI }, { authorization: basic(client.clientId, client.secret) });
      expect(refused.json.error).toBe('invalid_grant');
    });

    it('requires it of confidential clients by default and of public clients always', async () => {
      for (const clientId of [a.confidential.clientId, a.spa.clientId]) {
        const { url } = await withoutPkce(clientId);
        const res = await new HttpBrowser(s.url).request(url);
        expect(res.status).toBe(303);
        expect(new URL(res.location!).searchParams.get('error')).toBe('invalid_request');
      }
    });

    it('knows no method but S256', async () => {
      const client = await addClient({ clientName: 'Legacy plain', clientType: 'confidential', applicationType: 'web', grantTypes: ['authorization_code'], requirePkce: false });
      for (const clientId of [a.confidential.clientId, a.spa.clientId, client.clientId]) {
        const { url } = await authorizationUrl({ client_id: clientId, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
        const res = await new HttpBrowser(s.url).request(url);
        expect(res.status).toBe(303);
        expect(new URL(res.location!).searchParams.get('error')).toBe('invalid_request');
      }
      const discovery = (await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json())) as Record<string, unknown>;
      expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    });
  });

  describe('silent SSO', () => {
    it('gives a second first-party client of the organization a code with prompt=none while the session lives', async () => {
      const { browser } = await signedIn();
      const { url, verifier } = await authorizationUrl({ client_id: a.spa.clientId, prompt: 'none', scope: 'openid profile' });
      const done = await browser.follow(url);
      expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
      const tokens = await token({ grant_type: 'authorization_code', client_id: a.spa.clientId, code: new URL(done.location!).searchParams.get('code')!, redirect_uri: REDIRECT_URI, code_verifier: verifier }, {});
      expect(tokens.res.status).toBe(200);
      expect(tokens.json.scope).toBe('openid profile');
      const claims = JSON.parse(Buffer.from(tokens.json.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims.sub).toBe(a.userId);
      // Again, now that the grant exists.
      expect((await browser.follow((await authorizationUrl({ client_id: a.spa.clientId, prompt: 'none' })).url)).location).toMatch(/callback\?code=/);
    });

    it('still asks consent for a client that requires it, and a login without a session', async () => {
      const thirdParty = await addClient({ clientName: 'Partner', clientType: 'confidential', applicationType: 'web', grantTypes: ['authorization_code'], requireConsent: true });
      const { browser } = await signedIn();
      const consent = await browser.follow((await authorizationUrl({ client_id: thirdParty.clientId, prompt: 'none' })).url);
      expect(new URL(consent.location!).searchParams.get('error')).toBe('consent_required');
      const page = await browser.follow((await authorizationUrl({ client_id: thirdParty.clientId })).url);
      expect(page.body).toContain('wants to access your account');
      const anonymous = await new HttpBrowser(s.url).follow((await authorizationUrl({ client_id: a.spa.clientId, prompt: 'none' })).url);
      expect(new URL(anonymous.location!).searchParams.get('error')).toBe('login_required');
    });

    it('still passes a native client through the interaction (RFC 8252 §8.6): interaction_required', async () => {
      const native = await addClient({ clientName: 'Desktop', clientType: 'public', applicationType: 'native', grantTypes: ['authorization_code'] });
      const { browser } = await signedIn();
      const silent = await browser.follow((await authorizationUrl({ client_id: native.clientId, prompt: 'none' })).url);
      expect(new URL(silent.location!).searchParams.get('error')).toBe('interaction_required');
      const interactive = await browser.follow((await authorizationUrl({ client_id: native.clientId })).url);
      expect(interactive.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    });
  });

  describe('rate limits', () => {
    it('still answer before the engine: a limited request without client authentication is 429, not invalid_client', async () => {
      await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '1');
      try {
        // Far more than one token request has come from this IP in the window.
        const limited = await token({ grant_type: 'client_credentials' }, {});
        expect(limited.res.status).toBe(429);
        expect(limited.json.error).toBe('rate_limited');
        expect(limited.res.headers.get('www-authenticate')).toBeNull();
      } finally {
        await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '100000');
      }
    });
  });
}

describe('OIDC protocol conformance (embedded PostgreSQL + in-process store)', () => conformance('embedded'));
describeWithServices('OIDC protocol conformance (PostgreSQL + Redis)', () => conformance('services'));
