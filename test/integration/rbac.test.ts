import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAppError } from '../support/errors.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import { adminActor, adminPermissionsOf, systemActor, viaSource, type Actor, type RequestOrigin } from '../../src/actors/index.js';
import type { Application } from '../../src/applications/index.js';
import type { User } from '../../src/users/index.js';
import {
  ADMIN_APPLICATION_SLUG,
  RESERVED_CLAIM_NAMES,
  SUPER_ADMIN_ROLE,
  createRbacService,
  type RbacService,
  type Role,
} from '../../src/rbac/index.js';

const MISSING = '00000000-0000-4000-8000-000000000000';
const tag = () => randomBytes(3).toString('hex');
const SYSTEM = systemActor();

function rbacSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let svc: Services;
  let rbac: RbacService;
  let adminOrgId: string;
  let tenantOrgId: string;
  let superAdminUserId: string;
  let root: Actor;
  let adminApp: Application;
  let adminRoles: Map<string, Role>;

  const roleId = (slug: string) => adminRoles.get(slug)!.id;
  const newApp = async () => svc.applications.create(SYSTEM, { name: `App ${tag()}` });
  const newUser = async (orgId: string) => svc.users.create(SYSTEM, orgId, { email: `u-${tag()}@example.com` });
  const actorFor = (user: Pick<User, 'id' | 'email'>, roles: string[], from?: RequestOrigin): Actor =>
    adminActor(
      { userId: user.id, organizationId: adminOrgId, permissions: adminPermissionsOf(roles), isSuperAdmin: roles.includes(SUPER_ADMIN_ROLE) },
      from,
    );
  /** A user of the admin organization really holding these built-in roles, and their actor. */
  const newAdmin = async (roles: string[]) => {
    const user = await newUser(adminOrgId);
    if (roles.length > 0) await rbac.assignRoles(SYSTEM, adminOrgId, user.id, { roleIds: roles.map(roleId) });
    return { user, actor: actorFor(user, roles) };
  };
  const roleSlugs = async (orgId: string, userId: string) => (await rbac.listUserRoles(orgId, userId)).map((r) => r.slug).sort();
  const auditTotal = async () => (await svc.audit.list({})).total;

  /** The call is refused with this error, and neither `state` nor the audit trail changed. */
  async function expectRefused(call: () => Promise<unknown>, kind: string, code: string, state: () => Promise<unknown>) {
    const before = await state();
    const entries = await auditTotal();
    const err = await expectAppError(call(), kind, code);
    expect(await state()).toEqual(before);
    expect(await auditTotal()).toBe(entries);
    return err;
  }

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const clock = createManualClock();
    const log = createLog({ env: 'test', level: 'silent' });
    const kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    rbac = svc.rbac;
    const init = await svc.bootstrap.initialize({ email: 'root@example.com', password: 'root-password-1' });
    superAdminUserId = init.user.id;
    adminOrgId = init.organization.id;
    root = actorFor(init.user, [SUPER_ADMIN_ROLE]);
    tenantOrgId = (await svc.organizations.create(SYSTEM, { name: 'Tenant', slug: `tenant-${tag()}` })).id;
    adminApp = (await svc.applications.findBySlug(ADMIN_APPLICATION_SLUG))!;
    adminRoles = new Map((await rbac.listRoles(ADMIN_APPLICATION_SLUG)).map((r) => [r.slug, r]));
  });
  afterAll(async () => {
    svc?.stop();
    await dispose?.();
  });

  describe('roles', () => {
    it('derives the slug from the name, takes an explicit one and refuses duplicates and bad slugs', async () => {
      const app = await newApp();
      const derived = await rbac.createRole(SYSTEM, app.id, { name: 'Billing Manager', description: 'Pays' });
      expect(derived).toMatchObject({ applicationId: app.id, name: 'Billing Manager', slug: 'billing-manager', description: 'Pays' });
      expect(await rbac.createRole(SYSTEM, app.slug, { name: 'Viewer', slug: 'viewer-2' })).toMatchObject({ slug: 'viewer-2' });
      await expectAppError(rbac.createRole(SYSTEM, app.id, { name: 'Billing Manager' }), 'conflict', 'role_slug_taken');
      await expectAppError(rbac.createRole(SYSTEM, app.id, { name: 'X', slug: 'Has Spaces' }), 'invalid', 'validation_failed');
      await expectAppError(rbac.createRole(SYSTEM, app.id, { name: 'X', slug: 'a'.repeat(101) }), 'invalid', 'validation_failed');
      // The same slug in another application is fine.
      expect((await rbac.createRole(SYSTEM, (await newApp()).id, { name: 'Billing Manager' })).slug).toBe('billing-manager');
      expect((await rbac.listRoles(app.id)).map((r) => r.slug)).toEqual(['billing-manager', 'viewer-2']);
    });

    it('updates name, slug and description; an object of another application is not found', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'Editor' });
      const updated = await rbac.updateRole(SYSTEM, app.id, role.id, { name: 'Chief Editor', slug: 'chief', description: null });
      expect(updated).toMatchObject({ id: role.id, name: 'Chief Editor', slug: 'chief', description: null });
      await rbac.createRole(SYSTEM, app.id, { name: 'Writer' });
      await expectAppError(rbac.updateRole(SYSTEM, app.id, role.id, { slug: 'writer' }), 'conflict', 'role_slug_taken');
      await expectAppError(rbac.getRole(other.id, role.id), 'not_found', 'role_not_found');
      await expectAppError(rbac.updateRole(SYSTEM, other.id, role.id, { name: 'Hijack' }), 'not_found', 'role_not_found');
      await expectAppError(rbac.deleteRole(SYSTEM, other.id, role.id), 'not_found', 'role_not_found');
      await expectAppError(rbac.getRole(app.id, 'not-a-uuid'), 'not_found', 'role_not_found');
      await expectAppError(rbac.listRoles(MISSING), 'not_found', 'application_not_found');
    });

    it('refuses to delete a held role unless forced, then removes the assignments', async () => {
      const app = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'Holder' });
      const user = await newUser(tenantOrgId);
      await rbac.assignRoles(root, tenantOrgId, user.id, { roleIds: [role.id] });
      const err = await expectAppError(rbac.deleteRole(SYSTEM, app.id, role.id), 'conflict', 'in_use');
      expect(err.details).toEqual({ count: 1 });
      expect(await rbac.deleteRole(SYSTEM, app.id, role.id, { force: true })).toMatchObject({ holders: 1 });
      expect(await rbac.listUserRoles(tenantOrgId, user.id)).toEqual([]);
      const unused = await rbac.createRole(SYSTEM, app.id, { name: 'Unused' });
      expect(await rbac.deleteRole(SYSTEM, app.id, unused.id)).toMatchObject({ holders: 0 });
    });

    it('lists holders among the users of one organization', async () => {
      const app = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'Shared' });
      const inTenant = await newUser(tenantOrgId);
      const inAdminOrg = await newUser(adminOrgId);
      await rbac.assignRoles(SYSTEM, tenantOrgId, inTenant.id, { roleIds: [role.id] });
      await rbac.assignRoles(SYSTEM, adminOrgId, inAdminOrg.id, { roleIds: [role.id] });
      const page = await rbac.listRoleHolders(app.id, role.id, { orgId: tenantOrgId });
      expect(page).toEqual({ total: 1, data: [{ userId: inTenant.id, roleId: role.id, assignedBy: null, createdAt: expect.any(String) }] });
      await expectAppError(rbac.listRoleHolders(app.id, role.id, { orgId: MISSING }), 'not_found', 'organization_not_found');
    });
  });

  describe('permissions and role mappings', () => {
    it('validates slugs (three segments, lowercase, at most 150) and keeps them immutable', async () => {
      const app = await newApp();
      const perm = await rbac.createPermission(SYSTEM, app.id, { name: 'Read invoices', slug: 'billing:invoice:read' });
      expect(perm).toMatchObject({ applicationId: app.id, moduleId: null, slug: 'billing:invoice:read', description: null });
      for (const slug of ['billing:read', 'Billing:invoice:read', 'billing::read', `a:b:${'c'.repeat(147)}`, 'a b:c:d']) {
        await expectAppError(rbac.createPermission(SYSTEM, app.id, { name: 'Bad', slug }), 'invalid', 'validation_failed');
      }
      expect((await rbac.createPermission(SYSTEM, app.id, { name: 'Max', slug: `a:b:${'c'.repeat(146)}` })).slug).toHaveLength(150);
      await expectAppError(rbac.createPermission(SYSTEM, app.id, { name: 'Dup', slug: 'billing:invoice:read' }), 'conflict', 'permission_slug_taken');
      const permission = await rbac.updatePermission(SYSTEM, app.id, perm.id, { name: 'Read all invoices', slug: 'billing:invoice:read' });
      expect(permission.name).toBe('Read all invoices');
      await expectAppError(rbac.updatePermission(SYSTEM, app.id, perm.id, { slug: 'billing:invoice:write' }), 'invalid', 'slug_immutable');
    });

    it('accepts a module of the same application only and filters by module', async () => {
      const app = await newApp();
      const other = await newApp();
      const mod = await svc.applications.createModule(SYSTEM, app.id, { name: 'Invoices' });
      const foreign = await svc.applications.createModule(SYSTEM, other.id, { name: 'Elsewhere' });
      const inModule = await rbac.createPermission(SYSTEM, app.id, { name: 'A', slug: 'x:y:a', moduleId: mod.id });
      await rbac.createPermission(SYSTEM, app.id, { name: 'B', slug: 'x:y:b' });
      await expectAppError(rbac.createPermission(SYSTEM, app.id, { name: 'C', slug: 'x:y:c', moduleId: foreign.id }), 'invalid', 'module_not_in_application');
      expect((await rbac.listPermissions(app.id, { moduleId: mod.id })).map((p) => p.id)).toEqual([inModule.id]);
      expect(await rbac.listPermissions(app.id)).toHaveLength(2);
    });

    it('maps permissions of the same application only, idempotently', async () => {
      const app = await newApp();
      const other = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'Mapper' });
      const read = await rbac.createPermission(SYSTEM, app.id, { name: 'R', slug: 'm:doc:read' });
      const write = await rbac.createPermission(SYSTEM, app.id, { name: 'W', slug: 'm:doc:write' });
      const foreign = await rbac.createPermission(SYSTEM, other.id, { name: 'F', slug: 'm:doc:read' });
      expect((await rbac.addRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [read.id, write.id] })).changed).toBe(2);
      expect((await rbac.addRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [read.id] })).changed).toBe(0);
      const err = await expectAppError(rbac.addRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [foreign.id] }), 'invalid', 'permission_not_in_application');
      expect(err.details).toEqual({ permissionIds: [foreign.id] });
      await expectAppError(rbac.addRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [] }), 'invalid', 'validation_failed');
      expect((await rbac.listRolePermissions(app.id, role.id)).map((p) => p.slug)).toEqual(['m:doc:read', 'm:doc:write']);
      expect((await rbac.listPermissionRoles(app.id, read.id)).map((r) => r.id)).toEqual([role.id]);
      await expectAppError(rbac.listPermissionRoles(other.id, read.id), 'not_found', 'permission_not_found');
      await rbac.removeRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [write.id] });
      expect((await rbac.listRolePermissions(app.id, role.id)).map((p) => p.slug)).toEqual(['m:doc:read']);
    });

    it('refuses to delete a permission roles use unless forced', async () => {
      const app = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'User' });
      const perm = await rbac.createPermission(SYSTEM, app.id, { name: 'P', slug: 'd:e:f' });
      await rbac.addRolePermissions(SYSTEM, app.id, role.id, { permissionIds: [perm.id] });
      await expectAppError(rbac.deletePermission(SYSTEM, app.id, perm.id), 'conflict', 'in_use');
      expect(await rbac.deletePermission(SYSTEM, app.id, perm.id, { force: true })).toMatchObject({ roles: 1 });
      expect(await rbac.listRolePermissions(app.id, role.id)).toEqual([]);
      await expectAppError(rbac.getPermission(app.id, perm.id), 'not_found', 'permission_not_found');
    });
  });

  describe('the admin application is read-only (spec 20 §3.3)', () => {
    it('refuses every change to its roles, permissions and claims, even by the system, and changes nothing', async () => {
      const superRole = adminRoles.get(SUPER_ADMIN_ROLE)!;
      const perm = (await rbac.listPermissions(adminApp.id))[0]!;
      const catalog = async () => ({
        roles: await rbac.listRoles(adminApp.id),
        permissions: await rbac.listPermissions(adminApp.id),
        claims: await rbac.listClaims(adminApp.id),
        superRole: (await rbac.listRolePermissions(adminApp.id, superRole.id)).length,
      });
      const protectedCalls: (() => Promise<unknown>)[] = [
        () => rbac.createRole(SYSTEM, adminApp.id, { name: 'Sneaky' }),
        () => rbac.updateRole(root, adminApp.id, superRole.id, { name: 'Renamed' }),
        () => rbac.deleteRole(SYSTEM, ADMIN_APPLICATION_SLUG, superRole.id, { force: true }),
        () => rbac.addRolePermissions(root, adminApp.id, roleId('porta-auditor'), { permissionIds: [perm.id] }),
        () => rbac.removeRolePermissions(SYSTEM, adminApp.id, superRole.id, { permissionIds: [perm.id] }),
        () => rbac.createPermission(SYSTEM, adminApp.id, { name: 'X', slug: 'admin:x:y' }),
        () => rbac.updatePermission(SYSTEM, adminApp.id, perm.id, { name: 'X' }),
        () => rbac.deletePermission(SYSTEM, adminApp.id, perm.id, { force: true }),
        () => rbac.createClaim(SYSTEM, adminApp.id, { claimName: 'tier', claimType: 'string' }),
      ];
      for (const call of protectedCalls) await expectRefused(call, 'forbidden', 'admin_application_protected', catalog);
      expect((await catalog()).permissions).toHaveLength(43);
      expect((await catalog()).superRole).toBe(43);
    });

    it('answers an application admin trying to widen a built-in role with protected, not with its powers', async () => {
      const { actor: appAdmin } = await newAdmin(['porta-app-admin']);
      const perms = (await rbac.listPermissions(adminApp.id)).filter((p) => p.slug === 'admin:role:assign');
      const state = () => rbac.listRolePermissions(adminApp.id, roleId('porta-app-admin'));
      await expectRefused(
        () => rbac.addRolePermissions(appAdmin, adminApp.id, roleId('porta-app-admin'), { permissionIds: perms.map((p) => p.id) }),
        'forbidden',
        'admin_application_protected',
        state,
      );
      await expectRefused(() => rbac.updateRole(appAdmin, ADMIN_APPLICATION_SLUG, roleId('porta-user-admin'), { name: 'Mine' }), 'forbidden', 'admin_application_protected', state);
    });
  });

  describe('claims', () => {
    it('validates names and keeps name and type immutable', async () => {
      const app = await newApp();
      const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: 'department', claimType: 'string' });
      expect(claim).toMatchObject({ claimName: 'department', claimType: 'string', includeInIdToken: false, includeInAccessToken: true, includeInUserinfo: true });
      for (const claimName of ['Department', '1abc', 'a-b', 'a'.repeat(101)]) {
        await expectAppError(rbac.createClaim(SYSTEM, app.id, { claimName, claimType: 'string' }), 'invalid', 'validation_failed');
      }
      await expectAppError(rbac.createClaim(SYSTEM, app.id, { claimName: 'department', claimType: 'number' }), 'conflict', 'claim_slug_taken');
      const updated = await rbac.updateClaim(SYSTEM, app.id, claim.id, { includeInIdToken: true, description: 'Dept', claimType: 'string' });
      expect(updated).toMatchObject({ includeInIdToken: true, includeInAccessToken: true, description: 'Dept' });
      await expectAppError(rbac.updateClaim(SYSTEM, app.id, claim.id, { claimType: 'number' }), 'invalid', 'claimType_immutable');
      await expectAppError(rbac.updateClaim(SYSTEM, app.id, claim.id, { claimName: 'team' }), 'invalid', 'claimName_immutable');
      await expectAppError(rbac.getClaim((await newApp()).id, claim.id), 'not_found', 'claim_not_found');
    });

    // Issue 9 item 12: a custom claim must never shadow what the protocol or introspection emits.
    const reserved = [
      'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'sid', 'scope', 'client_id', 'cnf', 'token_type', 'active',
      'username', 'auth_time', 'nonce', 'acr', 'amr', 'at_hash', 'org_id', 'org_slug', 'roles', 'permissions',
      'c_hash', 'email', 'name', 'updated_at',
    ];
    it.each(reserved)('refuses the reserved claim name %s, naming it, and creates nothing', async (claimName) => {
      expect(RESERVED_CLAIM_NAMES.has(claimName)).toBe(true);
      const app = await newApp();
      const err = await expectRefused(
        () => rbac.createClaim(SYSTEM, app.id, { claimName, claimType: 'string' }),
        'invalid',
        'claim_name_reserved',
        () => rbac.listClaims(app.id),
      );
      expect((err as Error).message).toContain(`"${claimName}"`);
      expect((err as Error).message).toContain('reserved');
      expect(err.details).toEqual({ claimName });
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
        const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: `c_${c.type}`, claimType: c.type });
        const value = await rbac.setClaimValue(SYSTEM, app.id, claim.id, user.id, { value: c.good });
        expect(value).toMatchObject({ userId: user.id, claimId: claim.id, claimName: `c_${c.type}`, value: c.good });
        for (const bad of c.bad) await expectAppError(rbac.setClaimValue(SYSTEM, app.id, claim.id, user.id, { value: bad }), 'invalid', 'claim_type_mismatch');
        await expectAppError(rbac.setClaimValue(SYSTEM, app.id, claim.id, user.id, { value: null }), 'invalid', 'claim_type_mismatch');
      }
      const jsonArray = await rbac.createClaim(SYSTEM, app.id, { claimName: 'c_list', claimType: 'json' });
      expect((await rbac.setClaimValue(SYSTEM, app.id, jsonArray.id, user.id, { value: ['a', 'b'] })).value).toEqual(['a', 'b']);
      const [stringClaim] = await rbac.listClaims(app.id).then((all) => all.filter((c) => c.claimName === 'c_string'));
      const replaced = await rbac.setClaimValue(SYSTEM, app.id, stringClaim!.id, user.id, { value: 'marketing' });
      expect((await rbac.getClaimValue(app.id, stringClaim!.id, user.id)).value).toBe('marketing');
      expect(replaced.id).toBe((await rbac.getClaimValue(app.id, stringClaim!.id, user.id)).id);
      expect((await rbac.listUserClaimValues(app.id, user.id)).map((v) => v.claimName)).toEqual(['c_boolean', 'c_json', 'c_list', 'c_number', 'c_string']);
      await expectAppError(rbac.setClaimValue(SYSTEM, app.id, stringClaim!.id, MISSING, { value: 'x' }), 'not_found', 'user_not_found');
      await rbac.deleteClaimValue(SYSTEM, app.id, stringClaim!.id, user.id);
      await expectAppError(rbac.getClaimValue(app.id, stringClaim!.id, user.id), 'not_found', 'claim_value_not_found');
      await expectAppError(rbac.deleteClaimValue(SYSTEM, app.id, stringClaim!.id, user.id), 'not_found', 'claim_value_not_found');
      await rbac.deleteClaim(SYSTEM, app.id, jsonArray.id);
      expect((await rbac.listUserClaimValues(app.id, user.id)).map((v) => v.claimName)).not.toContain('c_list');
    });

    it('publishes every claim name with a version that changes when names come and go', async () => {
      const app = await newApp();
      const before = await rbac.claimNames();
      const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: `n_${tag()}`, claimType: 'boolean' });
      const after = await rbac.claimNames();
      expect(after.names).toContain(claim.claimName);
      expect(after.version).not.toBe(before.version);
      await rbac.updateClaim(SYSTEM, app.id, claim.id, { includeInUserinfo: false });
      expect((await rbac.claimNames()).version).toBe(after.version);
      await rbac.deleteClaim(SYSTEM, app.id, claim.id);
      expect(await rbac.claimNames()).toEqual(before);
    });

    it('lets only actors holding every admin power of the user set or delete their values (issue 9 item 7)', async () => {
      const app = await newApp();
      const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: 'tier', claimType: 'string' });
      const { actor: appAdmin } = await newAdmin(['porta-app-admin']);
      const { user: superAdmin } = await newAdmin([SUPER_ADMIN_ROLE]);
      const { user: userAdmin } = await newAdmin(['porta-user-admin']);
      await rbac.setClaimValue(SYSTEM, app.id, claim.id, superAdminUserId, { value: 'gold' });
      await rbac.setClaimValue(SYSTEM, app.id, claim.id, superAdmin.id, { value: 'gold' });
      const values = (userId: string) => async () => rbac.listUserClaimValues(app.id, userId);
      const cases: [userId: string, code: string][] = [[superAdminUserId, 'protected_resource'], [superAdmin.id, 'protected_resource'], [userAdmin.id, 'privilege_escalation']];
      for (const [userId, code] of cases) {
        await expectRefused(() => rbac.setClaimValue(appAdmin, app.id, claim.id, userId, { value: 'bronze' }), 'forbidden', code, values(userId));
      }
      await expectRefused(() => rbac.deleteClaimValue(appAdmin, app.id, claim.id, superAdmin.id), 'forbidden', 'protected_resource', values(superAdmin.id));
      // A user holding no admin power, or one the actor fully holds, is fine.
      const tenantUser = await newUser(tenantOrgId);
      expect((await rbac.setClaimValue(appAdmin, app.id, claim.id, tenantUser.id, { value: 'silver' })).value).toBe('silver');
      const { user: fellow } = await newAdmin(['porta-app-admin']);
      await rbac.setClaimValue(appAdmin, app.id, claim.id, fellow.id, { value: 'silver' });
      await rbac.deleteClaimValue(appAdmin, app.id, claim.id, fellow.id);
      // Without claim:update the actor is refused before anything about the user is looked at.
      const { actor: auditor } = await newAdmin(['porta-auditor']);
      const err = await expectRefused(() => rbac.setClaimValue(auditor, app.id, claim.id, MISSING, { value: 'x' }), 'forbidden', 'forbidden', values(tenantUser.id));
      expect(err.details).toEqual({ missing: ['admin:claim:update'] });
    });
  });

  describe('user roles', () => {
    it('gives users of any organization roles of any application, recorded with who assigned them', async () => {
      const appA = await newApp();
      const appB = await newApp();
      const roleA = await rbac.createRole(SYSTEM, appA.id, { name: 'A' });
      const roleB = await rbac.createRole(SYSTEM, appB.id, { name: 'B' });
      const perm = await rbac.createPermission(SYSTEM, appA.id, { name: 'P', slug: 'a:b:c' });
      const perm2 = await rbac.createPermission(SYSTEM, appA.id, { name: 'P2', slug: 'a:b:d' });
      const roleA2 = await rbac.createRole(SYSTEM, appA.id, { name: 'A2' });
      await rbac.addRolePermissions(SYSTEM, appA.id, roleA.id, { permissionIds: [perm.id, perm2.id] });
      await rbac.addRolePermissions(SYSTEM, appA.id, roleA2.id, { permissionIds: [perm.id] });
      const user = await newUser(tenantOrgId);
      const change = await rbac.assignRoles(root, tenantOrgId, user.id, { roleIds: [roleA.id, roleB.id, roleA2.id, roleA.id] });
      expect(change.changed).toBe(3);
      expect((await rbac.listUserRoles(tenantOrgId, user.id)).map((r) => r.id).sort()).toEqual([roleA.id, roleA2.id, roleB.id].sort());
      expect((await rbac.listUserRoles(tenantOrgId, user.id, { applicationId: appB.id })).map((r) => r.id)).toEqual([roleB.id]);
      expect((await rbac.listUserPermissions(tenantOrgId, user.id, { applicationId: appA.id })).map((p) => p.slug)).toEqual(['a:b:c', 'a:b:d']);
      expect((await rbac.listRoleHolders(appA.id, roleA.id, { orgId: tenantOrgId })).data[0]!.assignedBy).toBe(superAdminUserId);
      expect(await svc.access.accessOf(user.id, appA.id)).toEqual({ roles: ['a', 'a2'], permissions: ['a:b:c', 'a:b:d'] });
      expect(await svc.access.accessOf(user.id, appB.id)).toEqual({ roles: ['b'], permissions: [] });
      await rbac.removeRoles(SYSTEM, tenantOrgId, user.id, { roleIds: [roleA.id] });
      expect(await svc.access.accessOf(user.id, appA.id)).toEqual({ roles: ['a2'], permissions: ['a:b:c'] });
    });

    it('answers not found for a user outside the organization and invalid for unknown roles', async () => {
      const user = await newUser(tenantOrgId);
      const role = await rbac.createRole(SYSTEM, (await newApp()).id, { name: 'R' });
      await expectAppError(rbac.assignRoles(SYSTEM, adminOrgId, user.id, { roleIds: [role.id] }), 'not_found', 'user_not_found');
      await expectAppError(rbac.listUserRoles(adminOrgId, user.id), 'not_found', 'user_not_found');
      await expectAppError(rbac.assignRoles(SYSTEM, tenantOrgId, user.id, { roleIds: [MISSING] }), 'invalid', 'role_not_found');
      await expectAppError(rbac.assignRoles(SYSTEM, tenantOrgId, user.id, { roleIds: [] }), 'invalid', 'validation_failed');
    });

    it('gives admin roles only to users of the super-admin organization', async () => {
      const tenantUser = await newUser(tenantOrgId);
      await expectRefused(
        () => rbac.assignRoles(root, tenantOrgId, tenantUser.id, { roleIds: [roleId('porta-auditor')] }),
        'invalid',
        'admin_role_outside_admin_organization',
        () => roleSlugs(tenantOrgId, tenantUser.id),
      );
    });

    it('refuses role changes without role:assign before looking at the user', async () => {
      const { actor: appAdmin } = await newAdmin(['porta-app-admin']);
      const plain = await rbac.createRole(SYSTEM, (await newApp()).id, { name: 'Plain' });
      const user = await newUser(tenantOrgId);
      const err = await expectRefused(() => rbac.assignRoles(appAdmin, tenantOrgId, user.id, { roleIds: [plain.id] }), 'forbidden', 'forbidden', () => roleSlugs(tenantOrgId, user.id));
      expect(err.details).toEqual({ missing: ['admin:role:assign'] });
      await expectAppError(rbac.removeRoles(appAdmin, tenantOrgId, MISSING, { roleIds: [plain.id] }), 'forbidden', 'forbidden');
    });

    it('refuses a user admin granting admin roles it does not fully hold, and changes nothing (spec 20 §3.4)', async () => {
      const { actor: userAdmin } = await newAdmin(['porta-user-admin']);
      const target = await newUser(adminOrgId);
      const state = () => roleSlugs(adminOrgId, target.id);
      for (const slug of ['porta-app-admin', 'porta-auditor', 'porta-org-admin']) {
        const err = await expectRefused(() => rbac.assignRoles(userAdmin, adminOrgId, target.id, { roleIds: [roleId(slug)] }), 'forbidden', 'privilege_escalation', state);
        const missing = (err.details as { missing: string[] }).missing;
        expect(missing.length).toBeGreaterThan(0);
        for (const p of missing) expect(userAdmin.permissions.has(p as never)).toBe(false);
      }
      // Mixed in with a role it may grant, nothing at all is granted.
      await expectRefused(
        () => rbac.assignRoles(userAdmin, adminOrgId, target.id, { roleIds: [roleId('porta-user-admin'), roleId('porta-app-admin')] }),
        'forbidden',
        'privilege_escalation',
        state,
      );
      await expectRefused(() => rbac.assignRoles(userAdmin, adminOrgId, target.id, { roleIds: [roleId(SUPER_ADMIN_ROLE)] }), 'forbidden', 'privilege_escalation', state);
      // What it fully holds, it may grant.
      await rbac.assignRoles(userAdmin, adminOrgId, target.id, { roleIds: [roleId('porta-user-admin')] });
      expect(await state()).toEqual(['porta-user-admin']);
    });

    it('grants porta-super-admin only by super admins, whatever permissions the actor holds', async () => {
      const target = await newUser(adminOrgId);
      const { user } = await newAdmin([]);
      const nearlySuper = adminActor({ userId: user.id, organizationId: adminOrgId, permissions: adminPermissionsOf([SUPER_ADMIN_ROLE]), isSuperAdmin: false });
      await rbac.assignRoles(nearlySuper, adminOrgId, target.id, { roleIds: [roleId('porta-auditor')] });
      await expectRefused(() => rbac.assignRoles(nearlySuper, adminOrgId, target.id, { roleIds: [roleId(SUPER_ADMIN_ROLE)] }), 'forbidden', 'privilege_escalation', () => roleSlugs(adminOrgId, target.id));
      await rbac.assignRoles(root, adminOrgId, target.id, { roleIds: [roleId(SUPER_ADMIN_ROLE)] });
      expect((await svc.access.accessOf(target.id, adminApp.id)).roles).toEqual(['porta-auditor', SUPER_ADMIN_ROLE]);
    });

    it('refuses a user admin any role change on a super admin or on someone holding more (issue 9 item 7)', async () => {
      const { actor: userAdmin } = await newAdmin(['porta-user-admin']);
      const { user: secondSuper } = await newAdmin([SUPER_ADMIN_ROLE]);
      const { user: appAdmin } = await newAdmin(['porta-app-admin']);
      const plain = await rbac.createRole(SYSTEM, (await newApp()).id, { name: 'Plain' });
      await rbac.assignRoles(SYSTEM, adminOrgId, secondSuper.id, { roleIds: [plain.id] });
      // Super admins are protected outright (spec 20 §3.3); anyone else holding more is an escalation.
      for (const [target, code] of [[superAdminUserId, 'protected_resource'], [secondSuper.id, 'protected_resource'], [appAdmin.id, 'privilege_escalation']] as const) {
        const state = () => roleSlugs(adminOrgId, target);
        await expectRefused(() => rbac.removeRoles(userAdmin, adminOrgId, target, { roleIds: [plain.id] }), 'forbidden', code, state);
        await expectRefused(() => rbac.assignRoles(userAdmin, adminOrgId, target, { roleIds: [plain.id] }), 'forbidden', code, state);
        await expectRefused(() => rbac.removeRoles(userAdmin, adminOrgId, target, { roleIds: [roleId(SUPER_ADMIN_ROLE)] }), 'forbidden', code, state);
      }
    });

    it('lets nobody change their own admin roles and never strips the super-admin user', async () => {
      const superRole = adminRoles.get(SUPER_ADMIN_ROLE)!;
      const { user: secondSuper, actor: asSecond } = await newAdmin([SUPER_ADMIN_ROLE]);
      const { user: userAdminUser, actor: userAdmin } = await newAdmin(['porta-user-admin']);
      const own = (userId: string) => () => roleSlugs(adminOrgId, userId);
      await expectRefused(() => rbac.assignRoles(asSecond, adminOrgId, secondSuper.id, { roleIds: [roleId('porta-auditor')] }), 'forbidden', 'privilege_escalation', own(secondSuper.id));
      await expectRefused(() => rbac.removeRoles(asSecond, adminOrgId, secondSuper.id, { roleIds: [superRole.id] }), 'forbidden', 'privilege_escalation', own(secondSuper.id));
      await expectRefused(() => rbac.removeRoles(userAdmin, adminOrgId, userAdminUser.id, { roleIds: [roleId('porta-user-admin')] }), 'forbidden', 'privilege_escalation', own(userAdminUser.id));
      await expectRefused(() => rbac.removeRoles(root, adminOrgId, superAdminUserId, { roleIds: [superRole.id] }), 'forbidden', 'super_admin_protected', own(superAdminUserId));
      await expectRefused(() => rbac.removeRoles(asSecond, adminOrgId, superAdminUserId, { roleIds: [superRole.id] }), 'forbidden', 'super_admin_protected', own(superAdminUserId));
      await expectRefused(() => rbac.removeRoles(SYSTEM, adminOrgId, superAdminUserId, { roleIds: [superRole.id] }), 'forbidden', 'super_admin_protected', own(superAdminUserId));
      // Only super admins remove porta-super-admin from others.
      await rbac.removeRoles(root, adminOrgId, secondSuper.id, { roleIds: [superRole.id] });
      expect(await roleSlugs(adminOrgId, secondSuper.id)).toEqual([]);
      // Own roles of other applications may change.
      const plain = await rbac.createRole(SYSTEM, (await newApp()).id, { name: 'Own' });
      await rbac.assignRoles(asSecond, adminOrgId, secondSuper.id, { roleIds: [plain.id] });
      await rbac.assignRoles(userAdmin, adminOrgId, userAdminUser.id, { roleIds: [plain.id] });
    });
  });

  describe('audit', () => {
    it("writes one entry per write with the actor's type and source, whatever the edge", async () => {
      const { actor: appAdmin } = await newAdmin(['porta-app-admin']);
      const { actor: userAdmin } = await newAdmin(['porta-user-admin']);
      const viaApi = actorFor({ id: appAdmin.userId!, email: appAdmin.name! }, ['porta-app-admin'], { ip: '203.0.113.7', userAgent: 'attacker/1.0', requestId: 'req-1' });
      const app = await newApp();
      const role = await rbac.createRole(viaApi, app.id, { name: 'Audited' });
      await rbac.updateRole(appAdmin, app.id, role.id, { slug: 'audited-2' });
      const perm = await rbac.createPermission(viaSource(appAdmin, 'import'), app.id, { name: 'P', slug: 'au:di:ted' });
      await rbac.addRolePermissions(appAdmin, app.id, role.id, { permissionIds: [perm.id] });
      const user = await newUser(tenantOrgId);
      await rbac.assignRoles(viaSource(userAdmin, 'bulk'), tenantOrgId, user.id, { roleIds: [role.id] });
      const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: 'secret_level', claimType: 'string' });
      await rbac.setClaimValue(appAdmin, app.id, claim.id, user.id, { value: 'cosmic' });

      const roleEntries = (await svc.audit.list({ targetId: role.id })).data.reverse();
      expect(roleEntries.map((e) => [e.eventType, e.actorType, e.source, e.actorId])).toEqual([
        ['role.created', 'admin', 'api', appAdmin.userId],
        ['role.updated', 'admin', 'api', appAdmin.userId],
        ['role.permissions_added', 'admin', 'api', appAdmin.userId],
      ]);
      expect(roleEntries[0]).toMatchObject({ ipAddress: '203.0.113.7', userAgent: 'attacker/1.0', requestId: 'req-1', actorName: appAdmin.name });
      expect(roleEntries[0]!.metadata).toEqual({ applicationId: app.id, slug: 'audited', name: 'Audited' });
      expect(roleEntries[1]!.metadata).toEqual({ applicationId: app.id, slug: 'audited-2', fields: ['slug'], previousSlug: 'audited' });
      expect(roleEntries[2]!.metadata).toEqual({ applicationId: app.id, slug: 'audited-2', permissionIds: [perm.id], added: 1 });

      const [permEntry] = (await svc.audit.list({ targetId: perm.id })).data;
      expect(permEntry).toMatchObject({ eventType: 'permission.created', source: 'import', metadata: { applicationId: app.id, slug: 'au:di:ted', name: 'P', moduleId: null } });
      const [assigned] = (await svc.audit.list({ targetId: user.id, event: 'user.roles_assigned' })).data;
      expect(assigned).toMatchObject({
        actorType: 'admin', source: 'bulk', actorId: userAdmin.userId, organizationId: tenantOrgId, userId: user.id, targetType: 'user',
        metadata: { roleIds: [role.id], roles: [{ applicationId: app.id, slug: 'audited-2' }], changed: 1 },
      });
      const claimEntries = (await svc.audit.list({ targetId: claim.id })).data.reverse();
      expect(claimEntries.map((e) => [e.eventType, e.actorType, e.source])).toEqual([['claim.created', 'system', 'system'], ['claim.value_set', 'admin', 'api']]);
      expect(claimEntries[1]).toMatchObject({ userId: user.id, organizationId: tenantOrgId, metadata: { applicationId: app.id, claimName: 'secret_level' } });
      expect(JSON.stringify(claimEntries)).not.toContain('cosmic');
    });

    it('rolls the change back when its audit entry cannot be written', async () => {
      const app = await newApp();
      const role = await rbac.createRole(SYSTEM, app.id, { name: 'Stable' });
      const perm = await rbac.createPermission(SYSTEM, app.id, { name: 'P', slug: 'ro:ll:back' });
      const claim = await rbac.createClaim(SYSTEM, app.id, { claimName: 'rollback', claimType: 'string' });
      const user = await newUser(tenantOrgId);
      const { user: admin } = await newAdmin([SUPER_ADMIN_ROLE]);
      // `ip_address` is inet: this actor's entry fails to insert, inside the use case's transaction.
      const broken = actorFor(admin, [SUPER_ADMIN_ROLE], { ip: 'not-an-ip' });
      const state = async () => ({
        roles: await rbac.listRoles(app.id),
        perms: await rbac.listRolePermissions(app.id, role.id),
        claims: await rbac.listClaims(app.id),
        userRoles: await roleSlugs(tenantOrgId, user.id),
        values: await rbac.listUserClaimValues(app.id, user.id),
        names: (await rbac.claimNames()).names,
      });
      const calls: (() => Promise<unknown>)[] = [
        () => rbac.createRole(broken, app.id, { name: 'Ghost' }),
        () => rbac.updateRole(broken, app.id, role.id, { name: 'Ghost' }),
        () => rbac.addRolePermissions(broken, app.id, role.id, { permissionIds: [perm.id] }),
        () => rbac.deletePermission(broken, app.id, perm.id, { force: true }),
        () => rbac.createClaim(broken, app.id, { claimName: 'ghost', claimType: 'string' }),
        () => rbac.deleteClaim(broken, app.id, claim.id),
        () => rbac.setClaimValue(broken, app.id, claim.id, user.id, { value: 'x' }),
        () => rbac.assignRoles(broken, tenantOrgId, user.id, { roleIds: [role.id] }),
      ];
      const before = await state();
      const entries = await auditTotal();
      for (const call of calls) await expect(call()).rejects.toThrow(/inet/);
      expect(await state()).toEqual(before);
      expect(await auditTotal()).toBe(entries);
    });

    it('rolls back with a failing audit service too, and succeeds once it works', async () => {
      let isDown = true;
      const audit = { record: async (...args: Parameters<Services['audit']['record']>) => {
        const entry = await svc.audit.record(...args);
        if (isDown) throw new Error('audit store unavailable');
        return entry;
      } };
      const flaky = createRbacService({
        db, kv: createMemoryKv({ clock: createManualClock() }), clock: createManualClock(), log: createLog({ env: 'test', level: 'silent' }),
        applications: svc.applications, users: svc.users, organizations: svc.organizations, audit, adminAccess: () => svc.adminAccess,
      });
      const app = await newApp();
      const entries = await auditTotal();
      await expect(flaky.createRole(root, app.id, { name: 'Flaky' })).rejects.toThrow('audit store unavailable');
      expect(await rbac.listRoles(app.id)).toEqual([]);
      expect(await auditTotal()).toBe(entries);
      isDown = false;
      await flaky.createRole(root, app.id, { name: 'Flaky' });
      expect((await rbac.listRoles(app.id)).map((r) => r.slug)).toEqual(['flaky']);
      expect(await auditTotal()).toBe(entries + 1);
    });
  });
}

onEachDatabase('rbac service', rbacSuite);
