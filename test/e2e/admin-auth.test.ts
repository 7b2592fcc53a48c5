import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, mintAccessToken, type AdminServer } from '../support/admin.js';
import { createTenant } from '../support/oidc-fixtures.js';

describe('admin API authentication and authorization (spec 20 §2)', () => {
  let s: AdminServer;
  beforeAll(async () => {
    s = await startAdminServer();
  });
  afterAll(() => s?.stop());

  it('serves /metadata without a token, naming the super-admin issuer and the CLI client', async () => {
    const res = await s.anonymous().get('/metadata');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      issuer: `${s.url}/porta-admin`,
      orgSlug: 'porta-admin',
      clientId: 'porta-admin-cli',
      authorization_endpoint: `${s.url}/porta-admin/auth/authorize`,
      token_endpoint: `${s.url}/porta-admin/auth/token`,
      end_session_endpoint: `${s.url}/porta-admin/auth/session/end`,
    });
    const discovery = (await (await fetch(`${s.url}/porta-admin/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery.authorization_endpoint).toBe(res.body.authorization_endpoint);
    expect(discovery.token_endpoint).toBe(res.body.token_endpoint);
  });

  it('answers 401 without a bearer token, with an unknown token and with a malformed header', async () => {
    for (const client of [s.anonymous(), s.withToken('not-a-token'), s.withToken('Basic abc')]) {
      const res = await client.get('/audit');
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.headers.get('x-porta-version')).toBeNull();
    }
  });

  it('refuses tokens issued by another organization', async () => {
    const tenant = await createTenant(s.porta.services, 'acme-auth');
    const token = await mintAccessToken(s.porta, tenant.orgId, tenant.spa.clientId, tenant.userId);
    const res = await s.withToken(token).get('/audit');
    expect(res.status).toBe(401);
  });

  it('refuses a revoked token', async () => {
    const admin = await s.clientWithRoles(['porta-super-admin']);
    expect((await admin.get('/audit')).status).toBe(200);
    await s.porta.registry.withOrganization(await s.porta.services.organizations.getSuperAdmin(), async (provider) => {
      const stored = await provider.AccessToken.find(admin.token!);
      await stored!.destroy();
    });
    expect((await admin.get('/audit')).status).toBe(401);
  });

  it('refuses the token of a user who is no longer active (status applies on the next request)', async () => {
    const admin = await s.clientWithRoles(['porta-super-admin']);
    expect((await admin.get('/audit')).status).toBe(200);
    const org = await s.porta.services.organizations.getSuperAdmin();
    await s.porta.services.users.setStatus(systemActor(), org.id, admin.userId!, 'lock', { reason: 'admin_lock' });
    const res = await admin.get('/audit');
    expect(res.status).toBe(401);
  });

  it('answers 403 forbidden for a super-admin-org user without admin roles', async () => {
    const nobody = await s.clientWithRoles([]);
    const res = await nobody.get('/audit');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
  });

  it('answers 403 with the missing permissions when a role lacks them, and sets X-Porta-Version when authenticated', async () => {
    const orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    const res = await orgAdmin.get('/audit');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:audit:read'] } });
    const ok = await s.superAdmin.get('/audit');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-porta-version')).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers unknown admin paths with 404 only after authentication', async () => {
    expect((await s.anonymous().get('/no-such-route')).status).toBe(401);
    const res = await s.superAdmin.get('/no-such-route');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});
