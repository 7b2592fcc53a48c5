import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import type { User } from '../users/index.js';
import type { RbacContext } from './context.js';
import { ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE } from './admin-catalog.js';
import { invalidReference, privilegeEscalation, superAdminProtected, userNotFound } from './errors.js';
import { RoleIdsInput, type Permission, type RbacActor, type Role } from './schema.js';

export interface RoleAssignmentChange {
  user: User;
  roles: Role[];
  /** Assignments actually added or removed. */
  changed: number;
}

const SUPER_ADMIN_USER_KEY = 'super_admin_user_id';
const ROLE_ASSIGN = 'admin:role:assign';

/** User-role methods of the RBAC service; each takes the user's organization id first (spec 20 §5.6). */
export function createAssignmentOperations(ctx: RbacContext) {
  async function getUser(orgId: string, userId: string): Promise<User> {
    const user = await ctx.users.findById(orgId, userId);
    if (!user) throw userNotFound();
    return user;
  }

  /** Every id must be a role of some application. */
  async function loadRoles(roleIds: readonly string[]): Promise<Role[]> {
    const ids = [...new Set(roleIds)];
    const roles = await ctx.roles.findMany(ids);
    const found = new Set(roles.map((r) => r.id));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) throw invalidReference('role_not_found', 'roleIds', 'Some roles do not exist.', unknown);
    return roles;
  }

  async function adminRolesAmong(roles: Role[]): Promise<Role[]> {
    const adminApp = await ctx.applications.findBySlug(ADMIN_APPLICATION_SLUG);
    return adminApp ? roles.filter((r) => r.applicationId === adminApp.id) : [];
  }

  async function superAdminUserId(): Promise<string | null> {
    try {
      const value = await ctx.systemConfig.get(SUPER_ADMIN_USER_KEY);
      return typeof value === 'string' && value !== '' ? value : null;
    } catch {
      return null;
    }
  }

  function assertNotOwnAdminRoles(actor: RbacActor, user: User): void {
    if (actor.userId !== null && actor.userId === user.id) throw privilegeEscalation('Nobody changes their own admin roles.');
  }

  /** Spec 20 §3.4: role:assign, every permission of the role already held, porta-super-admin by super admins only. */
  async function assertMayGrant(actor: RbacActor, user: User, adminRoles: Role[]): Promise<void> {
    const org = await ctx.organizations.findById(user.organizationId);
    if (!org?.isSuperAdmin) {
      throw invalidReference('admin_role_outside_admin_organization', 'roleIds', 'Admin roles are only for users of the super-admin organization.', adminRoles.map((r) => r.id));
    }
    assertNotOwnAdminRoles(actor, user);
    if (!actor.permissions.has(ROLE_ASSIGN)) throw privilegeEscalation('Granting admin roles requires role:assign.');
    if (adminRoles.some((r) => r.slug === SUPER_ADMIN_ROLE) && !actor.isSuperAdmin) {
      throw privilegeEscalation('Only super admins grant porta-super-admin.');
    }
    const slugsByRole = await ctx.permissions.slugsByRole(adminRoles.map((r) => r.id));
    const missing = new Set<string>();
    for (const role of adminRoles) for (const slug of slugsByRole.get(role.id) ?? []) if (!actor.permissions.has(slug)) missing.add(slug);
    if (missing.size > 0) {
      throw privilegeEscalation('You can only grant admin roles whose permissions you hold.', { missing: [...missing].sort() });
    }
  }

  async function assertMayRevoke(actor: RbacActor, user: User, adminRoles: Role[]): Promise<void> {
    const removesSuperAdmin = adminRoles.some((r) => r.slug === SUPER_ADMIN_ROLE);
    if (removesSuperAdmin && user.id === (await superAdminUserId())) throw superAdminProtected();
    assertNotOwnAdminRoles(actor, user);
    if (removesSuperAdmin && !actor.isSuperAdmin) throw privilegeEscalation('Only super admins remove porta-super-admin.');
  }

  return {
    /** The user's roles in every application, or in one. */
    async listUserRoles(orgId: string, userId: string, filter: { applicationId?: string } = {}): Promise<Role[]> {
      const user = await getUser(orgId, userId);
      if (filter.applicationId !== undefined && !isUuid(filter.applicationId)) return [];
      return ctx.roles.listForUser(user.id, filter.applicationId ?? null);
    },

    /** The distinct permissions the user's roles grant, in every application or in one. */
    async listUserPermissions(orgId: string, userId: string, filter: { applicationId?: string } = {}): Promise<Permission[]> {
      const user = await getUser(orgId, userId);
      if (filter.applicationId !== undefined && !isUuid(filter.applicationId)) return [];
      return ctx.permissions.listForUser(user.id, filter.applicationId ?? null);
    },

    /** Adds roles of any application; admin-application roles follow spec 20 §3.4. Existing ones are kept. */
    async assignRoles(orgId: string, userId: string, input: RoleIdsInput, actor: RbacActor): Promise<RoleAssignmentChange> {
      const { roleIds } = parseInput(RoleIdsInput, input);
      const user = await getUser(orgId, userId);
      const roles = await loadRoles(roleIds);
      const adminRoles = await adminRolesAmong(roles);
      if (adminRoles.length > 0) await assertMayGrant(actor, user, adminRoles);
      const changed = await ctx.roles.assign(user.id, roles.map((r) => r.id), actor.userId);
      ctx.log.info({ userId: user.id, roleIds: roles.map((r) => r.id), changed }, 'user.roles_assigned');
      return { user, roles, changed };
    },

    /** The super-admin user keeps porta-super-admin; nobody removes their own admin roles. */
    async removeRoles(orgId: string, userId: string, input: RoleIdsInput, actor: RbacActor): Promise<RoleAssignmentChange> {
      const { roleIds } = parseInput(RoleIdsInput, input);
      const user = await getUser(orgId, userId);
      const roles = await loadRoles(roleIds);
      const adminRoles = await adminRolesAmong(roles);
      if (adminRoles.length > 0) await assertMayRevoke(actor, user, adminRoles);
      const changed = await ctx.roles.unassign(user.id, roles.map((r) => r.id));
      ctx.log.info({ userId: user.id, roleIds: roles.map((r) => r.id), changed }, 'user.roles_removed');
      return { user, roles, changed };
    },
  };
}
