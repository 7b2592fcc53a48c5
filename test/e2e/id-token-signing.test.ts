import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasPostgres, hasRedis } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const SYSTEM = systemActor();
type ClientOptions = { idTokenSignedResponseAlg?: 'RS256' | 'ES256' | 'PS256'; idTokenClaims?: 'scopes' | 'minimal' };

/** Spec 70 §5: signing algorithms, the claims of the ID token, `updated_at` and `sid`. */
describe('ID token signing and claims (spec 70 §5)', () => {
  let s: TestServer;
  let t: Tenant;

  beforeAll(async () => {
    s = await startTestServer({ backends: hasPostgres && hasRedis ? 'services' : 'embedded' });
    t = await createTenant(s.porta.services, 'sig-acme');
    await s.porta.services.users.update(SYSTEM, t.orgId, t.userId, {
      nickname: 'ada', phoneNumber: '+44 20 7946 0000', address: { locality: 'London', country: 'GB' },
    });
    const department = await s.porta.services.rbac.createClaim(SYSTEM, t.appId, { claimName: 'department', claimType: 'string', includeInIdToken: true });
    await s.porta.services.rbac.setClaimValue(SYSTEM, t.appId, department.id, t.userId, { value: 'engines' });
  });
  afterAll(() => s?.stop());

  const issuer = () => `${s.url}/${t.slug}`;
  const jwks = async () => (await (await fetch(`${issuer()}/auth/jwks`)).json()) as JSONWebKeySet;

  /** Verifies the ID token's signature against the published JWKS, as a relying party does. */
  async function verified(idToken: string, clientId: string): Promise<{ alg: string; kid: string; claims: JWTPayload }> {
    const { payload, protectedHeader } = await jwtVerify(idToken, createLocalJWKSet(await jwks()), { issuer: issuer(), audience: clientId });
    return { alg: protectedHeader.alg, kid: protectedHeader.kid!, claims: payload };
  }

  async function client(name: string, options: ClientOptions) {
    const made = await s.porta.services.clients.create(SYSTEM, t.orgId, {
      applicationId: t.appId, clientName: name, clientType: 'confidential', applicationType: 'web', redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token'], scope: 'openid profile email phone address offline_access', ...options,
    });
    return { clientId: made.client.clientId, secret: made.secret!.plaintext };
  }

  const relyingParty = (c: { clientId: string; secret: string }) =>
    oidc.discovery(new URL(issuer()), c.clientId, undefined, oidc.ClientSecretBasic(c.secret), { execute: [oidc.allowInsecureRequests] });

  /** Code + PKCE through the login page (or the live session of `browser`); `params` add to or replace the request's. */
  async function codeFlow(config: oidc.Configuration, params: Record<string, string> = {}, browser = new HttpBrowser(s.url)) {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile email phone address offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
    });
    let page = await browser.follow(url.toString());
    if (page.body.includes('name="password"')) {
      page = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    }
    expect(page.location).toMatch(/[?&]code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.location!), { pkceCodeVerifier: verifier });
    return { tokens, browser };
  }

  describe('discovery and keys', () => {
    it('advertises RS256, PS256 and ES256 ID tokens, the claims parameter and sid', async () => {
      const d = (await (await fetch(`${issuer()}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect([...(d.id_token_signing_alg_values_supported as string[])].sort()).toEqual(['ES256', 'PS256', 'RS256']);
      expect(d.claims_parameter_supported).toBe(true);
      expect(d.claims_supported).toEqual(expect.arrayContaining(['sid', 'sub', 'name', 'email', 'updated_at', 'department']));
    });

    it('publishes an RSA (2048-bit) and a P-256 key, public members only, shared by every organization', async () => {
      const { keys } = await jwks();
      expect(keys.map((k) => k.kty).sort()).toEqual(['EC', 'RSA']);
      const rsa = keys.find((k) => k.kty === 'RSA')!;
      expect(rsa).toEqual({ kty: 'RSA', use: 'sig', kid: expect.stringMatching(/^[0-9a-f]{16}$/), e: 'AQAB', n: expect.any(String) });
      expect(Buffer.from(rsa.n!, 'base64url').length * 8).toBe(2048);
      expect(keys.find((k) => k.kty === 'EC')).toEqual({
        kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.stringMatching(/^[0-9a-f]{16}$/), x: expect.any(String), y: expect.any(String),
      });
      const other = await createTenant(s.porta.services, 'sig-globex', { appSlug: 'app-sig-globex' });
      expect(await (await fetch(`${s.url}/${other.slug}/auth/jwks`)).json()).toEqual({ keys });
    });
  });

  describe('signing algorithms', () => {
    it('signs ID tokens RS256 by default, with the RSA key, verifiable against the JWKS', async () => {
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const { tokens } = await codeFlow(config);
      const { alg, kid } = await verified(tokens.id_token!, t.confidential.clientId);
      expect(alg).toBe('RS256');
      expect((await jwks()).keys.find((k) => k.kid === kid)?.kty).toBe('RSA');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect((await verified(refreshed.id_token!, t.confidential.clientId)).alg).toBe('RS256');
    });

    it.each([
      ['ES256', 'EC'],
      ['PS256', 'RSA'],
      ['RS256', 'RSA'],
    ] as const)('signs %s ID tokens for a client registered for it (a %s key), at login and refresh', async (algorithm, kty) => {
      const c = await client(`Signs ${algorithm}`, { idTokenSignedResponseAlg: algorithm });
      const config = await relyingParty(c);
      const { tokens } = await codeFlow(config);
      const first = await verified(tokens.id_token!, c.clientId);
      expect(first.alg).toBe(algorithm);
      expect((await jwks()).keys.find((k) => k.kid === first.kid)?.kty).toBe(kty);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(decodeProtectedHeader(refreshed.id_token!)).toMatchObject({ alg: algorithm, kid: first.kid });
      await verified(refreshed.id_token!, c.clientId);
    });

    it('signs with the newest key of the algorithm once generated, and the older key still verifies', async () => {
      const c = await client('Rotating', { idTokenSignedResponseAlg: 'ES256' });
      const config = await relyingParty(c);
      const before = (await codeFlow(config)).tokens.id_token!;
      const added = await s.porta.services.keys.generate(SYSTEM, { algorithm: 'ES256' });
      const after = (await codeFlow(config)).tokens.id_token!;
      expect(decodeProtectedHeader(after)).toMatchObject({ alg: 'ES256', kid: added.kid });
      expect(decodeProtectedHeader(before).kid).not.toBe(added.kid);
      await verified(before, c.clientId);
      await verified(after, c.clientId);
      // The default client keeps its RSA key: another algorithm's new key changes nothing for it.
      const rs = (await codeFlow(await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret }))).tokens.id_token!;
      expect(decodeProtectedHeader(rs).alg).toBe('RS256');
    });
  });

  describe('claims in the ID token', () => {
    it("carries the granted scopes' claims and the custom claims for a default client; userinfo agrees", async () => {
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const { tokens } = await codeFlow(config);
      const { claims } = await verified(tokens.id_token!, t.confidential.clientId);
      expect(claims).toMatchObject({
        sub: t.userId, org_id: t.orgId, org_slug: t.slug, roles: [], permissions: [], department: 'engines',
        name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace', nickname: 'ada', updated_at: expect.any(Number),
        email: t.email, email_verified: true,
      });
      // The tenant's client is registered for openid profile email offline_access only.
      expect(claims).not.toHaveProperty('phone_number');
      expect(claims).not.toHaveProperty('address');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, t.userId);
      for (const name of ['name', 'given_name', 'family_name', 'nickname', 'updated_at', 'email', 'email_verified']) expect(claims[name]).toEqual(info[name]);
    });

    it('releases only the claims of the scopes granted in this request', async () => {
      const c = await client('All scopes', {});
      const { tokens } = await codeFlow(await relyingParty(c), { scope: 'openid phone address' });
      const { claims } = await verified(tokens.id_token!, c.clientId);
      expect(claims).toMatchObject({ phone_number: '+44 20 7946 0000', phone_number_verified: false, address: { locality: 'London', country: 'GB' } });
      expect(claims).not.toHaveProperty('email');
      expect(claims).not.toHaveProperty('name');
    });

    it('keeps the ID token minimal for a client registered with id_token_claims minimal; userinfo has the rest', async () => {
      const c = await client('Minimal', { idTokenClaims: 'minimal' });
      const config = await relyingParty(c);
      const { tokens } = await codeFlow(config);
      const { claims } = await verified(tokens.id_token!, c.clientId);
      expect(claims).toMatchObject({ sub: t.userId, org_id: t.orgId, org_slug: t.slug, roles: [], permissions: [], department: 'engines', sid: expect.any(String) });
      for (const name of ['name', 'given_name', 'family_name', 'nickname', 'updated_at', 'email', 'email_verified', 'phone_number', 'address']) {
        expect(claims).not.toHaveProperty(name);
      }
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect((await verified(refreshed.id_token!, c.clientId)).claims).not.toHaveProperty('email');
      expect(await oidc.fetchUserInfo(config, tokens.access_token, t.userId)).toMatchObject({ email: t.email, given_name: 'Ada', phone_number: '+44 20 7946 0000' });
    });

    it('puts what the claims request parameter asks for in the ID token, for minimal and default clients', async () => {
      const minimal = await client('Minimal asking', { idTokenClaims: 'minimal' });
      const asked = await codeFlow(await relyingParty(minimal), { claims: JSON.stringify({ id_token: { email: null } }) });
      const minimalClaims = (await verified(asked.tokens.id_token!, minimal.clientId)).claims;
      expect(minimalClaims.email).toBe(t.email);
      expect(minimalClaims).not.toHaveProperty('given_name');

      // Only the openid scope: the e-mail comes because the request names it.
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const plain = (await verified((await codeFlow(config, { scope: 'openid' })).tokens.id_token!, t.confidential.clientId)).claims;
      expect(plain).not.toHaveProperty('email');
      const withClaims = await codeFlow(config, { scope: 'openid', claims: JSON.stringify({ id_token: { email: null }, userinfo: { given_name: null } }) });
      const claims = (await verified(withClaims.tokens.id_token!, t.confidential.clientId)).claims;
      expect(claims.email).toBe(t.email);
      expect(claims).not.toHaveProperty('given_name');
      expect(await oidc.fetchUserInfo(config, withClaims.tokens.access_token, t.userId)).toMatchObject({ given_name: 'Ada' });
    });

    it('refuses a malformed claims parameter', async () => {
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', claims: '{"id_token":', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
      });
      const res = await new HttpBrowser(s.url).request(url.toString());
      expect(res.location).toMatch(/error=invalid_request/);
    });
  });

  describe('updated_at', () => {
    const PAST = Date.parse('2021-03-04T05:06:07Z') / 1000;

    it('stays as it was across sign-ins, and moves when a profile claim changes', async () => {
      // Back-dated: a sign-in a second later would otherwise be indistinguishable from no change.
      await s.porta.db.query('UPDATE users SET profile_updated_at = to_timestamp($2) WHERE id = $1', [t.userId, PAST]);
      const rowBefore = await s.porta.services.users.getById(t.orgId, t.userId);
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const first = await codeFlow(config);
      expect((await verified(first.tokens.id_token!, t.confidential.clientId)).claims.updated_at).toBe(PAST);
      const second = await codeFlow(config);
      expect((await verified(second.tokens.id_token!, t.confidential.clientId)).claims.updated_at).toBe(PAST);
      expect(await oidc.fetchUserInfo(config, second.tokens.access_token, t.userId)).toMatchObject({ updated_at: PAST });
      // The sign-ins did write the row (its updated_at moved), but not the claim.
      const rowAfter = await s.porta.services.users.getById(t.orgId, t.userId);
      expect(rowAfter.loginCount).toBe(rowBefore.loginCount + 2);
      expect(rowAfter.updatedAt > rowBefore.updatedAt).toBe(true);
      expect(rowAfter.profileUpdatedAt).toBe(rowBefore.profileUpdatedAt);

      // Writing the same values is no change either.
      await s.porta.services.users.update(SYSTEM, t.orgId, t.userId, { nickname: 'ada' });
      expect((await s.porta.services.users.getById(t.orgId, t.userId)).profileUpdatedAt).toBe(rowBefore.profileUpdatedAt);

      await s.porta.services.users.update(SYSTEM, t.orgId, t.userId, { nickname: 'countess' });
      const refreshed = await oidc.refreshTokenGrant(config, second.tokens.refresh_token!);
      const { claims } = await verified(refreshed.id_token!, t.confidential.clientId);
      expect(claims.nickname).toBe('countess');
      expect(claims.updated_at).toBeGreaterThan(PAST);
      expect(Math.abs((claims.updated_at as number) - Date.now() / 1000)).toBeLessThan(60);
      await s.porta.services.users.update(SYSTEM, t.orgId, t.userId, { nickname: 'ada' });
    });
  });

  describe('sid', () => {
    it("is in every ID token of a browser session, equal to the engine's session id for the client, and kept across refresh", async () => {
      const config = await relyingParty({ clientId: t.confidential.clientId, secret: t.confidential.secret });
      const { tokens, browser } = await codeFlow(config);
      const { claims } = await verified(tokens.id_token!, t.confidential.clientId);
      expect(claims.sid).toEqual(expect.any(String));

      const org = await s.porta.services.organizations.getById(t.orgId);
      const session = await s.porta.registry.withOrganization(org, (provider) => provider.Session.find(browser.cookie('_session', `/${t.slug}`)!));
      expect(claims.sid).toBe(session!.authorizations![t.confidential.clientId]!.sid);

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect((await verified(refreshed.id_token!, t.confidential.clientId)).claims.sid).toBe(claims.sid);
      // Signing in again within the session keeps it; another browser session gets its own.
      const again = await codeFlow(config, { prompt: 'none' }, browser);
      expect((await verified(again.tokens.id_token!, t.confidential.clientId)).claims.sid).toBe(claims.sid);
      const elsewhere = await codeFlow(config);
      expect((await verified(elsewhere.tokens.id_token!, t.confidential.clientId)).claims.sid).not.toBe(claims.sid);

      // The engine matches it against this session: an id_token_hint of it signs out without asking.
      const logout = await browser.follow(oidc.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI }).toString());
      expect(logout.body).toContain("getElementById('op.logoutForm')");
    });
  });
});
