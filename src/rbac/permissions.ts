import { authorize, type Actor } from '../actors/index.js';
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

/**
 * Permission methods of the RBAC service. Reads take the application (id or slug) first; writes take
 * the actor first, then the application, and authorize, change and audit in one transaction.
 */
export function createPermissionOperations(ctx: RbacContext) {
  const { db } = ctx;

  async function permissionIn(app: Application, permissionId: string): Promise<Permission> {
    const permission = isUuid(permissionId) ? await ctx.permissions.findById(app.id, permissionId) : null;
    if (!permission) throw permissionNotFound();
    return permission;
  }

  const getPermission = async (appIdOrSlug: string, permissionId: string): Promise<Permission> =>
    permissionIn(await ctx.application(appIdOrSlug), permissionId);

  const record = (actor: Actor, permission: Permission, eventType: string, metadata: Record<string, unknown> = {}) =>
    ctx.audit.record(actor, {
      eventType,
      targetType: 'permission',
      targetId: permission.id,
      metadata: { applicationId: permission.applicationId, slug: permission.slug, ...metadata },
    });

  return {
    /** permission:create. The slug is required and immutable; `moduleId` must be a module of the same application. */
    async createPermission(actor: Actor, appIdOrSlug: string, input: CreatePermissionInput): Promise<Permission> {
      const parsed = parseInput(CreatePermissionInput, input);
      const moduleId = parsed.moduleId ?? null;
      const permission = await db.transaction(async () => {
        authorize(actor, 'admin:permission:create');
        const app = await ctx.writableApplication(appIdOrSlug);
        if (moduleId !== null && !(await ctx.applications.findModuleById(app.id, moduleId))) {
          throw invalidReference('module_not_in_application', 'moduleId', 'The module does not belong to this application.', moduleId);
        }
        const made = await ctx.permissions.insert(app.id, { name: parsed.name, slug: parsed.slug, moduleId, description: parsed.description ?? null });
        await record(actor, made, 'permission.created', { name: made.name, moduleId: made.moduleId });
        return made;
      });
      ctx.log.info({ applicationId: permission.applicationId, permissionId: permission.id, slug: permission.slug }, 'permission.created');
      return permission;
    },

    /** `moduleId` narrows to one module's permissions. */
    async listPermissions(appIdOrSlug: string, filter: { moduleId?: string } = {}): Promise<Permission[]> {
      const app = await ctx.application(appIdOrSlug);
      if (filter.moduleId !== undefined && !isUuid(filter.moduleId)) return [];
      return ctx.permissions.list(app.id, filter);
    },

    getPermission,

    /** permission:create (spec 20 §5.4: the catalog has no permission:update). The slug stays. */
    async updatePermission(actor: Actor, appIdOrSlug: string, permissionId: string, patch: UpdatePermissionInput): Promise<Permission> {
      const parsed = parseInput(UpdatePermissionInput, patch);
      return db.transaction(async () => {
        authorize(actor, 'admin:permission:create');
        const previous = await permissionIn(await ctx.writableApplication(appIdOrSlug), permissionId);
        if (parsed.slug !== undefined && parsed.slug !== previous.slug) throw immutableField('slug');
        const permission = await ctx.permissions.update(previous.applicationId, previous.id, { name: parsed.name, description: parsed.description });
        if (!permission) throw permissionNotFound();
        await record(actor, permission, 'permission.updated', { fields: Object.keys(parsed) });
        return permission;
      });
    },

    /** permission:archive. Refused with `in_use` while roles hold the permission, unless forced. */
    async deletePermission(actor: Actor, appIdOrSlug: string, permissionId: string, options: { force?: boolean } = {}): Promise<PermissionDeletion> {
      const isForced = options.force === true;
      const deletion = await db.transaction(async () => {
        authorize(actor, 'admin:permission:archive');
        const permission = await permissionIn(await ctx.writableApplication(appIdOrSlug), permissionId);
        const roles = await ctx.permissions.countRoles(permission.id);
        if (roles > 0 && !isForced) throw inUse('permission', roles);
        if (!(await ctx.permissions.delete(permission.applicationId, permission.id))) throw permissionNotFound();
        await record(actor, permission, 'permission.deleted', { name: permission.name, removedFromRoles: roles, forced: isForced });
        return { permission, roles };
      });
      ctx.log.info({ permissionId: deletion.permission.id, roles: deletion.roles }, 'permission.deleted');
      return deletion;
    },

    async listPermissionRoles(appIdOrSlug: string, permissionId: string): Promise<Role[]> {
      const permission = await getPermission(appIdOrSlug, permissionId);
      return ctx.roles.listByPermission(permission.applicationId, permission.id);
    },
  };
}
