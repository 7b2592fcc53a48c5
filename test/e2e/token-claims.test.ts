import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasPostgres, hasRedis } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { systemActor } from '../../src/actors/index.js';
import type { RbacService } from '../../src/rbac/index.js';

const SYSTEM = systemActor();

describe('roles, permissions and custom claims in tokens (spec 10 §4)', () => {
  let s: TestServer;
  let t: Tenant;
  let rbac: RbacService;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await startTestServer({ backends: hasPostgres && hasRedis ? 'services' : 'embedded' });
    t = await createTenant(s.porta.services, 'claims-acme');
    rbac = s.porta.services.rbac;

    const read = await rbac.createPermission(SYSTEM, t.appId, { name: 'Read', slug: 'docs:doc:read' });
    const write = await rbac.createPermission(SYSTEM, t.appId, { name: 'Write', slug: 'docs:doc:write' });
    const editor = await rbac.createRole(SYSTEM, t.appId, { name: 'Editor' });
    const viewer = await rbac.createRole(SYSTEM, t.appId, { name: 'Viewer' });
    ids.reviewer = (await rbac.createRole(SYSTEM, t.appId, { name: 'Reviewer' })).id;
    await rbac.addRolePermissions(SYSTEM, t.appId, editor.id, { permissionIds: [read.id, write.id] });
    await rbac.addRolePermissions(SYSTEM, t.appId, viewer.id, { permissionIds: [read.id] });
    await rbac.assignRoles(SYSTEM, t.orgId, t.userId, { roleIds: [editor.id, viewer.id] });

    const department = await rbac.createClaim(SYSTEM, t.appId, { claimName: 'department', claimType: 'string', includeInIdToken: true });
    const tier = await rbac.createClaim(SYSTEM, t.appId, { claimName: 'tier', claimType: 'json', includeInAccessToken: false });
    const seats = await rbac.createClaim(SYSTEM, t.appId, { claimName: 'seats', claimType: 'number', includeInUserinfo: false });
    ids.department = department.id;
    await rbac.setClaimValue(SYSTEM, t.appId, department.id, t.userId, { value: 'sales' });
    await rbac.setClaimValue(SYSTEM, t.appId, tier.id, t.userId, { value: { level: 'gold', regions: ['eu'] } });
    await rbac.setClaimValue(SYSTEM, t.appId, seats.id, t.userId, { value: 5 });

    // Another application: its roles, permissions and claim values must never reach this client's tokens.
    const other = await s.porta.services.applications.create(SYSTEM, { name: 'Other', slug: 'claims-other' });
    const otherPerm = await rbac.createPermission(SYSTEM, other.id, { name: 'Admin', slug: 'other:all:admin' });
    const otherRole = await rbac.createRole(SYSTEM, other.id, { name: 'Other Admin' });
    await rbac.addRolePermissions(SYSTEM, other.id, otherRole.id, { permissionIds: [otherPerm.id] });
    await rbac.assignRoles(SYSTEM, t.orgId, t.userId, { roleIds: [otherRole.id] });
    const otherClaim = await rbac.createClaim(SYSTEM, other.id, { claimName: 'clearance', claimType: 'string', includeInIdToken: true });
    await rbac.setClaimValue(SYSTEM, other.id, otherClaim.id, t.userId, { value: 'top-secret' });
    const otherDepartment = await rbac.createClaim(SYSTEM, other.id, { claimName: 'department', claimType: 'string', includeInIdToken: true });
    await rbac.setClaimValue(SYSTEM, other.id, otherDepartment.id, t.userId, { value: 'other-app' });
  });
  afterAll(() => s?.stop());

  const issuer = () => `${s.url}/${t.slug}`;

  async function relyingParty(clientId = t.confidential.clientId, secret = t.confidential.secret) {
    return oidc.discovery(new URL(issuer()), clientId, undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
  }

  /** Authorization code + PKCE through the login page, as a browser would. */
  async function codeFlow(config: oidc.Configuration) {
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const page = await browser.follow(url.toString());
    expect(page.body).toContain('name="password"');
    const done = await browser.follow(formAction(page.body), {
      form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD },
    });
    expect(done.status).toBe(303);
    return oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
  }

  it("puts the client application's roles, de-duplicated permissions and ID-token claims in the ID token", async () => {
    const tokens = await codeFlow(await relyingParty());
    const claims = tokens.claims()!;
    expect(claims.roles).toEqual(['editor', 'viewer']);
    expect(claims.permissions).toEqual(['docs:doc:read', 'docs:doc:write']);
    expect(claims.department).toBe('sales');
    expect(claims).not.toHaveProperty('tier');
    expect(claims).not.toHaveProperty('seats');
    expect(claims).not.toHaveProperty('clearance');
    expect(JSON.stringify(claims)).not.toMatch(/other/);
  });

  it('answers userinfo with the userinfo claims and introspection with the access-token claims', async () => {
    const config = await relyingParty();
    const tokens = await codeFlow(config);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, t.userId);
    expect(info).toMatchObject({
      roles: ['editor', 'viewer'],
      permissions: ['docs:doc:read', 'docs:doc:write'],
      department: 'sales',
      tier: { level: 'gold', regions: ['eu'] },
    });
    expect(info).not.toHaveProperty('seats');
    expect(info).not.toHaveProperty('clearance');

    const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: t.userId, department: 'sales', seats: 5 });
    expect(introspection).not.toHaveProperty('tier');
    expect(introspection).not.toHaveProperty('clearance');
  });

  it('gives a client of an application without roles or claims empty lists', async () => {
    const bare = await s.porta.services.applications.create(SYSTEM, { name: 'Bare', slug: 'claims-bare' });
    const client = await s.porta.services.clients.create(SYSTEM, t.orgId, {
      applicationId: bare.id, clientName: 'Bare', clientType: 'confidential', applicationType: 'web',
      redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code'], scope: 'openid profile email',
    });
    const config = await relyingParty(client.client.clientId, client.secret!.plaintext);
    const tokens = await codeFlow(config);
    expect(tokens.claims()).toMatchObject({ roles: [], permissions: [] });
    expect(tokens.claims()).not.toHaveProperty('department');
    const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspection).not.toHaveProperty('department');
    expect(introspection).not.toHaveProperty('seats');
  });

  it('shows role, value and definition changes in the next tokens without a restart', async () => {
    const config = await relyingParty();
    const first = await codeFlow(config);
    expect(first.claims()!.roles).toEqual(['editor', 'viewer']);

    await rbac.assignRoles(SYSTEM, t.orgId, t.userId, { roleIds: [ids.reviewer!] });
    await rbac.setClaimValue(SYSTEM, t.appId, ids.department!, t.userId, { value: 'marketing' });
    const region = await rbac.createClaim(SYSTEM, t.appId, { claimName: 'region', claimType: 'string', includeInIdToken: true });
    await rbac.setClaimValue(SYSTEM, t.appId, region.id, t.userId, { value: 'emea' });

    const next = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(next.claims()).toMatchObject({ roles: ['editor', 'reviewer', 'viewer'], department: 'marketing', region: 'emea' });
    expect(await oidc.tokenIntrospection(config, next.access_token)).toMatchObject({ department: 'marketing', region: 'emea' });
    // A token issued before the change keeps what it was issued with.
    expect(await oidc.tokenIntrospection(config, first.access_token)).toMatchObject({ department: 'sales' });
    expect(await oidc.tokenIntrospection(config, first.access_token)).not.toHaveProperty('region');

    await rbac.deleteClaim(SYSTEM, t.appId, region.id);
    await rbac.removeRoles(SYSTEM, t.orgId, t.userId, { roleIds: [ids.reviewer!] });
    const last = await oidc.refreshTokenGrant(config, next.refresh_token!);
    expect(last.claims()!.roles).toEqual(['editor', 'viewer']);
    expect(last.claims()).not.toHaveProperty('region');
  });
});
