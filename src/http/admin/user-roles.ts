import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { RoleIdsInput, type RoleAssignmentChange } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { audit, body, param, principalOf, query, requirePermission, sendData, sendNoContent } from './kit.js';

export const UserRolesQuery = z.strictObject({ applicationId: z.uuid().optional() });

/**
 * `/api/admin/organizations/:orgId/users/:userId/roles` (spec 20 §5.6): a user of another
 * organization is 404; admin-application roles follow §3.3–§3.4.
 */
export function userRoleRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const orgId = (ctx: Context) => param(ctx, 'orgId');
  const userId = (ctx: Context) => param(ctx, 'userId');
  const record = (ctx: Context, change: RoleAssignmentChange, eventType: string) =>
    audit(ctx, deps, {
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

  router.get('/organizations/:orgId/users/:userId/roles', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, UserRolesQuery);
    sendData(ctx, await rbac.listUserRoles(orgId(ctx), userId(ctx), q));
  });

  router.get('/organizations/:orgId/users/:userId/roles/permissions', requirePermission('admin:role:read'), async (ctx) => {
    const q = query(ctx, UserRolesQuery);
    sendData(ctx, await rbac.listUserPermissions(orgId(ctx), userId(ctx), q));
  });

  router.put('/organizations/:orgId/users/:userId/roles', requirePermission('admin:role:assign'), async (ctx) => {
    const input = await body(ctx, RoleIdsInput);
    const change = await rbac.assignRoles(orgId(ctx), userId(ctx), input, principalOf(ctx));
    await record(ctx, change, 'user.roles_assigned');
    sendNoContent(ctx);
  });

  router.delete('/organizations/:orgId/users/:userId/roles', requirePermission('admin:role:assign'), async (ctx) => {
    const input = await body(ctx, RoleIdsInput);
    const change = await rbac.removeRoles(orgId(ctx), userId(ctx), input, principalOf(ctx));
    await record(ctx, change, 'user.roles_removed');
    sendNoContent(ctx);
  });
}
