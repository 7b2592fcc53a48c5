import { authorize, type Actor } from '../actors/index.js';
import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import { slugify } from '../organizations/index.js';
import type { Application } from '../applications/index.js';
import type { RbacContext } from './context.js';
import { inUse, invalidReference, organizationNotFound, roleNotFound } from './errors.js';
import {
  CreateRoleInput,
  PermissionIdsInput,
  ROLE_SLUG,
  RoleUsersQuery,
  UpdateRoleInput,
  type Permission,
  type Role,
  type RoleAssignment,
} from './schema.js';

export interface RoleDeletion {
  role: Role;
  /** Users who held it (their assignments are gone). */
  holders: number;
}

export interface RolePermissionChange {
  role: Role;
  permissionIds: string[];
  /** Links actually added or removed. */
  changed: number;
}

/**
 * Role methods of the RBAC service. Reads take the application (id or slug) first; writes take the
 * actor first, then the application, and authorize, change and audit in one transaction.
 */
export function createRoleOperations(ctx: RbacContext) {
  const { db } = ctx;

  async function roleIn(app: Application, roleId: string): Promise<Role> {
    const role = isUuid(roleId) ? await ctx.roles.findById(app.id, roleId) : null;
    if (!role) throw roleNotFound();
    return role;
  }

  const getRole = async (appIdOrSlug: string, roleId: string): Promise<Role> => roleIn(await ctx.application(appIdOrSlug), roleId);
  const writableRole = async (appIdOrSlug: string, roleId: string): Promise<Role> =>
    roleIn(await ctx.writableApplication(appIdOrSlug), roleId);

  const record = (actor: Actor, role: Role, eventType: string, metadata: Record<string, unknown> = {}) =>
    ctx.audit.record(actor, { eventType, targetType: 'role', targetId: role.id, metadata: { applicationId: role.applicationId, slug: role.slug, ...metadata } });

  /** Every id must be a permission of the role's application (spec 40 §3: same application). */
  async function assertSameApplication(role: Role, permissionIds: string[]): Promise<void> {
    const found = await ctx.permissions.existingIds(role.applicationId, permissionIds);
    const foreign = permissionIds.filter((id) => !found.has(id));
    if (foreign.length > 0) {
      throw invalidReference('permission_not_in_application', 'permissionIds', 'Every permission must belong to the role\'s application.', foreign);
    }
  }

  async function changePermissions(actor: Actor, appIdOrSlug: string, roleId: string, input: unknown, isAdd: boolean): Promise<RolePermissionChange> {
    const { permissionIds } = parseInput(PermissionIdsInput, input);
    const ids = [...new Set(permissionIds)];
    const change = await db.transaction(async () => {
      authorize(actor, 'admin:role:update');
      const role = await writableRole(appIdOrSlug, roleId);
      await assertSameApplication(role, ids);
      const changed = isAdd ? await ctx.roles.addPermissions(role.id, ids) : await ctx.roles.removePermissions(role.id, ids);
      await record(actor, role, isAdd ? 'role.permissions_added' : 'role.permissions_removed', { permissionIds: ids, [isAdd ? 'added' : 'removed']: changed });
      return { role, permissionIds: ids, changed };
    });
    ctx.log.info({ roleId: change.role.id, permissionIds: ids, changed: change.changed }, isAdd ? 'role.permissions_added' : 'role.permissions_removed');
    return change;
  }

  return {
    /** role:create. The slug defaults to one derived from the name; a clash is `role_slug_taken`. */
    async createRole(actor: Actor, appIdOrSlug: string, input: CreateRoleInput): Promise<Role> {
      const parsed = parseInput(CreateRoleInput, input);
      const slug = parsed.slug ?? (slugify(parsed.name) || 'role');
      if (!ROLE_SLUG.test(slug)) throw invalidReference('invalid_slug', 'slug', 'A role slug is 1-100 lowercase letters, digits and hyphens.', slug);
      const role = await db.transaction(async () => {
        authorize(actor, 'admin:role:create');
        const app = await ctx.writableApplication(appIdOrSlug);
        const made = await ctx.roles.insert(app.id, { name: parsed.name, slug, description: parsed.description ?? null });
        await record(actor, made, 'role.created', { name: made.name });
        return made;
      });
      ctx.log.info({ applicationId: role.applicationId, roleId: role.id, slug }, 'role.created');
      return role;
    },

    async listRoles(appIdOrSlug: string): Promise<Role[]> {
      const app = await ctx.application(appIdOrSlug);
      return ctx.roles.list(app.id);
    },

    getRole,

    /** role:update. */
    async updateRole(actor: Actor, appIdOrSlug: string, roleId: string, patch: UpdateRoleInput): Promise<Role> {
      const parsed = parseInput(UpdateRoleInput, patch);
      return db.transaction(async () => {
        authorize(actor, 'admin:role:update');
        const previous = await writableRole(appIdOrSlug, roleId);
        const role = await ctx.roles.update(previous.applicationId, previous.id, parsed);
        if (!role) throw roleNotFound();
        await record(actor, role, 'role.updated', { fields: Object.keys(parsed), ...(previous.slug !== role.slug ? { previousSlug: previous.slug } : {}) });
        return role;
      });
    },

    /** role:archive. Refused with `in_use` while users hold the role, unless forced. */
    async deleteRole(actor: Actor, appIdOrSlug: string, roleId: string, options: { force?: boolean } = {}): Promise<RoleDeletion> {
      const isForced = options.force === true;
      const deletion = await db.transaction(async () => {
        authorize(actor, 'admin:role:archive');
        const role = await writableRole(appIdOrSlug, roleId);
        const holders = await ctx.roles.countHolders(role.id);
        if (holders > 0 && !isForced) throw inUse('role', holders);
        if (!(await ctx.roles.delete(role.applicationId, role.id))) throw roleNotFound();
        await record(actor, role, 'role.deleted', { name: role.name, removedAssignments: holders, forced: isForced });
        return { role, holders };
      });
      ctx.log.info({ roleId: deletion.role.id, holders: deletion.holders }, 'role.deleted');
      return deletion;
    },

    async listRolePermissions(appIdOrSlug: string, roleId: string): Promise<Permission[]> {
      const role = await getRole(appIdOrSlug, roleId);
      return ctx.permissions.listByRole(role.applicationId, role.id);
    },

    /** role:update. Links permissions of the same application; existing links are kept. */
    addRolePermissions: (actor: Actor, appIdOrSlug: string, roleId: string, input: PermissionIdsInput) =>
      changePermissions(actor, appIdOrSlug, roleId, input, true),

    /** role:update. */
    removeRolePermissions: (actor: Actor, appIdOrSlug: string, roleId: string, input: PermissionIdsInput) =>
      changePermissions(actor, appIdOrSlug, roleId, input, false),

    /** Holders of the role among users of one organization. */
    async listRoleHolders(appIdOrSlug: string, roleId: string, query: RoleUsersQuery): Promise<{ data: RoleAssignment[]; total: number }> {
      const q = parseInput(RoleUsersQuery, query);
      const role = await getRole(appIdOrSlug, roleId);
      if (!(await ctx.organizations.findById(q.orgId))) throw organizationNotFound();
      const { rows, total } = await ctx.roles.listHolders(q.orgId, role.id, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { data: rows, total };
    },
  };
}
