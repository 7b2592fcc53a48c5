import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminClient, type AdminResponse, type AdminServer } from '../support/admin.js';
import { systemActor } from '../../src/actors/index.js';

const MISSING = '00000000-0000-4000-8000-000000000000';
const tag = () => randomBytes(3).toString('hex');
const SYSTEM = systemActor();

interface Entity {
  id: string;
  slug: string;
  applicationId: string;
}

describe('admin API: roles, permissions, claims and user roles (spec 20 §5.4, §5.6)', () => {
  let s: AdminServer;
  let appAdmin: AdminClient;
  let userAdmin: AdminClient;
  let auditor: AdminClient;
  let adminOrgId: string;
  let tenantOrgId: string;
  let adminRoles: Map<string, Entity>;

  beforeAll(async () => {
    s = await startAdminServer();
    // This file makes far more writes than the default admin write limit allows per minute.
    await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_admin_write_max', '100000');
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    adminOrgId = (await s.porta.services.organizations.getSuperAdmin()).id;
    tenantOrgId = (await s.porta.services.organizations.create(SYSTEM, { name: 'Tenant', slug: `tenant-${tag()}` })).id;
    const roles = await s.superAdmin.get('/applications/porta-admin/roles');
    adminRoles = new Map((roles.body.data as Entity[]).map((r) => [r.slug, r]));
  });
  afterAll(() => s?.stop());

  const newApp = async () => {
    const res = await appAdmin.post('/applications', { name: `App ${tag()}` });
    expect(res.status).toBe(201);
    return res.body.data as Entity;
  };
  const newUser = async (orgId: string) => s.porta.services.users.create(SYSTEM, orgId, { email: `u-${tag()}@example.com` });
  const created = async (client: AdminClient, path: string, body: unknown) => {
    const res = await client.post(path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data as Entity;
  };
  const eventsFor = async (targetId: string) =>
    (await s.porta.services.audit.list({ targetId })).data.map((e) => ({ eventType: e.eventType, actorId: e.actorId }));

  describe('roles', () => {
    it('creates, reads, updates and deletes a role, auditing each write', async () => {
      const app = await newApp();
      const res = await appAdmin.post(`/applications/${app.id}/roles`, { name: 'Billing Manager', description: 'Pays bills' });
      expect(res.status).toBe(201);
      const role = res.body.data;
      expect(role).toMatchObject({ applicationId: app.id, name: 'Billing Manager', slug: 'billing-manager', description: 'Pays bills' });
      expect(Object.keys(role).sort()).toEqual(['applicationId', 'createdAt', 'description', 'id', 'name', 'slug', 'updatedAt']);

      expect((await auditor.get(`/applications/${app.id}/roles`)).body.data.map((r: Entity) => r.id)).toEqual([role.id]);
      expect((await auditor.get(`/applications/${app.slug}/roles/${role.id}`)).body.data).toMatchObject({ id: role.id });
      const updated = await appAdmin.put(`/applications/${app.id}/roles/${role.id}`, { name: 'Finance', slug: 'finance' });
      expect(updated.status).toBe(200);
      expect(updated.body.data).toMatchObject({ name: 'Finance', slug: 'finance' });
      expect((await appAdmin.delete(`/applications/${app.id}/roles/${role.id}`)).status).toBe(204);
      expect((await auditor.get(`/applications/${app.id}/roles/${role.id}`)).status).toBe(404);
      expect(await eventsFor(role.id)).toEqual(
        expect.arrayContaining(['role.created', 'role.updated', 'role.deleted'].map((eventType) => ({ eventType, actorId: appAdmin.userId }))),
      );
    });

    it('answers 401 without a valid token and 403 without the permission', async () => {
      const app = await newApp();
      expect((await s.anonymous().get(`/applications/${app.id}/roles`)).status).toBe(401);
      expect((await s.withToken('not-a-token').get(`/applications/${app.id}/roles`)).status).toBe(401);
      const denied = await auditor.post(`/applications/${app.id}/roles`, { name: 'Nope' });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:role:create'] } });
      expect((await userAdmin.post(`/applications/${app.id}/roles`, { name: 'Nope' })).status).toBe(403);
      expect((await auditor.delete(`/applications/${app.id}/roles/${MISSING}`)).status).toBe(403);
    });

    it('answers 400 for bad input, 404 for objects outside the application and 409 for a taken slug', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Editor' });
      for (const body of [{}, { name: '' }, { name: 'X', slug: 'Upper' }, { name: 'X', slug: 'a'.repeat(101) }, { name: 'X', extra: 1 }]) {
        const res = await appAdmin.post(`/applications/${app.id}/roles`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_failed');
      }
      const taken = await appAdmin.post(`/applications/${app.id}/roles`, { name: 'Editor' });
      expect(taken.status).toBe(409);
      expect(taken.body.error).toBe('slug_taken');
      expect((await auditor.get(`/applications/${other.id}/roles/${role.id}`)).status).toBe(404);
      expect((await appAdmin.put(`/applications/${other.id}/roles/${role.id}`, { name: 'X' })).status).toBe(404);
      expect((await appAdmin.delete(`/applications/${other.id}/roles/${role.id}`)).status).toBe(404);
      expect((await auditor.get(`/applications/${app.id}/roles/not-a-uuid`)).status).toBe(404);
      expect((await auditor.get(`/applications/${MISSING}/roles`)).status).toBe(404);
    });

    it('refuses to delete a held role (409 in_use) unless force=true', async () => {
      const app = await newApp();
      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Held' });
      const user = await newUser(tenantOrgId);
      expect((await userAdmin.put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [role.id] })).status).toBe(204);
      const holders = await auditor.get(`/applications/${app.id}/roles/${role.id}/users?orgId=${tenantOrgId}`);
      expect(holders.body).toEqual({ total: 1, data: [{ userId: user.id, roleId: role.id, assignedBy: userAdmin.userId, createdAt: expect.any(String) }] });
      expect((await auditor.get(`/applications/${app.id}/roles/${role.id}/users`)).status).toBe(400);
      const inUse = await appAdmin.delete(`/applications/${app.id}/roles/${role.id}`);
      expect(inUse.status).toBe(409);
      expect(inUse.body.error).toBe('in_use');
      expect((await appAdmin.delete(`/applications/${app.id}/roles/${role.id}?force=true`)).status).toBe(204);
      expect((await auditor.get(`/organizations/${tenantOrgId}/users/${user.id}/roles`)).body.data).toEqual([]);
    });

    it('maps permissions of the same application only', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Mapper' });
      const read = await created(appAdmin, `/applications/${app.id}/permissions`, { name: 'Read', slug: 'docs:doc:read' });
      const foreign = await created(appAdmin, `/applications/${other.id}/permissions`, { name: 'Read', slug: 'docs:doc:read' });
      const path = `/applications/${app.id}/roles/${role.id}/permissions`;
      expect((await appAdmin.put(path, { permissionIds: [read.id] })).status).toBe(204);
      const cross = await appAdmin.put(path, { permissionIds: [foreign.id] });
      expect(cross.status).toBe(400);
      expect(cross.body.error).toBe('validation_failed');
      expect((await appAdmin.put(path, { permissionIds: [] })).status).toBe(400);
      expect((await auditor.get(path)).body.data.map((p: Entity) => p.slug)).toEqual(['docs:doc:read']);
      expect((await auditor.get(`/applications/${app.id}/permissions/${read.id}/roles`)).body.data.map((r: Entity) => r.id)).toEqual([role.id]);
      expect((await appAdmin.delete(path, { permissionIds: [read.id] })).status).toBe(204);
      expect((await auditor.get(path)).body.data).toEqual([]);
      expect((await eventsFor(role.id)).map((e) => e.eventType)).toEqual(expect.arrayContaining(['role.permissions_added', 'role.permissions_removed']));
    });
  });

  describe('permissions', () => {
    it('creates with a structured slug, keeps it immutable and deletes with force when in use', async () => {
      const app = await newApp();
      const mod = (await appAdmin.post(`/applications/${app.id}/modules`, { name: 'Invoices' })).body.data as Entity;
      const perm = await created(appAdmin, `/applications/${app.id}/permissions`, { name: 'Pay', slug: 'billing:invoice:pay', moduleId: mod.id });
      expect(perm).toMatchObject({ moduleId: mod.id, slug: 'billing:invoice:pay' });
      expect(Object.keys(perm).sort()).toEqual(['applicationId', 'createdAt', 'description', 'id', 'moduleId', 'name', 'slug']);
      for (const slug of ['billing:pay', 'Billing:invoice:pay', `a:b:${'c'.repeat(148)}`]) {
        expect((await appAdmin.post(`/applications/${app.id}/permissions`, { name: 'X', slug })).status, slug).toBe(400);
      }
      expect((await appAdmin.post(`/applications/${app.id}/permissions`, { name: 'X', slug: 'billing:invoice:pay' })).status).toBe(409);
      expect((await auditor.get(`/applications/${app.id}/permissions?moduleId=${mod.id}`)).body.data).toHaveLength(1);
      expect((await appAdmin.put(`/applications/${app.id}/permissions/${perm.id}`, { name: 'Pay invoices' })).body.data.name).toBe('Pay invoices');
      expect((await appAdmin.put(`/applications/${app.id}/permissions/${perm.id}`, { slug: 'billing:invoice:void' })).status).toBe(400);
      expect((await auditor.get(`/applications/${(await newApp()).id}/permissions/${perm.id}`)).status).toBe(404);

      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Payer' });
      await appAdmin.put(`/applications/${app.id}/roles/${role.id}/permissions`, { permissionIds: [perm.id] });
      const inUse = await appAdmin.delete(`/applications/${app.id}/permissions/${perm.id}`);
      expect(inUse.status).toBe(409);
      expect(inUse.body.error).toBe('in_use');
      expect((await appAdmin.delete(`/applications/${app.id}/permissions/${perm.id}?force=true`)).status).toBe(204);
      expect((await eventsFor(perm.id)).map((e) => e.eventType)).toEqual(expect.arrayContaining(['permission.created', 'permission.updated', 'permission.deleted']));
      expect((await auditor.post(`/applications/${app.id}/permissions`, { name: 'X', slug: 'a:b:c' })).status).toBe(403);
    });
  });

  describe('claims', () => {
    it('defines claims, stores typed values per user and audits without the values', async () => {
      const app = await newApp();
      const user = await newUser(tenantOrgId);
      const res = await appAdmin.post(`/applications/${app.id}/claims`, { claimName: 'department', claimType: 'string', includeInIdToken: true });
      expect(res.status).toBe(201);
      const claim = res.body.data;
      expect(claim).toMatchObject({ claimName: 'department', claimType: 'string', includeInIdToken: true, includeInAccessToken: true, includeInUserinfo: true });
      for (const body of [{ claimName: 'email', claimType: 'string' }, { claimName: 'Bad', claimType: 'string' }, { claimName: 'x', claimType: 'date' }]) {
        expect((await appAdmin.post(`/applications/${app.id}/claims`, body)).status, JSON.stringify(body)).toBe(400);
      }
      const dup = await appAdmin.post(`/applications/${app.id}/claims`, { claimName: 'department', claimType: 'number' });
      expect(dup.status).toBe(409);
      expect(dup.body.error).toBe('slug_taken');
      expect((await appAdmin.put(`/applications/${app.id}/claims/${claim.id}`, { claimType: 'number' })).status).toBe(400);
      expect((await appAdmin.put(`/applications/${app.id}/claims/${claim.id}`, { includeInUserinfo: false })).body.data.includeInUserinfo).toBe(false);

      const valuePath = `/applications/${app.id}/claims/${claim.id}/users/${user.id}`;
      const mismatch = await appAdmin.put(valuePath, { value: 42 });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.error).toBe('validation_failed');
      expect((await appAdmin.put(valuePath, { value: null })).status).toBe(400);
      const set = await appAdmin.put(valuePath, { value: 'sales' });
      expect(set.status).toBe(200);
      expect(set.body.data).toMatchObject({ userId: user.id, claimId: claim.id, claimName: 'department', value: 'sales' });
      expect((await userAdmin.get(valuePath)).body.data.value).toBe('sales');
      expect((await auditor.get(`/applications/${app.id}/claims/users/${user.id}`)).body.data.map((v: { value: unknown }) => v.value)).toEqual(['sales']);
      expect((await auditor.get(`/applications/${app.id}/claims/users/${MISSING}`)).status).toBe(404);
      expect((await appAdmin.put(`/applications/${app.id}/claims/${claim.id}/users/${MISSING}`, { value: 'x' })).status).toBe(404);
      expect((await auditor.get(`/applications/${(await newApp()).id}/claims/${claim.id}`)).status).toBe(404);
      expect((await userAdmin.put(valuePath, { value: 'x' })).status).toBe(403);

      expect((await appAdmin.delete(valuePath)).status).toBe(204);
      expect((await auditor.get(valuePath)).status).toBe(404);
      expect((await appAdmin.delete(`/applications/${app.id}/claims/${claim.id}`)).status).toBe(204);
      const entries = (await s.porta.services.audit.list({ targetId: claim.id })).data;
      expect(entries.map((e) => e.eventType)).toEqual(
        expect.arrayContaining(['claim.created', 'claim.updated', 'claim.value_set', 'claim.value_deleted', 'claim.deleted']),
      );
      expect(JSON.stringify(entries)).not.toContain('sales');
    });
  });

  describe('the admin application (spec 20 §3.3)', () => {
    it('is readable but its roles, permissions and claims are read-only', async () => {
      const superRole = adminRoles.get('porta-super-admin')!;
      expect(adminRoles.size).toBe(5);
      expect((await auditor.get(`/applications/porta-admin/roles/${superRole.id}/permissions`)).body.data).toHaveLength(43);
      const perm = (await auditor.get('/applications/porta-admin/permissions')).body.data[0] as Entity;
      const writes = [
        () => s.superAdmin.post('/applications/porta-admin/roles', { name: 'Sneaky' }),
        () => s.superAdmin.put(`/applications/porta-admin/roles/${superRole.id}`, { name: 'Renamed' }),
        () => s.superAdmin.delete(`/applications/porta-admin/roles/${superRole.id}?force=true`),
        () => s.superAdmin.delete(`/applications/porta-admin/roles/${superRole.id}/permissions`, { permissionIds: [perm.id] }),
        () => s.superAdmin.post('/applications/porta-admin/permissions', { name: 'X', slug: 'admin:x:y' }),
        () => s.superAdmin.delete(`/applications/porta-admin/permissions/${perm.id}?force=true`),
        () => s.superAdmin.post('/applications/porta-admin/claims', { claimName: 'tier', claimType: 'string' }),
      ];
      for (const write of writes) {
        const res = await write();
        expect(res.status).toBe(403);
        expect(res.body.error).toBe('protected_resource');
      }
    });
  });

  describe('user roles (spec 20 §5.6, §3.4)', () => {
    it('assigns roles of any application to a user of any organization and lists roles and permissions', async () => {
      const app = await newApp();
      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Reader' });
      const perm = await created(appAdmin, `/applications/${app.id}/permissions`, { name: 'Read', slug: 'r:doc:read' });
      await appAdmin.put(`/applications/${app.id}/roles/${role.id}/permissions`, { permissionIds: [perm.id] });
      const user = await newUser(tenantOrgId);
      const path = `/organizations/${tenantOrgId}/users/${user.id}/roles`;
      expect((await userAdmin.put(path, { roleIds: [role.id] })).status).toBe(204);
      expect((await auditor.get(path)).body.data.map((r: Entity) => r.slug)).toEqual(['reader']);
      expect((await auditor.get(`${path}?applicationId=${app.id}`)).body.data).toHaveLength(1);
      expect((await auditor.get(`${path}?applicationId=${MISSING}`)).body.data).toEqual([]);
      expect((await auditor.get(`${path}/permissions`)).body.data.map((p: Entity) => p.slug)).toEqual(['r:doc:read']);
      expect((await userAdmin.delete(path, { roleIds: [role.id] })).status).toBe(204);
      expect((await auditor.get(path)).body.data).toEqual([]);
      expect(await eventsFor(user.id)).toEqual(
        expect.arrayContaining([{ eventType: 'user.roles_assigned', actorId: userAdmin.userId }, { eventType: 'user.roles_removed', actorId: userAdmin.userId }]),
      );
    });

    it('answers 404 for a user of another organization, 400 for bad role ids and 403 without role:assign', async () => {
      const role = await created(appAdmin, `/applications/${(await newApp()).id}/roles`, { name: 'R' });
      const user = await newUser(tenantOrgId);
      expect((await userAdmin.put(`/organizations/${adminOrgId}/users/${user.id}/roles`, { roleIds: [role.id] })).status).toBe(404);
      expect((await auditor.get(`/organizations/${adminOrgId}/users/${user.id}/roles`)).status).toBe(404);
      expect((await userAdmin.put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [MISSING] })).status).toBe(400);
      expect((await userAdmin.put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [] })).status).toBe(400);
      expect((await appAdmin.put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [role.id] })).status).toBe(403);
      expect((await s.anonymous().put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [role.id] })).status).toBe(401);
    });

    it('refuses admin roles beyond the granter, porta-super-admin from non-super-admins, own changes and tenant users', async () => {
      const target = await newUser(adminOrgId);
      const path = `/organizations/${adminOrgId}/users/${target.id}/roles`;
      const id = (slug: string) => adminRoles.get(slug)!.id;
      expect((await userAdmin.put(path, { roleIds: [id('porta-user-admin')] })).status).toBe(204);
      const beyond = await userAdmin.put(path, { roleIds: [id('porta-auditor')] });
      expect(beyond.status).toBe(403);
      expect(beyond.body.error).toBe('privilege_escalation');
      expect((await userAdmin.put(path, { roleIds: [id('porta-super-admin')] })).body.error).toBe('privilege_escalation');
      const own = await userAdmin.delete(`/organizations/${adminOrgId}/users/${userAdmin.userId}/roles`, { roleIds: [id('porta-user-admin')] });
      expect(own.status).toBe(403);
      expect(own.body.error).toBe('privilege_escalation');
      const ownBySuper = await s.superAdmin.put(`/organizations/${adminOrgId}/users/${s.superAdminUserId}/roles`, { roleIds: [id('porta-auditor')] });
      expect(ownBySuper.body.error).toBe('privilege_escalation');
      const tenantUser = await newUser(tenantOrgId);
      const outside = await s.superAdmin.put(`/organizations/${tenantOrgId}/users/${tenantUser.id}/roles`, { roleIds: [id('porta-auditor')] });
      expect(outside.status).toBe(400);
      expect((await s.superAdmin.put(path, { roleIds: [id('porta-super-admin')] })).status).toBe(204);
    });

    it('never strips the super-admin user of porta-super-admin', async () => {
      const second = await s.clientWithRoles(['porta-super-admin']);
      const res = await second.delete(`/organizations/${adminOrgId}/users/${s.superAdminUserId}/roles`, { roleIds: [adminRoles.get('porta-super-admin')!.id] });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('protected_resource');
      expect((await auditor.get(`/organizations/${adminOrgId}/users/${s.superAdminUserId}/roles`)).body.data.map((r: Entity) => r.slug)).toEqual(['porta-super-admin']);
    });
  });

  describe('an attacker with admin powers (issue 9 items 7 and 12, spec 20 §3.3–§3.4)', () => {
    const id = (slug: string) => adminRoles.get(slug)!.id;
    const rolesOf = async (orgId: string, userId: string) =>
      ((await auditor.get(`/organizations/${orgId}/users/${userId}/roles`)).body.data as Entity[]).map((r) => r.slug).sort();
    const entriesBy = async (actor: AdminClient) => (await s.porta.services.audit.list({ actor: actor.userId! })).total;

    /** 403 with this code; the target's state and the attacker's audit trail are unchanged. */
    async function expectDenied(attacker: AdminClient, send: () => Promise<AdminResponse>, error: string, state: () => Promise<unknown>) {
      const before = await state();
      const entries = await entriesBy(attacker);
      const res = await send();
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.body.error).toBe(error);
      expect(await state()).toEqual(before);
      expect(await entriesBy(attacker)).toBe(entries);
      return res;
    }

    it('a user admin cannot grant application-admin roles it does not fully hold', async () => {
      const attacker = await s.clientWithRoles(['porta-user-admin']);
      const target = await newUser(adminOrgId);
      const path = `/organizations/${adminOrgId}/users/${target.id}/roles`;
      const state = () => rolesOf(adminOrgId, target.id);
      const res = await expectDenied(attacker, () => attacker.put(path, { roleIds: [id('porta-app-admin')] }), 'privilege_escalation', state);
      expect(res.body.details.missing).toEqual(expect.arrayContaining(['admin:app:create', 'admin:client:create', 'admin:claim:update']));
      // Smuggled in beside a role it may grant, or onto itself: nothing is granted.
      await expectDenied(attacker, () => attacker.put(path, { roleIds: [id('porta-user-admin'), id('porta-app-admin')] }), 'privilege_escalation', state);
      await expectDenied(attacker, () => attacker.put(`/organizations/${adminOrgId}/users/${attacker.userId}/roles`, { roleIds: [id('porta-app-admin')] }), 'privilege_escalation', () => rolesOf(adminOrgId, attacker.userId!));
      await expectDenied(attacker, () => attacker.put(path, { roleIds: [id('porta-super-admin')] }), 'privilege_escalation', state);
      expect(await state()).toEqual([]);
    });

    it('a user admin cannot change the roles of a super admin, nor an application admin their claim values', async () => {
      const userAdminAttacker = await s.clientWithRoles(['porta-user-admin']);
      const appAdminAttacker = await s.clientWithRoles(['porta-app-admin']);
      const second = await s.clientWithRoles(['porta-super-admin']);
      const app = await newApp();
      const plain = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Plain' });
      const claim = await created(appAdmin, `/applications/${app.id}/claims`, { claimName: 'clearance', claimType: 'string' });
      for (const victim of [s.superAdminUserId, second.userId!]) {
        const roles = () => rolesOf(adminOrgId, victim);
        const rolesPath = `/organizations/${adminOrgId}/users/${victim}/roles`;
        await expectDenied(userAdminAttacker, () => userAdminAttacker.delete(rolesPath, { roleIds: [id('porta-super-admin')] }), 'protected_resource', roles);
        await expectDenied(userAdminAttacker, () => userAdminAttacker.put(rolesPath, { roleIds: [plain.id] }), 'protected_resource', roles);

        expect((await s.superAdmin.put(`/applications/${app.id}/claims/${claim.id}/users/${victim}`, { value: 'top' })).status).toBe(200);
        const valuePath = `/applications/${app.id}/claims/${claim.id}/users/${victim}`;
        const value = async () => (await auditor.get(valuePath)).body.data.value;
        // The user admin lacks claim:update; the application admin holds it, but super admins are protected.
        await expectDenied(userAdminAttacker, () => userAdminAttacker.put(valuePath, { value: 'none' }), 'forbidden', value);
        await expectDenied(appAdminAttacker, () => appAdminAttacker.put(valuePath, { value: 'none' }), 'protected_resource', value);
        await expectDenied(appAdminAttacker, () => appAdminAttacker.delete(valuePath), 'protected_resource', value);
      }
    });

    it("an application admin cannot rewrite the admin application's roles (read-only catalog)", async () => {
      const attacker = await s.clientWithRoles(['porta-app-admin']);
      const assign = ((await auditor.get('/applications/porta-admin/permissions')).body.data as Entity[]).find((p) => p.slug === 'admin:role:assign')!;
      const perms = (roleSlug: string) => async () => (await auditor.get(`/applications/porta-admin/roles/${id(roleSlug)}/permissions`)).body.data.map((p: Entity) => p.slug);
      const writes: [() => Promise<AdminResponse>, string][] = [
        [() => attacker.put(`/applications/porta-admin/roles/${id('porta-app-admin')}/permissions`, { permissionIds: [assign.id] }), 'porta-app-admin'],
        [() => attacker.delete(`/applications/porta-admin/roles/${id('porta-super-admin')}/permissions`, { permissionIds: [assign.id] }), 'porta-super-admin'],
        [() => attacker.put(`/applications/porta-admin/roles/${id('porta-auditor')}`, { name: 'Everything' }), 'porta-auditor'],
        [() => attacker.delete(`/applications/porta-admin/roles/${id('porta-user-admin')}?force=true`), 'porta-user-admin'],
        [() => attacker.post('/applications/porta-admin/roles', { name: 'Shadow admin' }), 'porta-app-admin'],
        [() => attacker.put(`/applications/porta-admin/permissions/${assign.id}`, { name: 'Nothing to see' }), 'porta-app-admin'],
      ];
      for (const [write, role] of writes) await expectDenied(attacker, write, 'protected_resource', perms(role));
      expect(adminRoles.size).toBe(5);
      expect((await auditor.get('/applications/porta-admin/roles')).body.data).toHaveLength(5);
    });

    it('nobody changes their own admin roles, not even a super admin', async () => {
      const userAdminAttacker = await s.clientWithRoles(['porta-user-admin']);
      const own = (c: AdminClient) => () => rolesOf(adminOrgId, c.userId!);
      const self = (c: AdminClient) => `/organizations/${adminOrgId}/users/${c.userId}/roles`;
      await expectDenied(userAdminAttacker, () => userAdminAttacker.delete(self(userAdminAttacker), { roleIds: [id('porta-user-admin')] }), 'privilege_escalation', own(userAdminAttacker));
      await expectDenied(userAdminAttacker, () => userAdminAttacker.put(self(userAdminAttacker), { roleIds: [id('porta-user-admin')] }), 'privilege_escalation', own(userAdminAttacker));
      await expectDenied(s.superAdmin, () => s.superAdmin.put(self(s.superAdmin), { roleIds: [id('porta-auditor')] }), 'privilege_escalation', own(s.superAdmin));
      await expectDenied(s.superAdmin, () => s.superAdmin.delete(self(s.superAdmin), { roleIds: [id('porta-super-admin')] }), 'protected_resource', own(s.superAdmin));
    });

    const reserved = ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'sid', 'scope', 'client_id', 'cnf', 'token_type', 'active',
      'username', 'auth_time', 'nonce', 'acr', 'amr', 'at_hash', 'org_id', 'org_slug', 'roles', 'permissions', 'email', 'c_hash'];
    it.each(reserved)('refuses the reserved claim name %s with a message naming it', async (claimName) => {
      const app = await newApp();
      const entries = await entriesBy(appAdmin);
      const res = await appAdmin.post(`/applications/${app.id}/claims`, { claimName, claimType: 'string', includeInAccessToken: true });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.message).toBe(`The claim name "${claimName}" is reserved (a protocol, introspection or Porta claim).`);
      expect(res.body.details).toEqual([expect.objectContaining({ path: 'claimName', reason: 'claim_name_reserved' })]);
      expect((await auditor.get(`/applications/${app.id}/claims`)).body.data).toEqual([]);
      expect(await entriesBy(appAdmin)).toBe(entries);
    });

    it("records each write with the actor's type, source and request", async () => {
      const app = await newApp();
      const role = await created(appAdmin, `/applications/${app.id}/roles`, { name: 'Traced' });
      const user = await newUser(tenantOrgId);
      expect((await userAdmin.put(`/organizations/${tenantOrgId}/users/${user.id}/roles`, { roleIds: [role.id] })).status).toBe(204);
      const [createdEntry] = (await s.porta.services.audit.list({ targetId: role.id, event: 'role.created' })).data;
      expect(createdEntry).toMatchObject({ actorType: 'admin', source: 'api', actorId: appAdmin.userId, actorClientId: null, metadata: { applicationId: app.id, slug: 'traced', name: 'Traced' } });
      // Audit rows name users by id only, never by e-mail (spec 50 §6).
      expect(createdEntry!.actorName).toBeNull();
      expect(createdEntry!.ipAddress).not.toBeNull();
      const [assigned] = (await s.porta.services.audit.list({ targetId: user.id, event: 'user.roles_assigned' })).data;
      expect(assigned).toMatchObject({ actorType: 'admin', source: 'api', actorId: userAdmin.userId, organizationId: tenantOrgId, userId: user.id });
    });
  });
});
