/* eslint-disable @typescript-eslint/no-explicit-any -- admin responses are JSON */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CLI_CLIENT_ID, SUPER_ADMIN_ROLE, systemActor } from '../../src/actors/index.js';
import { grantAdminRoles, mintAccessToken, startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';

/**
 * Issue 9 items 7–13 tried as an attacker holding a weaker admin role would: each request that must
 * fail, then a check that the target did not change.
 */
describe('admin escalation attempts (issue 9)', () => {
  let s: AdminServer;
  let userAdmin: AdminClient;
  let orgAdmin: AdminClient;
  let appAdmin: AdminClient;
  let adminOrgId: string;
  let tenant: Tenant;
  const actor = systemActor();

  beforeAll(async () => {
    s = await startAdminServer();
    await s.porta.services.systemConfig.set(actor, 'rate_limit_admin_write_max', '100000');
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    adminOrgId = (await s.porta.services.organizations.getSuperAdmin()).id;
    tenant = await createTenant(s.porta.services, 'escalation');
  }, 120_000);
  afterAll(() => s?.stop());

  const userRow = (id: string) => s.porta.db.one<Record<string, unknown>>('SELECT * FROM users WHERE id = $1', [id]);
  const rolesOf = (id: string) => s.porta.db.many<{ role_id: string }>('SELECT role_id FROM user_roles WHERE user_id = $1 ORDER BY role_id', [id]);

  async function adminUser(roles: string[]) {
    const user = await s.porta.services.users.create(actor, adminOrgId, { email: `a-${Date.now()}-${Math.random()}@porta.test`, password: 'Secret-pass-12' });
    await grantAdminRoles(s.porta, user.id, roles);
    return user;
  }

  describe('item 7: never act on someone holding powers you lack', () => {
    it('a user admin cannot take over an app admin (password, suspend, lock, sessions, profile, roles, claims, purge)', async () => {
      const victim = await adminUser(['porta-app-admin']);
      const before = await userRow(victim.id);
      const rolesBefore = await rolesOf(victim.id);
      const base = `/organizations/${adminOrgId}/users/${victim.id}`;
      const attempts = [
        () => userAdmin.post(`/users/${victim.id}/password`, { password: 'Owned-by-mallory-1' }),
        () => userAdmin.delete(`/users/${victim.id}/password`),
        () => userAdmin.post(`/users/${victim.id}/suspend`, {}),
        () => userAdmin.post(`/users/${victim.id}/lock`, {}),
        () => userAdmin.post(`/users/${victim.id}/deactivate`),
        () => userAdmin.put(`/users/${victim.id}`, { givenName: 'Mallory' }),
        () => userAdmin.delete(`/users/${victim.id}/sessions`),
        () => userAdmin.delete(`${base}/roles`, { roleIds: rolesBefore.map((r) => r.role_id) }),
        () => userAdmin.post(`${base}/purge`, { confirmPurge: true }),
      ];
      for (const attempt of attempts) {
        const res = await attempt();
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body.error).toBe('privilege_escalation');
      }
      const suspend = await userAdmin.post(`/users/${victim.id}/suspend`, {});
      expect(suspend.body.details.missing).toContain('admin:app:create');
      expect(await userRow(victim.id)).toEqual(before);
      expect(await rolesOf(victim.id)).toEqual(rolesBefore);
    });

    it('only super admins act on a super admin, and on the bootstrap super-admin', async () => {
      const holder = await adminUser([SUPER_ADMIN_ROLE]);
      for (const target of [holder.id, s.superAdminUserId]) {
        const before = await userRow(target);
        for (const client of [userAdmin, orgAdmin, appAdmin]) {
          for (const res of [await client.post(`/users/${target}/password`, { password: 'Owned-by-mallory-1' }), await client.post(`/users/${target}/lock`, {})]) {
            expect(res.status).toBe(403);
          }
        }
        expect(await userRow(target)).toEqual(before);
      }
      const superAdmin2 = await s.clientFor(holder.id);
      expect((await superAdmin2.put(`/users/${s.superAdminUserId}`, { givenName: 'Still Root' })).status).toBe(200);
    });

    it('a user admin still manages users who hold no more than it does', async () => {
      const peer = await adminUser(['porta-user-admin']);
      expect((await userAdmin.post(`/users/${peer.id}/suspend`, { reason: 'peer review' })).status).toBe(204);
      expect((await userAdmin.post(`/users/${tenant.userId}/lock`, {})).status).toBe(204);
      expect((await userAdmin.post(`/users/${tenant.userId}/unlock`)).status).toBe(204);
    });
  });

  describe('item 8: the admin organization, its application and built-in clients are super-admin business', () => {
    it('refuses an org admin renaming the admin organization and an app admin renaming porta-admin', async () => {
      const org = await s.porta.services.organizations.getSuperAdmin();
      expect((await orgAdmin.put(`/organizations/${org.id}`, { name: 'Hijacked' })).status).toBe(403);
      expect((await orgAdmin.put(`/organizations/${org.id}/branding`, { primaryColor: '#ff0000' })).status).toBe(403);
      const app = (await s.porta.services.applications.findBySlug('porta-admin'))!;
      expect((await appAdmin.put(`/applications/${app.id}`, { name: 'Hijacked' })).status).toBe(403);
      expect((await s.porta.services.organizations.getSuperAdmin()).name).toBe(org.name);
      expect((await s.porta.services.applications.findBySlug('porta-admin'))!.name).toBe(app.name);
    });

    it('refuses an app admin changing the CLI client (redirects, grants, login methods, status)', async () => {
      const before = await s.porta.services.clients.findByClientId(adminOrgId, ADMIN_CLI_CLIENT_ID);
      for (const res of [
        await appAdmin.put(`/clients/${ADMIN_CLI_CLIENT_ID}`, { redirectUris: ['https://evil.example.com/cb'] }),
        await appAdmin.put(`/clients/${ADMIN_CLI_CLIENT_ID}`, { loginMethods: ['magic_link'] }),
        await appAdmin.post(`/clients/${ADMIN_CLI_CLIENT_ID}/deactivate`),
        await appAdmin.post(`/clients/${ADMIN_CLI_CLIENT_ID}/revoke`),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.error).toBe('protected_resource');
      }
      expect(await s.porta.services.clients.findByClientId(adminOrgId, ADMIN_CLI_CLIENT_ID)).toEqual(before);
    });

    it('lets no one create a plain client in the admin organization: service accounts only', async () => {
      const app = (await s.porta.services.applications.findBySlug('porta-admin'))!;
      const body = { organizationId: adminOrgId, applicationId: app.id, clientName: 'Backdoor', clientType: 'confidential', redirectUris: ['https://evil.example.com/cb'] };
      for (const client of [appAdmin, s.superAdmin]) {
        const res = await client.post('/clients', body);
        expect(res.status).toBe(403);
        expect(res.body.message).toMatch(/service account/);
      }
    });
  });

  describe('item 9: service accounts', () => {
    async function clientCredentialsToken(clientId: string, secret: string): Promise<{ status: number; body: any }> {
      const org = await s.porta.services.organizations.getSuperAdmin();
      const res = await fetch(`${s.url}/${org.slug}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      return { status: res.status, body: await res.json() };
    }

    it('a super admin creates one; its token reaches the Admin API with its roles, and its writes name it in the audit log', async () => {
      const created = await s.superAdmin.post('/service-accounts', { name: 'Provisioner', roles: ['porta-org-admin'] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { serviceAccount, secret } = created.body.data;
      expect(serviceAccount).toMatchObject({ name: 'Provisioner', roles: ['porta-org-admin'], status: 'active' });
      expect(secret.plaintext).toMatch(/^[A-Za-z0-9_-]{40,}$/);

      const token = await clientCredentialsToken(serviceAccount.clientId, secret.plaintext);
      expect(token.status, JSON.stringify(token.body)).toBe(200);
      const machine = s.withToken(token.body.access_token);
      const org = await machine.post('/organizations', { name: 'Made by a machine', slug: 'machine-made' });
      expect(org.status).toBe(201);
      expect((await machine.get('/keys')).status).toBe(403);
      const [entry] = (await s.porta.services.audit.list({ event: 'organization.created', targetId: org.body.data.id })).data;
      expect(entry).toMatchObject({ actorType: 'service_account', actorClientId: serviceAccount.id, actorName: 'Provisioner', actorId: null, source: 'api' });

      // Roles changed: the next request carries the new permissions; deleted: the token is dead.
      expect((await s.superAdmin.put(`/service-accounts/${serviceAccount.id}/roles`, { roles: ['porta-auditor'] })).status).toBe(200);
      expect((await machine.post('/organizations', { name: 'No more', slug: 'no-more' })).status).toBe(403);
      expect((await machine.get('/keys')).status).toBe(200);
      expect((await s.superAdmin.delete(`/service-accounts/${serviceAccount.id}`)).status).toBe(204);
      expect((await machine.get('/keys')).status).toBe(401);
      expect((await clientCredentialsToken(serviceAccount.clientId, secret.plaintext)).status).toBe(401);
    });

    it('only super admins create or change service accounts', async () => {
      for (const client of [orgAdmin, appAdmin, userAdmin]) {
        expect((await client.post('/service-accounts', { name: 'Sneaky', roles: ['porta-super-admin'] })).status).toBe(403);
      }
      expect((await s.porta.services.clients.serviceAccounts.list()).filter((a) => a.name === 'Sneaky')).toEqual([]);
    });

    it('refuses tokens of any other client of the admin organization (401)', async () => {
      const app = (await s.porta.services.applications.findBySlug('porta-admin'))!;
      // Only the system can make one (as a migration or a bug might): its tokens must still be refused.
      const rogue = await s.porta.services.clients.create(actor, adminOrgId, {
        applicationId: app.id, clientName: 'Rogue', clientType: 'confidential', grantTypes: ['client_credentials'], redirectUris: [],
      });
      const token = await clientCredentialsToken(rogue.client.clientId, rogue.secret!.plaintext);
      expect(token.status).toBe(200);
      expect((await s.withToken(token.body.access_token).get('/organizations')).status).toBe(401);
      const asUser = await mintAccessToken(s.porta, adminOrgId, rogue.client.clientId, s.superAdminUserId).catch(() => null);
      if (asUser) expect((await s.withToken(asUser).get('/organizations')).status).toBe(401);
    });
  });

  describe('item 10: no setting may lock every admin out', () => {
    it('refuses magic-link-only sign-in for admins without a mail transport, and the admin org status changes', async () => {
      const res = await s.superAdmin.put(`/organizations/${adminOrgId}`, { defaultLoginMethods: ['magic_link'] });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/magic/i);
      const cli = await s.superAdmin.put(`/clients/${ADMIN_CLI_CLIENT_ID}`, { loginMethods: ['magic_link'] });
      expect(cli.status).toBe(400);
      expect((await s.superAdmin.post(`/organizations/${adminOrgId}/suspend`, {})).status).toBe(403);
      expect((await s.superAdmin.post(`/clients/${ADMIN_CLI_CLIENT_ID}/deactivate`)).status).toBe(403);
      expect((await orgAdmin.put(`/organizations/${adminOrgId}/two-factor/policy`, { twoFactorPolicy: 'required_any' })).status).toBe(403);
    });
  });

  describe('item 11: nobody purges their own account', () => {
    it('refuses, and keeps the audit trail', async () => {
      const me = await adminUser(['porta-user-admin']);
      const client = await s.clientFor(me.id);
      const res = await client.post(`/organizations/${adminOrgId}/users/${me.id}/purge`, { confirmPurge: true });
      expect(res.status).toBe(403);
      expect((await userRow(me.id)).email).toBe(me.email);
    });
  });

  describe('item 12: custom claim names that collide with protocol claims', () => {
    it.each(['scope', 'client_id', 'cnf', 'token_type', 'active', 'username', 'sid', 'azp'])('refuses %s with a clear error', async (claimName) => {
      const res = await appAdmin.post(`/applications/${tenant.appId}/claims`, { claimName, claimType: 'string' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(claimName);
      expect(JSON.stringify(res.body)).toMatch(/reserved/i);
    });
  });

  describe('item 13: taking access away ends every session, grant and token at once', () => {
    async function introspect(token: string): Promise<boolean> {
      const res = await fetch(`${s.url}/${tenant.slug}/auth/token/introspection`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${tenant.confidential.clientId}:${tenant.confidential.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }).toString(),
      });
      return ((await res.json()) as { active: boolean }).active;
    }

    it.each([
      ['suspend', (id: string) => userAdmin.post(`/users/${id}/suspend`, {}), (id: string) => userAdmin.post(`/users/${id}/unsuspend`)],
      ['lock', (id: string) => userAdmin.post(`/users/${id}/lock`, {}), (id: string) => userAdmin.post(`/users/${id}/unlock`)],
      ['deactivate', (id: string) => userAdmin.post(`/users/${id}/deactivate`), (id: string) => userAdmin.post(`/users/${id}/reactivate`)],
      ['set password', (id: string) => userAdmin.post(`/users/${id}/password`, { password: 'Brand-new-pass-1' }), null],
    ] as const)('%s', async (_name, takeAway, giveBack) => {
      const user = await s.porta.services.users.create(actor, tenant.orgId, { email: `t-${Date.now()}@example.com`, password: 'Secret-pass-12' });
      const token = await mintAccessToken(s.porta, tenant.orgId, tenant.confidential.clientId, user.id);
      expect(await introspect(token)).toBe(true);
      expect((await takeAway(user.id)).status).toBe(204);
      expect(await introspect(token)).toBe(false);
      if (giveBack) {
        expect((await giveBack(user.id)).status).toBe(204);
        expect(await introspect(token)).toBe(false);
      }
    });
  });
});
