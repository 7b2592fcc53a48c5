import { ADMIN_APPLICATION_SLUG, SUPER_ADMIN_ROLE, adminPermissionsOf, authorize, type Actor } from '../actors/index.js';
import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import type { User } from '../users/index.js';
import type { RbacContext } from './context.js';
import { invalidReference, privilegeEscalation, superAdminProtected, userNotFound } from './errors.js';
import { RoleIdsInput, type Permission, type Role } from './schema.js';

export interface RoleAssignmentChange {
  user: User;
  roles: Role[];
  /** Assignments actually added or removed. */
  changed: number;
}

/**
 * User-role methods of the RBAC service (spec 20 §5.6). Reads take the user's organization id first;
 * writes take the actor first and authorize, change and audit in one transaction.
 */
export function createAssignmentOperations(ctx: RbacContext) {
  const { db } = ctx;

  async function getUser(orgId: string, userId: string): Promise<User> {
    const user = isUuid(userId) ? await ctx.users.findById(orgId, userId) : null;
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

  /**
   * Spec 20 §3.4, granting or removing: nobody changes their own admin roles, only super admins touch
   * porta-super-admin, and the actor already holds every permission of each role (the built-in sets,
   * not rows, as admin authorization reads them). role:assign is authorized before.
   */
  function assertMayChangeAdminRoles(actor: Actor, user: User, adminRoles: Role[]): void {
    if (actor.userId !== null && actor.userId === user.id) throw privilegeEscalation('Nobody changes their own admin roles.');
    if (adminRoles.some((r) => r.slug === SUPER_ADMIN_ROLE) && !actor.isSuperAdmin) {
      throw privilegeEscalation('Only super admins grant or remove porta-super-admin.');
    }
    const needed = adminPermissionsOf(adminRoles.map((r) => r.slug));
    const missing = [...needed].filter((p) => !actor.permissions.has(p)).sort();
    if (missing.length > 0) throw privilegeEscalation('You can only grant or remove admin roles whose permissions you hold.', { missing });
  }

  async function assertMayGrant(actor: Actor, user: User, adminRoles: Role[]): Promise<void> {
    const org = await ctx.organizations.findById(user.organizationId);
    if (!org?.isSuperAdmin) {
      throw invalidReference('admin_role_outside_admin_organization', 'roleIds', 'Admin roles are only for users of the super-admin organization.', adminRoles.map((r) => r.id));
    }
    assertMayChangeAdminRoles(actor, user, adminRoles);
  }

  /** Spec 20 §3.3: the super-admin user keeps porta-super-admin, whoever asks. */
  async function assertMayRevoke(actor: Actor, user: User, adminRoles: Role[]): Promise<void> {
    if (adminRoles.some((r) => r.slug === SUPER_ADMIN_ROLE) && (await ctx.adminAccess().isSuperAdminUser(user.id))) throw superAdminProtected();
    assertMayChangeAdminRoles(actor, user, adminRoles);
  }

  const record = (actor: Actor, change: RoleAssignmentChange, eventType: string) =>
    ctx.audit.record(actor, {
      eventType,
      targetType: 'user',
      targetId: change.user.id,
      organizationId: change.user.organizationId,
      userId: change.user.id,
      metadata: {
        roleIds: change.roles.map((r) => r.id),
        roles: change.roles.map((r) => ({ applicationId: r.applicationId, slug: r.slug })),
        changed: change.changed,
      },
    });

  /** role:assign on a user holding no admin power the actor lacks (issue 9 item 7), then the admin-role rules. */
  async function changeRoles(actor: Actor, orgId: string, userId: string, input: RoleIdsInput, isGrant: boolean): Promise<RoleAssignmentChange> {
    const { roleIds } = parseInput(RoleIdsInput, input);
    const eventType = isGrant ? 'user.roles_assigned' : 'user.roles_removed';
    const change = await db.transaction(async () => {
      authorize(actor, 'admin:role:assign');
      const user = await getUser(orgId, userId);
      await ctx.adminAccess().assertMayManageUser(actor, user);
      const roles = await loadRoles(roleIds);
      const adminRoles = await adminRolesAmong(roles);
      if (adminRoles.length > 0) await (isGrant ? assertMayGrant : assertMayRevoke)(actor, user, adminRoles);
      const ids = roles.map((r) => r.id);
      const changed = isGrant ? await ctx.roles.assign(user.id, ids, actor.userId) : await ctx.roles.unassign(user.id, ids);
      const done = { user, roles, changed };
      await record(actor, done, eventType);
      return done;
    });
    ctx.log.info({ userId: change.user.id, roleIds: change.roles.map((r) => r.id), changed: change.changed }, eventType);
    return change;
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

    /** Adds roles of any application (existing ones are kept); admin-application roles follow spec 20 §3.4. */
    assignRoles: (actor: Actor, orgId: string, userId: string, input: RoleIdsInput) => changeRoles(actor, orgId, userId, input, true),

    /** Removes roles; the super-admin user keeps porta-super-admin (§3.3), admin roles follow §3.4. */
    removeRoles: (actor: Actor, orgId: string, userId: string, input: RoleIdsInput) => changeRoles(actor, orgId, userId, input, false),
  };
}
