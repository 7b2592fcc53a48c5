import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { parseProvisioningText } from '../../src/provisioning/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { hasPostgres, hasRedis } from '../support/services.js';

const SYSTEM = systemActor();
const API = 'https://api.resources.test/invoices';
const OPAQUE_API = 'urn:resources-test:reports';

/** Spec 70 §5: API resources of an application, RFC 8707 resource indicators, RFC 9068 JWT access tokens. */
describe('API resources and JWT access tokens (RFC 8707, RFC 9068)', () => {
  let s: AdminServer;
  let t: Tenant;
  let appAdmin: AdminClient;
  let auditor: AdminClient;
  let resourceId: string;

  beforeAll(async () => {
    s = await startAdminServer({ backends: hasPostgres && hasRedis ? 'services' : 'embedded' });
    t = await createTenant(s.porta.services, 'res-acme');
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
  });
  afterAll(() => s?.stop());

  const issuer = () => `${s.url}/${t.slug}`;
  const jwks = () => createRemoteJWKSet(new URL(`${issuer()}/auth/jwks`));
  const config = () =>
    oidc.discovery(new URL(issuer()), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });

  async function codeFlow(c: oidc.Configuration, scope: string, resource?: string) {
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...(resource ? { resource } : {}),
    });
    const page = await browser.follow(url.toString());
    const done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    expect(done.status).toBe(303);
    return oidc.authorizationCodeGrant(c, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state }, resource ? { resource } : undefined);
  }

  it('lets an app admin declare a resource through the Admin API, audited, and an auditor read it', async () => {
    const created = await appAdmin.post(`/applications/${t.appId}/resources`, {
      indicator: API, name: 'Invoices API', scopes: ['invoices:read', 'invoices:write', 'invoices:read'], accessTokenTtl: 600,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data).toMatchObject({
      applicationId: t.appId, indicator: API, name: 'Invoices API', scopes: ['invoices:read', 'invoices:write'], accessTokenFormat: 'jwt', accessTokenTtl: 600,
    });
    resourceId = created.body.data.id;
    const listed = await auditor.get(`/applications/${t.appId}/resources`);
    expect(listed.body.data.map((r: { indicator: string }) => r.indicator)).toEqual([API]);
    expect((await auditor.get(`/applications/${t.appId}/resources/${resourceId}`)).body.data.name).toBe('Invoices API');
    expect((await auditor.post(`/applications/${t.appId}/resources`, { indicator: 'https://x.test/api', name: 'X' })).status).toBe(403);
    const [entry] = (await s.porta.services.audit.list({ targetId: resourceId })).data;
    expect(entry).toMatchObject({ eventType: 'api_resource.created', targetType: 'api_resource', actorId: appAdmin.userId });
  });

  it.each([
    [{ indicator: 'https://api.resources.test/x#frag', name: 'F' }, 'indicator'],
    [{ indicator: 'not a uri', name: 'F' }, 'indicator'],
    [{ indicator: 'http://api.resources.test/x', name: 'F' }, 'indicator'],
    [{ indicator: 'https://api.resources.test/y', name: 'F', scopes: ['openid'] }, 'scopes.0'],
    [{ indicator: 'https://api.resources.test/y', name: 'F', scopes: ['has space'] }, 'scopes.0'],
    [{ indicator: 'https://api.resources.test/y', name: 'F', accessTokenTtl: 30 }, 'accessTokenTtl'],
    [{ indicator: 'https://api.resources.test/y', name: 'F', accessTokenFormat: 'paseto' }, 'accessTokenFormat'],
  ])('refuses %j with 400 on %s and stores nothing', async (body, path) => {
    const res = await appAdmin.post(`/applications/${t.appId}/resources`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await s.porta.services.applications.listResources(t.appId)).map((r) => r.indicator)).toEqual([API]);
  });

  it('refuses a second resource with the same indicator: 409', async () => {
    const other = await s.porta.services.applications.create(SYSTEM, { name: 'Res other', slug: 'res-other' });
    const res = await appAdmin.post(`/applications/${other.id}/resources`, { indicator: API, name: 'Copy' });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('resource_indicator_taken');
  });

  it('issues an RFC 9068 JWT for the resource in the code flow, verifiable from the JWKS, with only its scopes', async () => {
    const tokens = await codeFlow(await config(), 'openid profile invoices:read', API);
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const { payload } = await jwtVerify(tokens.access_token, jwks(), { issuer: issuer(), audience: API, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: t.userId, client_id: t.confidential.clientId, scope: 'invoices:read' });
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('gives a userinfo token when the exchange names no resource, and invalid_target for an unknown or foreign one', async () => {
    const c = await config();
    const tokens = await codeFlow(c, 'openid profile');
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect((await oidc.fetchUserInfo(c, tokens.access_token, t.userId)).sub).toBe(t.userId);

    const other = await s.porta.services.applications.create(SYSTEM, { name: 'Res foreign', slug: 'res-foreign' });
    await s.porta.services.applications.createResource(SYSTEM, other.id, { indicator: 'https://foreign.resources.test/api', name: 'Foreign', scopes: ['f:read'] });
    for (const resource of ['https://unknown.resources.test/api', 'https://foreign.resources.test/api']) {
      const res = await fetch(`${issuer()}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${t.confidential.clientId}:${t.confidential.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_target' });
    }
  });

  it('issues a JWT for the resource with client_credentials, and an opaque token with the TTL for an opaque resource', async () => {
    const c = await config();
    const jwt = await oidc.clientCredentialsGrant(c, { scope: 'invoices:write', resource: API });
    const { payload } = await jwtVerify(jwt.access_token, jwks(), { issuer: issuer(), audience: API, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: t.confidential.clientId, client_id: t.confidential.clientId, scope: 'invoices:write' });

    await s.porta.services.applications.createResource(SYSTEM, t.appId, {
      indicator: OPAQUE_API, name: 'Reports', scopes: ['reports:read'], accessTokenFormat: 'opaque', accessTokenTtl: 120,
    });
    const opaque = await oidc.clientCredentialsGrant(c, { scope: 'reports:read', resource: OPAQUE_API });
    expect(opaque.access_token.split('.')).toHaveLength(1);
    expect(opaque.expires_in).toBe(120);
    expect(await oidc.tokenIntrospection(c, opaque.access_token)).toMatchObject({ active: true, aud: OPAQUE_API, scope: 'reports:read' });
  });

  it('changes and deletes a resource; a deleted resource is invalid_target', async () => {
    const updated = await appAdmin.put(`/applications/${t.appId}/resources/${resourceId}`, { scopes: ['invoices:read'], accessTokenTtl: null });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.data).toMatchObject({ scopes: ['invoices:read'], accessTokenTtl: null, indicator: API });
    expect((await appAdmin.put(`/applications/${t.appId}/resources/${resourceId}`, { indicator: 'https://moved.test' })).status).toBe(400);
    expect((await appAdmin.delete(`/applications/${t.appId}/resources/${resourceId}`)).status).toBe(204);
    expect((await appAdmin.delete(`/applications/${t.appId}/resources/${resourceId}`)).status).toBe(404);
    await expect(oidc.clientCredentialsGrant(await config(), { scope: 'invoices:read', resource: API })).rejects.toMatchObject({ error: 'invalid_target' });
    const events = (await s.porta.services.audit.list({ targetId: resourceId })).data.map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['api_resource.updated', 'api_resource.deleted']));
  });

  it('provisions resources from a file and leaves them unchanged on a second run', async () => {
    const file = `
organizations:
  - name: Org res-acme
    slug: res-acme
    applications:
      - name: Provisioned with APIs
        slug: res-provisioned
        resources:
          - indicator: https://api.resources.test/provisioned
            name: Provisioned API
            scopes: [things:read, things:write]
            access_token_format: jwt
            access_token_ttl: 900
`;
    const { provisioning, applications } = s.porta.services;
    const first = await provisioning.apply(SYSTEM, provisioning.validate(parseProvisioningText(file)));
    expect(first.entries.filter((e) => e.type === 'api_resource').map((e) => e.action)).toEqual(['created']);
    const app = await applications.findByIdOrSlug('res-provisioned');
    expect(await applications.listResources(app!.id)).toMatchObject([{ indicator: 'https://api.resources.test/provisioned', scopes: ['things:read', 'things:write'], accessTokenTtl: 900 }]);
    const again = await provisioning.apply(SYSTEM, provisioning.validate(parseProvisioningText(file)), { mode: 'overwrite' });
    expect(again.entries.filter((e) => e.type === 'api_resource').map((e) => e.action)).toEqual(['skipped']);
    const changed = await provisioning.apply(SYSTEM, provisioning.validate(parseProvisioningText(file.replace('access_token_ttl: 900', 'access_token_ttl: 1800'))), { mode: 'overwrite' });
    expect(changed.entries.filter((e) => e.type === 'api_resource').map((e) => e.action)).toEqual(['updated']);
  });
});

describe('porta app resource (direct mode)', { timeout: 120_000 }, () => {
  it('creates, lists, shows by indicator, updates and deletes a resource', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { runPorta } = await import('../support/cli.js');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-resources-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    delete env.PORTA_SERVER;
    const cli = (args: string[]) => runPorta(args, { env });
    try {
      expect((await cli(['migrate', 'up'])).status).toBe(0);
      expect((await cli(['app', 'create', '--name', 'Billing', '--slug', 'billing'])).status).toBe(0);
      const created = await cli(['app', 'resource', 'create', 'billing', '--indicator', 'https://api.billing.test', '--name', 'Billing API', '--scopes', 'bills:read,bills:write', '--ttl', '900', '--json']);
      expect(created.status, created.stderr).toBe(0);
      expect(JSON.parse(created.stdout).data).toMatchObject({ indicator: 'https://api.billing.test', scopes: ['bills:read', 'bills:write'], accessTokenFormat: 'jwt', accessTokenTtl: 900 });
      const listed = await cli(['app', 'resource', 'list', 'billing']);
      expect(listed.stdout).toContain('https://api.billing.test');
      const updated = await cli(['app', 'resource', 'update', 'billing', 'https://api.billing.test', '--format', 'opaque', '--default-ttl', '--json']);
      expect(updated.status, updated.stderr).toBe(0);
      expect(JSON.parse(updated.stdout).data).toMatchObject({ accessTokenFormat: 'opaque', accessTokenTtl: null });
      const bad = await cli(['app', 'resource', 'create', 'billing', '--indicator', 'https://api.other.test#x', '--name', 'Bad']);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain('fragment');
      expect((await cli(['app', 'resource', 'delete', 'billing', 'https://api.billing.test'])).status).toBe(0);
      const missing = await cli(['app', 'resource', 'show', 'billing', 'https://api.billing.test']);
      expect(missing.status).toBe(5);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
