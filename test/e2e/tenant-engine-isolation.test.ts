import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

interface Twin {
  clientId: string;
  secret: string;
}

/**
 * One OIDC engine serves every organization (oidc/registry.ts); whatever differs per organization comes
 * from the request's tenant scope. These tests aim at what such a design could get wrong: an issuer, a
 * cached client, a cookie, a code or a token of one organization showing up at another.
 */
function sharedEngineIsolation(backends: 'embedded' | 'services') {
  let s: TestServer;
  let a: Tenant;
  let b: Tenant;
  /** Clients registered alike in both organizations: same name, grants, scope and redirect URI. */
  const twins: Record<'a' | 'b', Twin> = {} as Record<'a' | 'b', Twin>;

  beforeAll(async () => {
    s = await startTestServer({ backends });
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '100000');
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_introspection_max', '100000');
    a = await createTenant(s.porta.services, 'iso-acme');
    b = await createTenant(s.porta.services, 'iso-globex', { appSlug: 'app-iso-acme' });
    for (const [key, t] of [['a', a], ['b', b]] as const) {
      const made = await s.porta.services.clients.create(systemActor(), t.orgId, {
        applicationId: a.appId, clientName: 'Twin', clientType: 'confidential', applicationType: 'web', clientId: `twin-${t.slug}`,
        redirectUris: [REDIRECT_URI], grantTypes: ['client_credentials'], scope: 'openid',
      });
      twins[key] = { clientId: made.client.clientId, secret: made.secret!.plaintext };
    }
  });
  afterAll(() => s?.stop());

  const issuerOf = (t: Tenant) => `${s.url}/${t.slug}`;
  const basic = (c: Twin) => `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;

  async function clientCredentials(t: Tenant, c: Twin) {
    const res = await fetch(`${issuerOf(t)}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c) },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function introspect(t: Tenant, c: Twin, token: string) {
    const res = await fetch(`${issuerOf(t)}/auth/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c) },
      body: new URLSearchParams({ token }),
    });
    return (await res.json()) as { active: boolean; client_id?: string; iss?: string };
  }

  async function rp(t: Tenant) {
    return oidc.discovery(new URL(issuerOf(t)), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });
  }

  /** A browser signs in at `t` and gets its code (not yet redeemed). */
  async function signIn(t: Tenant, browser = new HttpBrowser(s.url)) {
    const config = await rp(t);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const page = await browser.follow(url.toString());
    expect(page.body).toContain('name="password"');
    const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    return { config, browser, verifier, callback: new URL(done.location!) };
  }

  async function codeFlow(t: Tenant) {
    const { config, browser, verifier, callback } = await signIn(t);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    return { config, browser, tokens };
  }

  it('answers discovery of two organizations interleaved under load with each one its own issuer and endpoints', async () => {
    const rounds = 60;
    const answers = await Promise.all(
      Array.from({ length: rounds * 2 }, async (_, i) => {
        const t = i % 2 === 0 ? a : b;
        const res = await fetch(`${issuerOf(t)}/.well-known/openid-configuration`);
        return { t, status: res.status, body: (await res.json()) as Record<string, string> };
      }),
    );
    for (const { t, status, body } of answers) {
      expect(status).toBe(200);
      expect(body.issuer).toBe(issuerOf(t));
      expect(body.token_endpoint).toBe(`${issuerOf(t)}/auth/token`);
      expect(body.authorization_endpoint).toBe(`${issuerOf(t)}/auth/authorize`);
    }
  });

  it('keeps alike clients of two organizations apart, also when their requests interleave', async () => {
    // Each organization knows its own twin only.
    expect((await clientCredentials(b, twins.a)).body.error).toBe('invalid_client');
    expect((await clientCredentials(a, twins.b)).body.error).toBe('invalid_client');
    const issued = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const [t, c] = i % 2 === 0 ? ([a, twins.a] as const) : ([b, twins.b] as const);
        const { status, body } = await clientCredentials(t, c);
        expect(status).toBe(200);
        return { t, c, token: String(body.access_token) };
      }),
    );
    for (const { t, c, token } of issued.slice(0, 6)) {
      const own = await introspect(t, c, token);
      expect(own).toMatchObject({ active: true, client_id: c.clientId, iss: issuerOf(t) });
      const [other, otherClient] = t === a ? [b, twins.b] : [a, twins.a];
      expect((await introspect(other, otherClient, token)).active).toBe(false);
    }
  });

  it("signs every ID token with its own organization's issuer when logins at both interleave", async () => {
    const flows = await Promise.all([a, b, a, b].map(async (t) => ({ t, ...(await codeFlow(t)) })));
    for (const { t, tokens } of flows) {
      expect(tokens.claims()!.iss).toBe(issuerOf(t));
      expect(tokens.claims()!.sub).toBe(t.userId);
      expect(tokens.claims()!.org_slug).toBe(t.slug);
    }
  });

  it("keeps each organization's cookies under its own path, and ignores them at another", async () => {
    const { browser } = await codeFlow(a);
    expect(browser.cookie('_session', `/${a.slug}/`)).toBeDefined();
    expect(browser.cookie('_session', `/${b.slug}/`)).toBeUndefined();
    // A's session cookies sent on purpose to B: no silent sign-in there.
    const cookies = ['_session', '_session.sig'].map((name) => `${name}=${browser.cookie(name, `/${a.slug}/`)}`).join('; ');
    const configB = await rp(b);
    const url = oidc.buildAuthorizationUrl(configB, {
      redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const res = await fetch(url, { headers: { cookie: cookies }, redirect: 'manual' });
    expect(res.headers.get('location')).toMatch(/error=login_required/);
  });

  it("refuses A's code and refresh token at B, with B's client and with A's", async () => {
    const { verifier, callback } = await signIn(a);
    const code = callback.searchParams.get('code')!;
    const redeem = async (client: { clientId: string; secret: string }) => {
      const res = await fetch(`${issuerOf(b)}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
      });
      return ((await res.json()) as { error?: string }).error;
    };
    expect(await redeem(b.confidential)).toBe('invalid_grant');
    expect(await redeem(a.confidential)).toBe('invalid_client');
    // Still unspent at A: the attempts at B touched nothing of A.
    const tokens = await oidc.authorizationCodeGrant(await rp(a), callback, { pkceCodeVerifier: verifier });
    await expect(oidc.refreshTokenGrant(await rp(b), tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.refreshTokenGrant(await rp(a), tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('serves organizations with and without dynamic registration side by side, each with its own routes', async () => {
    const c = await createTenant(s.porta.services, 'iso-initech', { appSlug: 'app-iso-acme' });
    await s.porta.services.organizations.update(systemActor(), c.orgId, { dynamicRegistration: true });
    const documents = await Promise.all(
      [a, c, a, c, b, c].map(async (t) => ({ t, body: (await fetch(`${issuerOf(t)}/.well-known/openid-configuration`).then((r) => r.json())) as Record<string, unknown> })),
    );
    for (const { t, body } of documents) {
      expect(body.issuer).toBe(issuerOf(t));
      expect(body.registration_endpoint).toBe(t === c ? `${issuerOf(c)}/auth/register` : undefined);
    }
    expect((await fetch(`${issuerOf(a)}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    expect((await fetch(`${issuerOf(c)}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
  });

  it('refuses engine use outside an organization scope, and inside one sees that organization only', async () => {
    const orgA = await s.porta.services.organizations.getById(a.orgId);
    await expect(s.porta.registry.providerFor(orgA)).rejects.toThrow(/scope/);
    const seen = await s.porta.registry.withOrganization(orgA, async (provider) => ({
      issuer: provider.issuer,
      own: (await provider.Client.find(twins.a.clientId))?.clientId,
      foreign: await provider.Client.find(twins.b.clientId),
    }));
    expect(seen).toEqual({ issuer: issuerOf(a), own: twins.a.clientId, foreign: undefined });
    const engine = await s.porta.registry.withOrganization(orgA, async (provider) => provider);
    expect(() => engine.issuer).toThrow(/outside an organization scope/);
    await expect(engine.Client.find(twins.a.clientId)).rejects.toThrow(/outside an organization scope/);
  });
}

describe('one engine, many organizations (embedded PostgreSQL + in-process store)', () => sharedEngineIsolation('embedded'));
describeWithServices('one engine, many organizations (PostgreSQL + Redis)', () => sharedEngineIsolation('services'));
