import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { RoleIdsInput } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, query, requirePermission, sendData, sendNoContent } from './kit.js';

export const UserRolesQuery = z.strictObject({ applicationId: z.uuid().optional() });

/**
 * `/api/admin/organizations/:orgId/users/:userId/roles` (spec 20 §5.6): a user of another
 * organization is 404; the RBAC service applies §3.3–§3.4 and issue 9 item 7.
 */
export function userRoleRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const orgId = (ctx: Context) => param(ctx, 'orgId');
  const userId = (ctx: Context) => param(ctx, 'userId');

  router.get('/organizations/:orgId/users/:userId/roles', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, UserRolesQuery);
    sendData(ctx, await rbac.listUserRoles(orgId(ctx), userId(ctx), q));
  });

  router.get('/organizations/:orgId/users/:userId/roles/permissions', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, UserRolesQuery);
    sendData(ctx, await rbac.listUserPermissions(orgId(ctx), userId(ctx), q));
  });

  router.put('/organizations/:orgId/users/:userId/roles', async (ctx) => {
    const input = await body(ctx, RoleIdsInput);
    await rbac.assignRoles(actorOf(ctx), orgId(ctx), userId(ctx), input);
    sendNoContent(ctx);
  });

  router.delete('/organizations/:orgId/users/:userId/roles', async (ctx) => {
    const input = await body(ctx, RoleIdsInput);
    await rbac.removeRoles(actorOf(ctx), orgId(ctx), userId(ctx), input);
    sendNoContent(ctx);
  });
}
