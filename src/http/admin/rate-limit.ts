import type { Context, Next } from 'koa';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Admin writes count against `rate_limit_admin_write_*` per IP (spec 50 §7); GET is unmetered. */
export function adminWriteLimit(deps: Pick<AdminDeps, 'services' | 'direct'>) {
  return async function writeLimit(ctx: Context, next: Next) {
    // The CLI in direct mode talks to its own in-process server: there is no remote client to meter.
    if (!WRITES.has(ctx.method) || deps.direct) return next();
    const decision = await deps.services.rateLimits.hit('admin_write', ctx.ip, { ipAddress: ctx.ip });
    ctx.set('X-RateLimit-Limit', String(decision.limit));
    ctx.set('X-RateLimit-Remaining', String(decision.remaining));
    if (!decision.isAllowed) {
      ctx.set('Retry-After', String(decision.retryAfter));
      throw new AppError('rate_limited', 'rate_limited', 'Too many admin writes; retry later.', { retryAfter: decision.retryAfter });
    }
    await next();
  };
}
