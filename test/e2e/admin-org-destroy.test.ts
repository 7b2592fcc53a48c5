import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken, startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { systemActor } from '../../src/actors/index.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

describe('admin API: destroying an organization (spec 20 §5.1 DELETE) and its 2FA summary (§5.2)', () => {
  let s: AdminServer;
  let orgAdmin: AdminClient;
  let auditor: AdminClient;
  let t: Tenant;

  beforeAll(async () => {
    s = await startAdminServer();
    // More writes than one window of the admin write limit allows (spec 50 §7).
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    t = await createTenant(s.porta.services, 'doomed-co');
  });
  afterAll(() => s?.stop());

  const uploadPng = (orgId: string, type: string) =>
    fetch(`${s.url}/api/admin/organizations/${orgId}/branding/${type}`, {
      method: 'PUT', headers: { Authorization: `Bearer ${s.superAdmin.token}`, 'Content-Type': 'image/png' }, body: PNG,
    });
  const count = async (sql: string, params: unknown[]) => (await s.porta.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).n;

  /** Code + PKCE with the confidential client: a live session, a grant, access and refresh tokens. */
  async function signIn(tenant: Tenant) {
    const config = await oidc.discovery(new URL(`${s.url}/${tenant.slug}`), tenant.confidential.clientId, undefined, oidc.ClientSecretBasic(tenant.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    let page = await browser.follow(url.toString());
    page = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: tenant.email, password: PASSWORD } });
    expect(page.location).toMatch(/\/callback\?code=/);
    return oidc.authorizationCodeGrant(config, new URL(page.location!), { pkceCodeVerifier: verifier, expectedState: oidc.skipStateCheck });
  }

  /** A role assignment and a custom claim value for the tenant's user, through the API. */
  async function giveRoleAndClaim(tenant: Tenant) {
    const role = await s.superAdmin.post(`/applications/${tenant.appId}/roles`, { name: `Reader ${tenant.slug}` });
    expect(role.status).toBe(201);
    expect((await s.superAdmin.put(`/organizations/${tenant.orgId}/users/${tenant.userId}/roles`, { roleIds: [role.body.data.id] })).status).toBeLessThan(300);
    const claim = await s.superAdmin.post(`/applications/${tenant.appId}/claims`, { claimName: `tier_${tenant.slug.replace(/-/g, '_')}`, claimType: 'string' });
    expect(claim.status).toBe(201);
    expect((await s.superAdmin.put(`/applications/${tenant.appId}/claims/${claim.body.data.id}/users/${tenant.userId}`, { value: 'gold' })).status).toBe(200);
  }

  it('previews the cascade with dry-run=true and changes nothing', async () => {
    const tenant = await createTenant(s.porta.services, 'preview-co');
    await giveRoleAndClaim(tenant);
    expect((await uploadPng(tenant.orgId, 'logo')).status).toBe(200);
    await signIn(tenant);

    const res = await orgAdmin.delete(`/organizations/${tenant.slug}?dry-run=true`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      dryRun: true,
      organization: { id: tenant.orgId, slug: tenant.slug, name: 'Org preview-co' },
      cascadeCounts: { clients: 2, users: 1, roleAssignments: 1, claimValues: 1, brandingAssets: 1, sessions: 1 },
    });
    expect((await s.superAdmin.get(`/organizations/${tenant.orgId}`)).status).toBe(200);
    expect(await count('clients WHERE organization_id = $1', [tenant.orgId])).toBe(2);
    expect(await count("audit_log WHERE event_type = 'org.destroyed' AND target_id = $1", [tenant.orgId])).toBe(0);
  });

  it('destroys everything the organization owns, ends its sessions and invalidates its tokens', async () => {
    await giveRoleAndClaim(t);
    expect((await uploadPng(t.orgId, 'favicon')).status).toBe(200);
    const tokens = await signIn(t);
    const minted = await mintAccessToken(s.porta, t.orgId, t.confidential.clientId, t.userId);
    const userinfo = (token: string) => fetch(`${s.url}/${t.slug}/auth/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect((await userinfo(minted)).status).toBe(200);
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    expect(await count('oidc_payloads WHERE organization_id = $1', [t.orgId])).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/${t.slug}/branding/favicon`)).status).toBe(200);

    const res = await orgAdmin.delete(`/organizations/${t.orgId}`);
    expect(res.status).toBe(200);
    expect(res.body.data.dryRun).toBeUndefined();
    expect(res.body.data).toMatchObject({
      organization: { id: t.orgId, slug: t.slug },
      cascadeCounts: { clients: 2, users: 1, roleAssignments: 1, claimValues: 1, brandingAssets: 1, sessions: 1 },
    });

    expect((await s.superAdmin.get(`/organizations/${t.orgId}`)).status).toBe(404);
    expect((await s.superAdmin.get(`/organizations/${t.slug}`)).status).toBe(404);
    for (const table of ['clients', 'users', 'branding_assets', 'admin_sessions', 'oidc_payloads']) {
      expect(await count(`${table} WHERE organization_id = $1`, [t.orgId]), table).toBe(0);
    }
    expect(await count('client_secrets WHERE client_id = $1', [t.confidential.id])).toBe(0);
    expect(await count('user_roles WHERE user_id = $1', [t.userId])).toBe(0);
    expect(await count('custom_claim_values WHERE user_id = $1', [t.userId])).toBe(0);

    // Tokens of the organization's clients no longer work anywhere: the issuer itself is gone.
    expect((await userinfo(minted)).status).not.toBe(200);
    expect((await userinfo(tokens.access_token)).status).not.toBe(200);
    expect((await fetch(`${s.url}/${t.slug}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await fetch(`${s.url}/${t.slug}/branding/favicon`)).status).toBe(404);

    // The record survives, written first, with name and slug; audit rows lose the organization id.
    const entry = await s.porta.db.one<{ organization_id: string | null; actor_id: string; actor_type: string; source: string; metadata: Record<string, unknown> }>(
      "SELECT organization_id, actor_id, actor_type, source, metadata FROM audit_log WHERE event_type = 'org.destroyed' AND target_id = $1",
      [t.orgId],
    );
    expect(entry).toMatchObject({ organization_id: null, actor_id: orgAdmin.userId, actor_type: 'admin', source: 'api' });
    expect(entry.metadata).toEqual({ name: 'Org doomed-co', slug: 'doomed-co', cascadeCounts: res.body.data.cascadeCounts });
    expect(await count('audit_log WHERE organization_id = $1', [t.orgId])).toBe(0);
    expect(await count("audit_log WHERE event_type = 'organization.branding_asset_uploaded' AND target_id = $1", [t.orgId])).toBe(1);

    // The slug is free again.
    expect((await s.superAdmin.post('/organizations', { name: 'Reborn', slug: t.slug })).status).toBe(201);
  });

  it('refuses the super-admin organization with 403 protected_resource, also as a dry run', async () => {
    const superOrg = await s.porta.services.organizations.getSuperAdmin();
    for (const path of [`/organizations/${superOrg.id}`, `/organizations/${superOrg.slug}`, `/organizations/${superOrg.id}?dry-run=true`]) {
      const res = await s.superAdmin.delete(path);
      expect(res.status, path).toBe(403);
      expect(res.body.error).toBe('protected_resource');
    }
    expect((await s.superAdmin.get(`/organizations/${superOrg.id}`)).status).toBe(200);
  });

  it('answers 401 without a valid token, 403 without org:archive, 404 for unknown organizations, 400 for a bad query', async () => {
    const tenant = await createTenant(s.porta.services, 'guarded-co');
    expect((await s.anonymous().delete(`/organizations/${tenant.orgId}`)).status).toBe(401);
    expect((await s.withToken('not-a-token').delete(`/organizations/${tenant.orgId}`)).status).toBe(401);
    const forbidden = await auditor.delete(`/organizations/${tenant.orgId}?dry-run=true`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:org:archive'] } });
    const refused = await auditor.delete(`/organizations/${tenant.orgId}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:org:archive'] } });
    expect(await count('clients WHERE organization_id = $1', [tenant.orgId])).toBe(2);
    expect(await count("audit_log WHERE event_type = 'org.destroyed' AND target_id = $1", [tenant.orgId])).toBe(0);
    expect((await s.superAdmin.delete('/organizations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await s.superAdmin.delete('/organizations/no-such-org')).status).toBe(404);
    expect((await s.superAdmin.delete(`/organizations/${tenant.orgId}?dry-run=maybe`)).status).toBe(400);
    expect((await s.superAdmin.get(`/organizations/${tenant.orgId}`)).status).toBe(200);
  });

  describe('GET /organizations/:orgId/two-factor/summary', () => {
    it('counts enrolment per method with a 4-decimal compliance rate, cacheable for 30 s', async () => {
      const tenant = await createTenant(s.porta.services, 'twofa-co');
      const users = [tenant.userId];
      for (const n of [1, 2]) users.push((await s.porta.services.users.create(systemActor(), tenant.orgId, { email: `u${n}@twofa.test` })).id);
      await s.porta.db.query("UPDATE users SET two_factor_enabled = true, two_factor_method = 'totp' WHERE id = $1", [users[0]]);

      const res = await auditor.get(`/organizations/${tenant.orgId}/two-factor/summary`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=30');
      expect(res.body.data).toEqual({ totalUsers: 3, enabledCount: 1, disabledCount: 2, totpCount: 1, emailCount: 0, complianceRate: 0.3333 });

      await s.porta.db.query("UPDATE users SET two_factor_enabled = true, two_factor_method = 'email' WHERE id = $1", [users[1]]);
      const bySlug = await s.superAdmin.get(`/organizations/${tenant.slug}/two-factor/summary`);
      expect(bySlug.body.data).toEqual({ totalUsers: 3, enabledCount: 2, disabledCount: 1, totpCount: 1, emailCount: 1, complianceRate: 0.6667 });
    });

    it('answers 0 without users, and needs both org:read and user:read', async () => {
      const empty = (await s.superAdmin.post('/organizations', { name: 'Nobody Home' })).body.data;
      const res = await s.superAdmin.get(`/organizations/${empty.id}/two-factor/summary`);
      expect(res.body.data).toEqual({ totalUsers: 0, enabledCount: 0, disabledCount: 0, totpCount: 0, emailCount: 0, complianceRate: 0 });

      const missing = await orgAdmin.get(`/organizations/${empty.id}/two-factor/summary`);
      expect(missing.status).toBe(403);
      expect(missing.body.details).toEqual({ missing: ['admin:user:read'] });
      expect((await s.anonymous().get(`/organizations/${empty.id}/two-factor/summary`)).status).toBe(401);
      expect((await s.superAdmin.get('/organizations/no-such-org/two-factor/summary')).status).toBe(404);
    });
  });
});
