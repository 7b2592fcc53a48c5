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

/** Role methods of the RBAC service; each takes the application (id or slug) first. */
export function createRoleOperations(ctx: RbacContext) {
  async function roleIn(app: Application, roleId: string): Promise<Role> {
    const role = isUuid(roleId) ? await ctx.roles.findById(app.id, roleId) : null;
    if (!role) throw roleNotFound();
    return role;
  }

  const getRole = async (appIdOrSlug: string, roleId: string): Promise<Role> => roleIn(await ctx.application(appIdOrSlug), roleId);
  const writableRole = async (appIdOrSlug: string, roleId: string): Promise<Role> =>
    roleIn(await ctx.writableApplication(appIdOrSlug), roleId);

  /** Every id must be a permission of the role's application (spec 40 §3: same application). */
  async function assertSameApplication(role: Role, permissionIds: string[]): Promise<void> {
    const found = await ctx.permissions.existingIds(role.applicationId, permissionIds);
    const foreign = permissionIds.filter((id) => !found.has(id));
    if (foreign.length > 0) {
      throw invalidReference('permission_not_in_application', 'permissionIds', 'Every permission must belong to the role\'s application.', foreign);
    }
  }

  async function changePermissions(appIdOrSlug: string, roleId: string, input: unknown, add: boolean): Promise<RolePermissionChange> {
    const { permissionIds } = parseInput(PermissionIdsInput, input);
    const role = await writableRole(appIdOrSlug, roleId);
    const ids = [...new Set(permissionIds)];
    await assertSameApplication(role, ids);
    const changed = add ? await ctx.roles.addPermissions(role.id, ids) : await ctx.roles.removePermissions(role.id, ids);
    ctx.log.info({ roleId: role.id, permissionIds: ids, changed }, add ? 'role.permissions_added' : 'role.permissions_removed');
    return { role, permissionIds: ids, changed };
  }

  return {
    /** The slug defaults to one derived from the name; a clash is `role_slug_taken`. */
    async createRole(appIdOrSlug: string, input: CreateRoleInput): Promise<Role> {
      const parsed = parseInput(CreateRoleInput, input);
      const app = await ctx.writableApplication(appIdOrSlug);
      const slug = parsed.slug ?? (slugify(parsed.name) || 'role');
      if (!ROLE_SLUG.test(slug)) throw invalidReference('invalid_slug', 'slug', 'A role slug is 1-100 lowercase letters, digits and hyphens.', slug);
      const role = await ctx.roles.insert(app.id, { name: parsed.name, slug, description: parsed.description ?? null });
      ctx.log.info({ applicationId: app.id, roleId: role.id, slug }, 'role.created');
      return role;
    },

    async listRoles(appIdOrSlug: string): Promise<Role[]> {
      const app = await ctx.application(appIdOrSlug);
      return ctx.roles.list(app.id);
    },

    getRole,

    async updateRole(appIdOrSlug: string, roleId: string, patch: UpdateRoleInput): Promise<{ role: Role; previous: Role }> {
      const parsed = parseInput(UpdateRoleInput, patch);
      const previous = await writableRole(appIdOrSlug, roleId);
      const role = await ctx.roles.update(previous.applicationId, previous.id, parsed);
      if (!role) throw roleNotFound();
      return { role, previous };
    },

    /** Refused with `in_use` while users hold the role, unless forced. */
    async deleteRole(appIdOrSlug: string, roleId: string, options: { force?: boolean } = {}): Promise<RoleDeletion> {
      const role = await writableRole(appIdOrSlug, roleId);
      const holders = await ctx.roles.countHolders(role.id);
      if (holders > 0 && !options.force) throw inUse('role', holders);
      if (!(await ctx.roles.delete(role.applicationId, role.id))) throw roleNotFound();
      ctx.log.info({ roleId: role.id, holders }, 'role.deleted');
      return { role, holders };
    },

    async listRolePermissions(appIdOrSlug: string, roleId: string): Promise<Permission[]> {
      const role = await getRole(appIdOrSlug, roleId);
      return ctx.permissions.listByRole(role.applicationId, role.id);
    },

    /** Links permissions of the same application; existing links are kept. */
    addRolePermissions: (appIdOrSlug: string, roleId: string, input: PermissionIdsInput) => changePermissions(appIdOrSlug, roleId, input, true),

    removeRolePermissions: (appIdOrSlug: string, roleId: string, input: PermissionIdsInput) =>
      changePermissions(appIdOrSlug, roleId, input, false),

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
