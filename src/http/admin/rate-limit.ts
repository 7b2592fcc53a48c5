import type { Context, Next } from 'koa';
import { AppError } from '../../platform/errors.js';
import type { RateLimitContext, RateLimitDecision } from '../../rate-limits/index.js';
import type { AdminDeps } from './deps.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type LimitDeps = Pick<AdminDeps, 'services' | 'direct'>;

const contextOf = (ctx: Context): RateLimitContext => ({ ipAddress: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined });

const rateLimited = (message: string, decision: RateLimitDecision) =>
  new AppError('rate_limited', 'rate_limited', message, { retryAfter: decision.retryAfter });

/**
 * Authenticated writes count against `rate_limit_admin_write_*` per IP (spec 50 §7); GET is unmetered.
 * Runs after authentication, so requests nobody authenticated never use up the admins' budget.
 */
export function adminWriteLimit(deps: LimitDeps) {
  return async function writeLimit(ctx: Context, next: Next) {
    // The CLI in direct mode talks to its own in-process server: there is no remote client to meter.
    if (!WRITES.has(ctx.method) || deps.direct) return next();
    const decision = await deps.services.rateLimits.hit('admin_write', ctx.ip, contextOf(ctx));
    ctx.set('X-RateLimit-Limit', String(decision.limit));
    ctx.set('X-RateLimit-Remaining', String(decision.remaining));
    if (!decision.isAllowed) throw rateLimited('Too many admin writes; retry later.', decision);
    await next();
  };
}

/**
 * Requests that fail authentication, of any method, have their own budget per IP
 * (`rate_limit_admin_unauthenticated_*`); over it they get 429 instead of 401/403. Authentication
 * still runs for every request, so an admin sharing the IP keeps working.
 */
export function adminUnauthenticatedLimit(deps: LimitDeps) {
  return async function unauthenticatedLimit(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      const isRefused = err instanceof AppError && (err.kind === 'unauthorized' || err.kind === 'forbidden');
      if (!isRefused || ctx.state.actor || deps.direct) throw err;
      const decision = await deps.services.rateLimits.hit('admin_unauthenticated', ctx.ip, contextOf(ctx));
      if (!decision.isAllowed) throw rateLimited('Too many unauthenticated requests; retry later.', decision);
      throw err;
    }
  };
}
