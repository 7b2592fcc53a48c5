import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { CreateRoleInput, PermissionIdsInput, RoleUsersQuery, UpdateRoleInput } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, query, requirePermission, sendData, sendNoContent } from './kit.js';

/** `force=true` deletes an object still in use (spec 20 §5.4). */
export const ForceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

/** `/api/admin/applications/:appId/roles` (spec 20 §5.4); roles of another application are 404. */
export function rbacRoleRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const roleId = (ctx: Context) => param(ctx, 'roleId');

  router.post('/applications/:appId/roles', async (ctx) => {
    const input = await body(ctx, CreateRoleInput);
    sendData(ctx, await rbac.createRole(actorOf(ctx), app(ctx), input), { status: 201 });
  });

  router.get('/applications/:appId/roles', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.listRoles(app(ctx)));
  });

  router.get('/applications/:appId/roles/:roleId', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.getRole(app(ctx), roleId(ctx)));
  });

  router.put('/applications/:appId/roles/:roleId', async (ctx) => {
    const input = await body(ctx, UpdateRoleInput);
    sendData(ctx, await rbac.updateRole(actorOf(ctx), app(ctx), roleId(ctx), input));
  });

  router.delete('/applications/:appId/roles/:roleId', async (ctx) => {
    const { force } = query(ctx, ForceQuery);
    await rbac.deleteRole(actorOf(ctx), app(ctx), roleId(ctx), { force: force === 'true' });
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/roles/:roleId/permissions', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.listRolePermissions(app(ctx), roleId(ctx)));
  });

  router.put('/applications/:appId/roles/:roleId/permissions', async (ctx) => {
    const input = await body(ctx, PermissionIdsInput);
    await rbac.addRolePermissions(actorOf(ctx), app(ctx), roleId(ctx), input);
    sendNoContent(ctx);
  });

  router.delete('/applications/:appId/roles/:roleId/permissions', async (ctx) => {
    const input = await body(ctx, PermissionIdsInput);
    await rbac.removeRolePermissions(actorOf(ctx), app(ctx), roleId(ctx), input);
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/roles/:roleId/users', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, RoleUsersQuery);
    ctx.body = await rbac.listRoleHolders(app(ctx), roleId(ctx), q);
  });
}
