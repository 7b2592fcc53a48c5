import type { Context, Middleware, Next } from 'koa';
import Router from '@koa/router';
import compose from 'koa-compose';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { adminAuthentication } from './auth.js';
import { adminErrors } from './errors.js';
import { adminCors } from './cors.js';
import { adminUnauthenticatedLimit, adminWriteLimit } from './rate-limit.js';
import { metadataRoutes } from './metadata.js';
import { ADMIN_ROUTERS } from './routers.js';

export type { AdminDeps } from './deps.js';
export const ADMIN_PREFIX = '/api/admin';

/**
 * `/api/admin/*` (spec 20): CORS, error vocabulary, then `GET /metadata` without authentication and
 * every other route behind bearer authentication; failed authentications and authenticated writes
 * each have their own rate limit.
 */
export function adminRoutes(deps: AdminDeps): Middleware {
  const open = new Router({ prefix: ADMIN_PREFIX });
  metadataRoutes(open, deps);
  const guarded = new Router({ prefix: ADMIN_PREFIX });
  for (const register of ADMIN_ROUTERS) register(guarded, deps);

  const pipeline = compose<Context>([
    adminCors(deps.config.http.adminCorsOrigins),
    adminErrors,
    open.routes() as Middleware,
    adminUnauthenticatedLimit(deps),
    adminAuthentication(deps),
    adminWriteLimit(deps),
    guarded.routes() as Middleware,
    () => {
      throw new AppError('not_found', 'not_found', 'Not found.');
    },
  ]);

  return async function admin(ctx: Context, next: Next) {
    if (ctx.path !== ADMIN_PREFIX && !ctx.path.startsWith(`${ADMIN_PREFIX}/`)) return next();
    ctx.state.isAdminApi = true;
    await pipeline(ctx);
  };
}
