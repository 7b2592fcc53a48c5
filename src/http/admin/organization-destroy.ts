import type Router from '@koa/router';
import { z } from 'zod';
import type { AdminDeps } from './deps.js';
import { auditActor, param, query, requirePermission, sendData } from './kit.js';

export const DestroyOrganizationParams = z.strictObject({ 'dry-run': z.enum(['true', 'false']).optional() });

/**
 * Spec 20 §5.1 DELETE `/organizations/:idOrSlug`: permanent. The dry run answers the same counts
 * without changing anything; the super-admin organization is refused (403 protected_resource).
 */
export function organizationDestroyRoutes(router: Router, deps: AdminDeps): void {
  const destroyer = deps.services.organizationDestroy;

  router.delete('/organizations/:id', requirePermission('admin:org:archive'), async (ctx) => {
    const isDryRun = query(ctx, DestroyOrganizationParams)['dry-run'] === 'true';
    if (isDryRun) {
      sendData(ctx, { dryRun: true, ...(await destroyer.preview(param(ctx, 'id'))) });
      return;
    }
    // The audit entry is written by the service inside the destroying transaction.
    sendData(ctx, await destroyer.destroy(param(ctx, 'id'), auditActor(ctx)));
  });
}
