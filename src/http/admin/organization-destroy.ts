import type Router from '@koa/router';
import { z } from 'zod';
import type { AdminDeps } from './deps.js';
import { actorOf, param, query, sendData } from './kit.js';

export const DestroyOrganizationParams = z.strictObject({ 'dry-run': z.enum(['true', 'false']).optional() });

/**
 * Spec 20 §5.1 DELETE `/organizations/:idOrSlug`: permanent. The dry run answers the same counts
 * without changing anything; both need `org:archive` and refuse the super-admin organization (403
 * protected_resource). The service writes `org.destroyed` inside the destroying transaction.
 */
export function organizationDestroyRoutes(router: Router, deps: AdminDeps): void {
  const destroyer = deps.services.organizationDestroy;

  router.delete('/organizations/:id', async (ctx) => {
    const isDryRun = query(ctx, DestroyOrganizationParams)['dry-run'] === 'true';
    const actor = actorOf(ctx);
    const id = param(ctx, 'id');
    sendData(ctx, isDryRun ? { dryRun: true, ...(await destroyer.preview(actor, id)) } : await destroyer.destroy(actor, id));
  });
}
