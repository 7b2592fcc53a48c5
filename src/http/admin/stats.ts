import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminDeps } from './deps.js';
import { requirePermission, sendData, uuidParam } from './kit.js';

/** Counts move slowly and are costly to compute; a browser may reuse them for a minute. */
const cacheForAMinute = (ctx: Context) => ctx.set('Cache-Control', 'private, max-age=60');

/** `/api/admin/stats` (spec 20 §5.8). */
export function statsRoutes(router: Router, deps: AdminDeps): void {
  const { stats } = deps.services;

  router.get('/stats/overview', requirePermission('admin:stats:read'), async (ctx) => {
    const overview = await stats.overview();
    cacheForAMinute(ctx);
    sendData(ctx, overview);
  });

  router.get('/stats/organization/:orgId', requirePermission('admin:stats:read'), async (ctx) => {
    const result = await stats.organization(uuidParam(ctx, 'orgId'));
    cacheForAMinute(ctx);
    sendData(ctx, result);
  });
}
