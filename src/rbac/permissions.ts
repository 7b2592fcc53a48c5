import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import type { Application } from '../applications/index.js';
import type { RbacContext } from './context.js';
import { immutableField, inUse, invalidReference, permissionNotFound } from './errors.js';
import { CreatePermissionInput, UpdatePermissionInput, type Permission, type Role } from './schema.js';

export interface PermissionDeletion {
  permission: Permission;
  /** Roles that held it (their links are gone). */
  roles: number;
}

/** Permission methods of the RBAC service; each takes the application (id or slug) first. */
export function createPermissionOperations(ctx: RbacContext) {
  async function permissionIn(app: Application, permissionId: string): Promise<Permission> {
    const permission = isUuid(permissionId) ? await ctx.permissions.findById(app.id, permissionId) : null;
    if (!permission) throw permissionNotFound();
    return permission;
  }

  const getPermission = async (appIdOrSlug: string, permissionId: string): Promise<Permission> =>
    permissionIn(await ctx.application(appIdOrSlug), permissionId);

  return {
    /** The slug is required and immutable; `moduleId` must be a module of the same application. */
    async createPermission(appIdOrSlug: string, input: CreatePermissionInput): Promise<Permission> {
      const parsed = parseInput(CreatePermissionInput, input);
      const app = await ctx.writableApplication(appIdOrSlug);
      const moduleId = parsed.moduleId ?? null;
      if (moduleId !== null && !(await ctx.applications.findModuleById(app.id, moduleId))) {
        throw invalidReference('module_not_in_application', 'moduleId', 'The module does not belong to this application.', moduleId);
      }
      const permission = await ctx.permissions.insert(app.id, {
        name: parsed.name,
        slug: parsed.slug,
        moduleId,
        description: parsed.description ?? null,
      });
      ctx.log.info({ applicationId: app.id, permissionId: permission.id, slug: permission.slug }, 'permission.created');
      return permission;
    },

    /** `moduleId` narrows to one module's permissions. */
    async listPermissions(appIdOrSlug: string, filter: { moduleId?: string } = {}): Promise<Permission[]> {
      const app = await ctx.application(appIdOrSlug);
      if (filter.moduleId !== undefined && !isUuid(filter.moduleId)) return [];
      return ctx.permissions.list(app.id, filter);
    },

    getPermission,

    async updatePermission(appIdOrSlug: string, permissionId: string, patch: UpdatePermissionInput): Promise<{ permission: Permission; previous: Permission }> {
      const parsed = parseInput(UpdatePermissionInput, patch);
      const previous = await permissionIn(await ctx.writableApplication(appIdOrSlug), permissionId);
      if (parsed.slug !== undefined && parsed.slug !== previous.slug) throw immutableField('slug');
      const permission = await ctx.permissions.update(previous.applicationId, previous.id, { name: parsed.name, description: parsed.description });
      if (!permission) throw permissionNotFound();
      return { permission, previous };
    },

    /** Refused with `in_use` while roles hold the permission, unless forced. */
    async deletePermission(appIdOrSlug: string, permissionId: string, options: { force?: boolean } = {}): Promise<PermissionDeletion> {
      const permission = await permissionIn(await ctx.writableApplication(appIdOrSlug), permissionId);
      const roles = await ctx.permissions.countRoles(permission.id);
      if (roles > 0 && !options.force) throw inUse('permission', roles);
      if (!(await ctx.permissions.delete(permission.applicationId, permission.id))) throw permissionNotFound();
      ctx.log.info({ permissionId: permission.id, roles }, 'permission.deleted');
      return { permission, roles };
    },

    async listPermissionRoles(appIdOrSlug: string, permissionId: string): Promise<Role[]> {
      const permission = await getPermission(appIdOrSlug, permissionId);
      return ctx.roles.listByPermission(permission.applicationId, permission.id);
    },
  };
}
