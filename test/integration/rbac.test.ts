import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAppError } from '../support/errors.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createApplicationService, type Application, type ApplicationService } from '../../src/applications/index.js';
import { createOrganizationService } from '../../src/organizations/index.js';
import { createSystemConfigService } from '../../src/system-config/index.js';
import { createPasswordHasher, createUserService, type UserService } from '../../src/users/index.js';
import { createBootstrapService } from '../../src/bootstrap/index.js';
import {
  ADMIN_APPLICATION_SLUG,
  SUPER_ADMIN_ROLE,
  adminPermissionsOf,
  createAccessService,
  createRbacService,
  type AccessService,
  type RbacActor,
  type RbacService,
  type Role,
} from '../../src/rbac/index.js';

const MISSING = '00000000-0000-4000-8000-000000000000';
const tag = () => randomBytes(3).toString('hex');

const actorWith = (userId: string | null, roles: string[]): RbacActor => ({
  userId,
  permissions: adminPermissionsOf(roles),
  isSuperAdmin: roles.includes(SUPER_ADMIN_ROLE),
});

function rbacSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let apps: ApplicationService;
  let users: UserService;
  let rbac: RbacService;
  let access: AccessService;
  let adminOrgId: string;
  let tenantOrgId: string;
  let superAdminUserId: string;
  let adminApp: Application;
  let adminRoles: Map<string, Role>;

  const newApp = async () => apps.create({ name: `App ${tag()}` });
  const newUser = async (orgId: string) => users.create(orgId, { email: `u-${tag()}@example.com` });

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const clock = createManualClock();
    const log = createLog({ env: 'test', level: 'silent' });
    const kv = createMemoryKv({ clock });
    const passwords = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const init = await createBootstrapService({ db, kv, clock, log, passwords }).initialize({ email: 'root@example.com', password: 'root-password-1' });
    superAdminUserId = init.user.id;
    adminOrgId = init.organization.id;
    apps = createApplicationService({ db, kv, clock, log });
    const organizations = createOrganizationService({ db, kv, clock, log });
    const systemConfig = createSystemConfigService({ db, kv, clock, log });
    users = createUserService({ db, clock, log, passwords, settings: systemConfig });
    rbac = createRbacService({ db, kv, clock, log, applications: apps, users, organizations, systemConfig });
    access = createAccessService(db);
    tenantOrgId = (await organizations.create({ name: 'Tenant', slug: `tenant-${tag()}` })).id;
    adminApp = (await apps.findBySlug(ADMIN_APPLICATION_SLUG))!;
    adminRoles = new Map((await rbac.listRoles(ADMIN_APPLICATION_SLUG)).map((r) => [r.slug, r]));
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('roles', () => {
    it('derives the slug from the name, takes an explicit one and refuses duplicates and bad slugs', async () => {
      const app = await newApp();
      const derived = await rbac.createRole(app.id, { name: 'Billing Manager', description: 'Pays' });
      expect(derived).toMatchObject({ applicationId: app.id, name: 'Billing Manager', slug: 'billing-manager', description: 'Pays' });
      expect(await rbac.createRole(app.slug, { name: 'Viewer', slug: 'viewer-2' })).toMatchObject({ slug: 'viewer-2' });
      await expectAppError(rbac.createRole(app.id, { name: 'Billing Manager' }), 'conflict', 'role_slug_taken');
      await expectAppError(rbac.createRole(app.id, { name: 'X', slug: 'Has Spaces' }), 'invalid', 'validation_failed');
      await expectAppError(rbac.createRole(app.id, { name: 'X', slug: 'a'.repeat(101) }), 'invalid', 'validation_failed');
      // The same slug in another application is fine.
      expect((await rbac.createRole((await newApp()).id, { name: 'Billing Manager' })).slug).toBe('billing-manager');
      expect((await rbac.listRoles(app.id)).map((r) => r.slug)).toEqual(['billing-manager', 'viewer-2']);
    });

    it('updates name, slug and description; an object of another application is not found', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await rbac.createRole(app.id, { name: 'Editor' });
      const { role: updated } = await rbac.updateRole(app.id, role.id, { name: 'Chief Editor', slug: 'chief', description: null });
      expect(updated).toMatchObject({ id: role.id, name: 'Chief Editor', slug: 'chief', description: null });
      await rbac.createRole(app.id, { name: 'Writer' });
      await expectAppError(rbac.updateRole(app.id, role.id, { slug: 'writer' }), 'conflict', 'role_slug_taken');
      await expectAppError(rbac.getRole(other.id, role.id), 'not_found', 'role_not_found');
      await expectAppError(rbac.updateRole(other.id, role.id, { name: 'Hijack' }), 'not_found', 'role_not_found');
      await expectAppError(rbac.deleteRole(other.id, role.id), 'not_found', 'role_not_found');
      await expectAppError(rbac.getRole(app.id, 'not-a-uuid'), 'not_found', 'role_not_found');
      await expectAppError(rbac.listRoles(MISSING), 'not_found', 'application_not_found');
    });

    it('refuses to delete a held role unless forced, then removes the assignments', async () => {
      const app = await newApp();
      const role = await rbac.createRole(app.id, { name: 'Holder' });
      const user = await newUser(tenantOrgId);
      await rbac.assignRoles(tenantOrgId, user.id, { roleIds: [role.id] }, actorWith(superAdminUserId, [SUPER_ADMIN_ROLE]));
      const err = await expectAppError(rbac.deleteRole(app.id, role.id), 'conflict', 'in_use');
      expect(err.details).toEqual({ count: 1 });
      expect(await rbac.deleteRole(app.id, role.id, { force: true })).toMatchObject({ holders: 1 });
      expect(await rbac.listUserRoles(tenantOrgId, user.id)).toEqual([]);
      const unused = await rbac.createRole(app.id, { name: 'Unused' });
      expect(await rbac.deleteRole(app.id, unused.id)).toMatchObject({ holders: 0 });
    });

    it('lists holders among the users of one organization', async () => {
      const app = await newApp();
      const role = await rbac.createRole(app.id, { name: 'Shared' });
      const actor = actorWith(null, [SUPER_ADMIN_ROLE]);
      const inTenant = await newUser(tenantOrgId);
      const inAdminOrg = await newUser(adminOrgId);
      await rbac.assignRoles(tenantOrgId, inTenant.id, { roleIds: [role.id] }, actor);
      await rbac.assignRoles(adminOrgId, inAdminOrg.id, { roleIds: [role.id] }, actor);
      const page = await rbac.listRoleHolders(app.id, role.id, { orgId: tenantOrgId });
      expect(page).toEqual({ total: 1, data: [{ userId: inTenant.id, roleId: role.id, assignedBy: null, createdAt: expect.any(String) }] });
      await expectAppError(rbac.listRoleHolders(app.id, role.id, { orgId: MISSING }), 'not_found', 'organization_not_found');
    });
  });

  describe('permissions and role mappings', () => {
    it('validates slugs (three segments, lowercase, at most 150) and keeps them immutable', async () => {
      const app = await newApp();
      const perm = await rbac.createPermission(app.id, { name: 'Read invoices', slug: 'billing:invoice:read' });
      expect(perm).toMatchObject({ applicationId: app.id, moduleId: null, slug: 'billing:invoice:read', description: null });
      for (const slug of ['billing:read', 'Billing:invoice:read', 'billing::read', `a:b:${'c'.repeat(147)}`, 'a b:c:d']) {
        await expectAppError(rbac.createPermission(app.id, { name: 'Bad', slug }), 'invalid', 'validation_failed');
      }
      expect((await rbac.createPermission(app.id, { name: 'Max', slug: `a:b:${'c'.repeat(146)}` })).slug).toHaveLength(150);
      await expectAppError(rbac.createPermission(app.id, { name: 'Dup', slug: 'billing:invoice:read' }), 'conflict', 'permission_slug_taken');
      const { permission } = await rbac.updatePermission(app.id, perm.id, { name: 'Read all invoices', slug: 'billing:invoice:read' });
      expect(permission.name).toBe('Read all invoices');
      await expectAppError(rbac.updatePermission(app.id, perm.id, { slug: 'billing:invoice:write' }), 'invalid', 'slug_immutable');
    });

    it('accepts a module of the same application only and filters by module', async () => {
      const app = await newApp();
      const other = await newApp();
      const mod = await apps.createModule(app.id, { name: 'Invoices' });
      const foreign = await apps.createModule(other.id, { name: 'Elsewhere' });
      const inModule = await rbac.createPermission(app.id, { name: 'A', slug: 'x:y:a', moduleId: mod.id });
      await rbac.createPermission(app.id, { name: 'B', slug: 'x:y:b' });
      await expectAppError(rbac.createPermission(app.id, { name: 'C', slug: 'x:y:c', moduleId: foreign.id }), 'invalid', 'module_not_in_application');
      expect((await rbac.listPermissions(app.id, { moduleId: mod.id })).map((p) => p.id)).toEqual([inModule.id]);
      expect(await rbac.listPermissions(app.id)).toHaveLength(2);
    });

    it('maps permissions of the same application only, idempotently', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await rbac.createRole(app.id, { name: 'Mapper' });
      const read = await rbac.createPermission(app.id, { name: 'R', slug: 'm:doc:read' });
      const write = await rbac.createPermission(app.id, { name: 'W', slug: 'm:doc:write' });
      const foreign = await rbac.createPermission(other.id, { name: 'F', slug: 'm:doc:read' });
      expect((await rbac.addRolePermissions(app.id, role.id, { permissionIds: [read.id, write.id] })).changed).toBe(2);
      expect((await rbac.addRolePermissions(app.id, role.id, { permissionIds: [read.id] })).changed).toBe(0);
      const err = await expectAppError(rbac.addRolePermissions(app.id, role.id, { permissionIds: [foreign.id] }), 'invalid', 'permission_not_in_application');
      expect(err.details).toEqual({ permissionIds: [foreign.id] });
      await expectAppError(rbac.addRolePermissions(app.id, role.id, { permissionIds: [] }), 'invalid', 'validation_failed');
      expect((await rbac.listRolePermissions(app.id, role.id)).map((p) => p.slug)).toEqual(['m:doc:read', 'm:doc:write']);
      expect((await rbac.listPermissionRoles(app.id, read.id)).map((r) => r.id)).toEqual([role.id]);
      await expectAppError(rbac.listPermissionRoles(other.id, read.id), 'not_found', 'permission_not_found');
      await rbac.removeRolePermissions(app.id, role.id, { permissionIds: [write.id] });
      expect((await rbac.listRolePermissions(app.id, role.id)).map((p) => p.slug)).toEqual(['m:doc:read']);
    });

    it('refuses to delete a permission roles use unless forced', async () => {
      const app = await newApp();
      const role = await rbac.createRole(app.id, { name: 'User' });
      const perm = await rbac.createPermission(app.id, { name: 'P', slug: 'd:e:f' });
      await rbac.addRolePermissions(app.id, role.id, { permissionIds: [perm.id] });
      await expectAppError(rbac.deletePermission(app.id, perm.id), 'conflict', 'in_use');
      expect(await rbac.deletePermission(app.id, perm.id, { force: true })).toMatchObject({ roles: 1 });
      expect(await rbac.listRolePermissions(app.id, role.id)).toEqual([]);
      await expectAppError(rbac.getPermission(app.id, perm.id), 'not_found', 'permission_not_found');
    });
  });

  describe('the admin application is read-only', () => {
    it('refuses every change to its roles, permissions and claims but allows reading them', async () => {
      const superRole = adminRoles.get(SUPER_ADMIN_ROLE)!;
      const perm = (await rbac.listPermissions(adminApp.id))[0]!;
      const protectedCalls: (() => Promise<unknown>)[] = [
        () => rbac.createRole(adminApp.id, { name: 'Sneaky' }),
        () => rbac.updateRole(adminApp.id, superRole.id, { name: 'Renamed' }),
        () => rbac.deleteRole(ADMIN_APPLICATION_SLUG, superRole.id, { force: true }),
        () => rbac.addRolePermissions(adminApp.id, adminRoles.get('porta-auditor')!.id, { permissionIds: [perm.id] }),
        () => rbac.removeRolePermissions(adminApp.id, superRole.id, { permissionIds: [perm.id] }),
        () => rbac.createPermission(adminApp.id, { name: 'X', slug: 'admin:x:y' }),
        () => rbac.updatePermission(adminApp.id, perm.id, { name: 'X' }),
        () => rbac.deletePermission(adminApp.id, perm.id, { force: true }),
        () => rbac.createClaim(adminApp.id, { claimName: 'tier', claimType: 'string' }),
      ];
      for (const call of protectedCalls) await expectAppError(call(), 'forbidden', 'admin_application_protected');
      expect(await rbac.listPermissions(adminApp.id)).toHaveLength(43);
      expect(await rbac.listRolePermissions(adminApp.id, superRole.id)).toHaveLength(43);
    });
  });

  describe('claims', () => {
    it('validates names (format, reserved) and keeps name and type immutable', async () => {
      const app = await newApp();
      const claim = await rbac.createClaim(app.id, { claimName: 'department', claimType: 'string' });
      expect(claim).toMatchObject({ claimName: 'department', claimType: 'string', includeInIdToken: false, includeInAccessToken: true, includeInUserinfo: true });
      for (const claimName of ['Department', '1abc', 'a-b', 'email', 'roles', 'org_id', 'a'.repeat(101)]) {
        await expectAppError(rbac.createClaim(app.id, { claimName, claimType: 'string' }), 'invalid', 'validation_failed');
      }
      await expectAppError(rbac.createClaim(app.id, { claimName: 'department', claimType: 'number' }), 'conflict', 'claim_slug_taken');
      const { claim: updated } = await rbac.updateClaim(app.id, claim.id, { includeInIdToken: true, description: 'Dept', claimType: 'string' });
      expect(updated).toMatchObject({ includeInIdToken: true, includeInAccessToken: true, description: 'Dept' });
      await expectAppError(rbac.updateClaim(app.id, claim.id, { claimType: 'number' }), 'invalid', 'claimType_immutable');
      await expectAppError(rbac.updateClaim(app.id, claim.id, { claimName: 'team' }), 'invalid', 'claimName_immutable');
      await expectAppError(rbac.getClaim((await newApp()).id, claim.id), 'not_found', 'claim_not_found');
    });

    it('stores typed values, refuses mismatches and null, and drops values with the claim', async () => {
      const app = await newApp();
      const user = await newUser(tenantOrgId);
      const cases = [
        { type: 'string', good: 'sales', bad: [1, true, { a: 1 }] },
        { type: 'number', good: 42.5, bad: ['42', Number.POSITIVE_INFINITY, Number.NaN, false] },
        { type: 'boolean', good: true, bad: ['true', 0] },
        { type: 'json', good: { tier: 'gold', seats: [1, 2] }, bad: ['x', 3, true] },
      ] as const;
      for (const c of cases) {
        const claim = await rbac.createClaim(app.id, { claimName: `c_${c.type}`, claimType: c.type });
        const { value } = await rbac.setClaimValue(app.id, claim.id, user.id, { value: c.good });
        expect(value).toMatchObject({ userId: user.id, claimId: claim.id, claimName: `c_${c.type}`, value: c.good });
        for (const bad of c.bad) await expectAppError(rbac.setClaimValue(app.id, claim.id, user.id, { value: bad }), 'invalid', 'claim_type_mismatch');
        await expectAppError(rbac.setClaimValue(app.id, claim.id, user.id, { value: null }), 'invalid', 'claim_type_mismatch');
      }
      const jsonArray = await rbac.createClaim(app.id, { claimName: 'c_list', claimType: 'json' });
      expect((await rbac.setClaimValue(app.id, jsonArray.id, user.id, { value: ['a', 'b'] })).value.value).toEqual(['a', 'b']);
      const [stringClaim] = await rbac.listClaims(app.id).then((all) => all.filter((c) => c.claimName === 'c_string'));
      const replaced = await rbac.setClaimValue(app.id, stringClaim!.id, user.id, { value: 'marketing' });
      expect((await rbac.getClaimValue(app.id, stringClaim!.id, user.id)).value).toBe('marketing');
      expect(replaced.value.id).toBe((await rbac.getClaimValue(app.id, stringClaim!.id, user.id)).id);
      expect((await rbac.listUserClaimValues(app.id, user.id)).map((v) => v.claimName)).toEqual(['c_boolean', 'c_json', 'c_list', 'c_number', 'c_string']);
      await expectAppError(rbac.setClaimValue(app.id, stringClaim!.id, MISSING, { value: 'x' }), 'not_found', 'user_not_found');
      await rbac.deleteClaimValue(app.id, stringClaim!.id, user.id);
      await expectAppError(rbac.getClaimValue(app.id, stringClaim!.id, user.id), 'not_found', 'claim_value_not_found');
      await expectAppError(rbac.deleteClaimValue(app.id, stringClaim!.id, user.id), 'not_found', 'claim_value_not_found');
      await rbac.deleteClaim(app.id, jsonArray.id);
      expect((await rbac.listUserClaimValues(app.id, user.id)).map((v) => v.claimName)).not.toContain('c_list');
    });

    it('publishes every claim name with a version that changes when names come and go', async () => {
      const app = await newApp();
      const before = await rbac.claimNames();
      const claim = await rbac.createClaim(app.id, { claimName: `n_${tag()}`, claimType: 'boolean' });
      const after = await rbac.claimNames();
      expect(after.names).toContain(claim.claimName);
      expect(after.version).not.toBe(before.version);
      await rbac.updateClaim(app.id, claim.id, { includeInUserinfo: false });
      expect((await rbac.claimNames()).version).toBe(after.version);
      await rbac.deleteClaim(app.id, claim.id);
      expect(await rbac.claimNames()).toEqual(before);
    });
  });

  describe('user roles', () => {
    it('gives users of any organization roles of any application, recorded with who assigned them', async () => {
      const appA = await newApp();
      const appB = await newApp();
      const roleA = await rbac.createRole(appA.id, { name: 'A' });
      const roleB = await rbac.createRole(appB.id, { name: 'B' });
      const perm = await rbac.createPermission(appA.id, { name: 'P', slug: 'a:b:c' });
      const perm2 = await rbac.createPermission(appA.id, { name: 'P2', slug: 'a:b:d' });
      const roleA2 = await rbac.createRole(appA.id, { name: 'A2' });
      await rbac.addRolePermissions(appA.id, roleA.id, { permissionIds: [perm.id, perm2.id] });
      await rbac.addRolePermissions(appA.id, roleA2.id, { permissionIds: [perm.id] });
      const user = await newUser(tenantOrgId);
      const change = await rbac.assignRoles(tenantOrgId, user.id, { roleIds: [roleA.id, roleB.id, roleA2.id, roleA.id] }, actorWith(superAdminUserId, [SUPER_ADMIN_ROLE]));
      expect(change.changed).toBe(3);
      expect((await rbac.listUserRoles(tenantOrgId, user.id)).map((r) => r.id).sort()).toEqual([roleA.id, roleA2.id, roleB.id].sort());
      expect((await rbac.listUserRoles(tenantOrgId, user.id, { applicationId: appB.id })).map((r) => r.id)).toEqual([roleB.id]);
      expect((await rbac.listUserPermissions(tenantOrgId, user.id, { applicationId: appA.id })).map((p) => p.slug)).toEqual(['a:b:c', 'a:b:d']);
      expect((await rbac.listRoleHolders(appA.id, roleA.id, { orgId: tenantOrgId })).data[0]!.assignedBy).toBe(superAdminUserId);
      expect(await access.accessOf(user.id, appA.id)).toEqual({ roles: ['a', 'a2'], permissions: ['a:b:c', 'a:b:d'] });
      expect(await access.accessOf(user.id, appB.id)).toEqual({ roles: ['b'], permissions: [] });
      await rbac.removeRoles(tenantOrgId, user.id, { roleIds: [roleA.id] }, actorWith(null, [SUPER_ADMIN_ROLE]));
      expect(await access.accessOf(user.id, appA.id)).toEqual({ roles: ['a2'], permissions: ['a:b:c'] });
    });

    it('answers not found for a user outside the organization and invalid for unknown roles', async () => {
      const user = await newUser(tenantOrgId);
      const role = await rbac.createRole((await newApp()).id, { name: 'R' });
      const actor = actorWith(null, [SUPER_ADMIN_ROLE]);
      await expectAppError(rbac.assignRoles(adminOrgId, user.id, { roleIds: [role.id] }, actor), 'not_found', 'user_not_found');
      await expectAppError(rbac.listUserRoles(adminOrgId, user.id), 'not_found', 'user_not_found');
      await expectAppError(rbac.assignRoles(tenantOrgId, user.id, { roleIds: [MISSING] }, actor), 'invalid', 'role_not_found');
      await expectAppError(rbac.assignRoles(tenantOrgId, user.id, { roleIds: [] }, actor), 'invalid', 'validation_failed');
    });

    it('gives admin roles only to users of the super-admin organization', async () => {
      const tenantUser = await newUser(tenantOrgId);
      const auditor = adminRoles.get('porta-auditor')!;
      await expectAppError(
        rbac.assignRoles(tenantOrgId, tenantUser.id, { roleIds: [auditor.id] }, actorWith(superAdminUserId, [SUPER_ADMIN_ROLE])),
        'invalid',
        'admin_role_outside_admin_organization',
      );
    });

    it('enforces the escalation rules of spec 20 §3.4 when granting admin roles', async () => {
      const target = await newUser(adminOrgId);
      const userAdmin = await newUser(adminOrgId);
      const id = (slug: string) => adminRoles.get(slug)!.id;
      const asUserAdmin = actorWith(userAdmin.id, ['porta-user-admin']);
      // porta-user-admin holds role:assign and every permission of porta-user-admin, but not the auditor's.
      await rbac.assignRoles(adminOrgId, target.id, { roleIds: [id('porta-user-admin')] }, asUserAdmin);
      const err = await expectAppError(rbac.assignRoles(adminOrgId, target.id, { roleIds: [id('porta-auditor')] }, asUserAdmin), 'forbidden', 'privilege_escalation');
      expect((err.details as { missing: string[] }).missing).toContain('admin:org:read');
      // Application admins may not assign at all.
      await expectAppError(
        rbac.assignRoles(adminOrgId, target.id, { roleIds: [id('porta-app-admin')] }, actorWith(userAdmin.id, ['porta-app-admin'])),
        'forbidden',
        'privilege_escalation',
      );
      // Everything but porta-super-admin: a holder of all permissions without the role still cannot grant it.
      const nearlySuper = { userId: userAdmin.id, permissions: adminPermissionsOf([SUPER_ADMIN_ROLE]), isSuperAdmin: false };
      await rbac.assignRoles(adminOrgId, target.id, { roleIds: [id('porta-auditor')] }, nearlySuper);
      await expectAppError(rbac.assignRoles(adminOrgId, target.id, { roleIds: [id(SUPER_ADMIN_ROLE)] }, nearlySuper), 'forbidden', 'privilege_escalation');
      await rbac.assignRoles(adminOrgId, target.id, { roleIds: [id(SUPER_ADMIN_ROLE)] }, actorWith(superAdminUserId, [SUPER_ADMIN_ROLE]));
      expect((await access.accessOf(target.id, adminApp.id)).roles).toEqual(['porta-auditor', SUPER_ADMIN_ROLE, 'porta-user-admin']);
      // Non-admin roles are not subject to these rules.
      const plain = await rbac.createRole((await newApp()).id, { name: 'Plain' });
      await rbac.assignRoles(adminOrgId, target.id, { roleIds: [plain.id] }, actorWith(userAdmin.id, ['porta-app-admin']));
    });

    it('lets nobody change their own admin roles and never strips the super-admin user', async () => {
      const superRole = adminRoles.get(SUPER_ADMIN_ROLE)!;
      const auditor = adminRoles.get('porta-auditor')!;
      const secondSuper = await newUser(adminOrgId);
      const root = actorWith(superAdminUserId, [SUPER_ADMIN_ROLE]);
      await rbac.assignRoles(adminOrgId, secondSuper.id, { roleIds: [superRole.id] }, root);
      const asSecond = actorWith(secondSuper.id, [SUPER_ADMIN_ROLE]);
      await expectAppError(rbac.assignRoles(adminOrgId, secondSuper.id, { roleIds: [auditor.id] }, asSecond), 'forbidden', 'privilege_escalation');
      await expectAppError(rbac.removeRoles(adminOrgId, secondSuper.id, { roleIds: [superRole.id] }, asSecond), 'forbidden', 'privilege_escalation');
      await expectAppError(rbac.removeRoles(adminOrgId, superAdminUserId, { roleIds: [superRole.id] }, asSecond), 'forbidden', 'super_admin_protected');
      await expectAppError(rbac.removeRoles(adminOrgId, superAdminUserId, { roleIds: [superRole.id] }, actorWith(null, [SUPER_ADMIN_ROLE])), 'forbidden', 'super_admin_protected');
      // Only super admins remove porta-super-admin from others.
      await expectAppError(
        rbac.removeRoles(adminOrgId, secondSuper.id, { roleIds: [superRole.id] }, actorWith(superAdminUserId, ['porta-user-admin'])),
        'forbidden',
        'privilege_escalation',
      );
      await rbac.removeRoles(adminOrgId, secondSuper.id, { roleIds: [superRole.id] }, root);
      expect((await access.accessOf(secondSuper.id, adminApp.id)).roles).toEqual([]);
      // Own roles of other applications may change.
      const own = await rbac.createRole((await newApp()).id, { name: 'Own' });
      await rbac.assignRoles(adminOrgId, secondSuper.id, { roleIds: [own.id] }, asSecond);
    });
  });
}

onEachDatabase('rbac service', rbacSuite);
