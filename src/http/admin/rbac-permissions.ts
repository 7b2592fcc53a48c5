import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { CreatePermissionInput, UpdatePermissionInput, type Permission } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { audit, body, param, query, requirePermission, sendData, sendNoContent } from './kit.js';
import { ForceQuery } from './rbac-roles.js';

export const ListPermissionsQuery = z.strictObject({ moduleId: z.uuid().optional() });

/** `/api/admin/applications/:appId/permissions` (spec 20 §5.4); permissions of another application are 404. */
export function rbacPermissionRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const permId = (ctx: Context) => param(ctx, 'permId');
  const record = (ctx: Context, permission: Permission, eventType: string, metadata: Record<string, unknown> = {}) =>
    audit(ctx, deps, {
      eventType,
      targetType: 'permission',
      targetId: permission.id,
      metadata: { applicationId: permission.applicationId, slug: permission.slug, ...metadata },
    });

  router.post('/applications/:appId/permissions', requirePermission('admin:permission:create'), async (ctx) => {
    const input = await body(ctx, CreatePermissionInput);
    const permission = await rbac.createPermission(app(ctx), input);
    await record(ctx, permission, 'permission.created', { name: permission.name, moduleId: permission.moduleId });
    sendData(ctx, permission, { status: 201 });
  });

  router.get('/applications/:appId/permissions', requirePermission('admin:permission:read'), async (ctx) => {
    const q = query(ctx, ListPermissionsQuery);
    sendData(ctx, await rbac.listPermissions(app(ctx), q));
  });

  router.get('/applications/:appId/permissions/:permId', requirePermission('admin:permission:read'), async (ctx) => {
    sendData(ctx, await rbac.getPermission(app(ctx), permId(ctx)));
  });

  // Spec 20 §5.4 guards updates with permission:create (the catalog has no permission:update).
  router.put('/applications/:appId/permissions/:permId', requirePermission('admin:permission:create'), async (ctx) => {
    const input = await body(ctx, UpdatePermissionInput);
    const { permission } = await rbac.updatePermission(app(ctx), permId(ctx), input);
    await record(ctx, permission, 'permission.updated', { fields: Object.keys(input) });
    sendData(ctx, permission);
  });

  router.delete('/applications/:appId/permissions/:permId', requirePermission('admin:permission:archive'), async (ctx) => {
    const { force } = query(ctx, ForceQuery);
    const { permission, roles } = await rbac.deletePermission(app(ctx), permId(ctx), { force: force === 'true' });
    await record(ctx, permission, 'permission.deleted', { name: permission.name, removedFromRoles: roles, forced: force === 'true' });
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/permissions/:permId/roles', requirePermission('admin:permission:read'), async (ctx) => {
    sendData(ctx, await rbac.listPermissionRoles(app(ctx), permId(ctx)));
  });
}
