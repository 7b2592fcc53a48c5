import type Router from '@koa/router';
import { z } from 'zod';
import { CleanupInput } from '../../audit/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, query, requirePermission, sendData } from './kit.js';

/** `/api/admin/audit` (spec 20 §5.8) and retention clean-up (50-operations §11). */
export function auditRoutes(router: Router, deps: AdminDeps): void {
  const service = deps.services.audit;

  router.get('/audit', requirePermission('admin:audit:read'), async (ctx) => {
    // The service parses with ListAuditQuery (dates become Date); hand it the raw strings.
    ctx.body = await service.list(query(ctx, z.record(z.string(), z.string())));
  });

  router.post('/audit/cleanup', async (ctx) => {
    const input = await body(ctx, CleanupInput);
    sendData(ctx, await service.cleanup(actorOf(ctx), input));
  });
}
