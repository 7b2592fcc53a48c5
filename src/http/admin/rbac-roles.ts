import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { CreateRoleInput, PermissionIdsInput, RoleUsersQuery, UpdateRoleInput, type Role } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { audit, body, param, query, requirePermission, sendData, sendNoContent } from './kit.js';

/** `force=true` deletes an object still in use (spec 20 §5.4). */
export const ForceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });

/** `/api/admin/applications/:appId/roles` (spec 20 §5.4); roles of another application are 404. */
export function rbacRoleRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const roleId = (ctx: Context) => param(ctx, 'roleId');
  const record = (ctx: Context, role: Role, eventType: string, metadata: Record<string, unknown> = {}) =>
    audit(ctx, deps, { eventType, targetType: 'role', targetId: role.id, metadata: { applicationId: role.applicationId, slug: role.slug, ...metadata } });

  router.post('/applications/:appId/roles', requirePermission('admin:role:create'), async (ctx) => {
    const input = await body(ctx, CreateRoleInput);
    const role = await rbac.createRole(app(ctx), input);
    await record(ctx, role, 'role.created', { name: role.name });
    sendData(ctx, role, { status: 201 });
  });

  router.get('/applications/:appId/roles', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.listRoles(app(ctx)));
  });

  router.get('/applications/:appId/roles/:roleId', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.getRole(app(ctx), roleId(ctx)));
  });

  router.put('/applications/:appId/roles/:roleId', requirePermission('admin:role:update'), async (ctx) => {
    const input = await body(ctx, UpdateRoleInput);
    const { role, previous } = await rbac.updateRole(app(ctx), roleId(ctx), input);
    await record(ctx, role, 'role.updated', { fields: Object.keys(input), ...(previous.slug !== role.slug ? { previousSlug: previous.slug } : {}) });
    sendData(ctx, role);
  });

  router.delete('/applications/:appId/roles/:roleId', requirePermission('admin:role:archive'), async (ctx) => {
    const { force } = query(ctx, ForceQuery);
    const { role, holders } = await rbac.deleteRole(app(ctx), roleId(ctx), { force: force === 'true' });
    await record(ctx, role, 'role.deleted', { name: role.name, removedAssignments: holders, forced: force === 'true' });
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/roles/:roleId/permissions', requirePermission('admin:role:read'), async (ctx) => {
    sendData(ctx, await rbac.listRolePermissions(app(ctx), roleId(ctx)));
  });

  router.put('/applications/:appId/roles/:roleId/permissions', requirePermission('admin:role:update'), async (ctx) => {
    const input = await body(ctx, PermissionIdsInput);
    const { role, permissionIds, changed } = await rbac.addRolePermissions(app(ctx), roleId(ctx), input);
    await record(ctx, role, 'role.permissions_added', { permissionIds, added: changed });
    sendNoContent(ctx);
  });

  router.delete('/applications/:appId/roles/:roleId/permissions', requirePermission('admin:role:update'), async (ctx) => {
    const input = await body(ctx, PermissionIdsInput);
    const { role, permissionIds, changed } = await rbac.removeRolePermissions(app(ctx), roleId(ctx), input);
    await record(ctx, role, 'role.permissions_removed', { permissionIds, removed: changed });
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/roles/:roleId/users', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, RoleUsersQuery);
    ctx.body = await rbac.listRoleHolders(app(ctx), roleId(ctx), q);
  });
}
