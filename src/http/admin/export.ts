import { Readable } from 'node:stream';
import type Router from '@koa/router';
import { ExportQuery } from '../../exports/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, param, query } from './kit.js';

/** `GET /export/:entityType` (spec 20 §5.9): a streamed JSON or CSV attachment; the domain authorizes and audits. */
export function exportRoutes(router: Router, deps: AdminDeps): void {
  router.get('/export/:entityType', async (ctx) => {
    const prepared = await deps.services.exports.download(actorOf(ctx), param(ctx, 'entityType'), query(ctx, ExportQuery));
    ctx.set('Content-Disposition', `attachment; filename="${prepared.filename}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = prepared.contentType;
    ctx.body = Readable.from(prepared.body());
  });
}
