import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { CreatePermissionInput, UpdatePermissionInput } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, query, requirePermission, sendData, sendNoContent } from './kit.js';
import { ForceQuery } from './rbac-roles.js';

export const ListPermissionsQuery = z.strictObject({ moduleId: z.uuid().optional() });

/** `/api/admin/applications/:appId/permissions` (spec 20 §5.4); permissions of another application are 404. */
export function rbacPermissionRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const permId = (ctx: Context) => param(ctx, 'permId');

  router.post('/applications/:appId/permissions', async (ctx) => {
    const input = await body(ctx, CreatePermissionInput);
    sendData(ctx, await rbac.createPermission(actorOf(ctx), app(ctx), input), { status: 201 });
  });

  router.get('/applications/:appId/permissions', requirePermission('admin:permission:read'), async (ctx) => {
    const q = query(ctx, ListPermissionsQuery);
    sendData(ctx, await rbac.listPermissions(app(ctx), q));
  });

  router.get('/applications/:appId/permissions/:permId', requirePermission('admin:permission:read'), async (ctx) => {
    sendData(ctx, await rbac.getPermission(app(ctx), permId(ctx)));
  });

  router.put('/applications/:appId/permissions/:permId', async (ctx) => {
    const input = await body(ctx, UpdatePermissionInput);
    sendData(ctx, await rbac.updatePermission(actorOf(ctx), app(ctx), permId(ctx), input));
  });

  router.delete('/applications/:appId/permissions/:permId', async (ctx) => {
    const { force } = query(ctx, ForceQuery);
    await rbac.deletePermission(actorOf(ctx), app(ctx), permId(ctx), { force: force === 'true' });
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/permissions/:permId/roles', requirePermission('admin:permission:read'), async (ctx) => {
    sendData(ctx, await rbac.listPermissionRoles(app(ctx), permId(ctx)));
  });
}
