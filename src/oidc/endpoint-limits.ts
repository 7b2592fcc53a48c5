import type { Context } from 'koa';
import type { RateLimitContext, RateLimitDecision, RateLimitScope } from '../rate-limits/index.js';
import type { OidcDeps, Organization } from './types.js';

/** The engine's metered endpoints, by path under `/{org}` (spec 50 §7); only POST reaches them. */
const METERED: Readonly<Record<string, RateLimitScope>> = {
  '/auth/token': 'token',
  '/auth/token/introspection': 'introspection',
  // RFC 8628 device authorization: client-authenticated like the token endpoint, and under its limit.
  '/auth/device/auth': 'token',
};

/** RFC 7591/7592: registration and the client configuration endpoint, every method, where registration is on. */
const REGISTRATION = /^\/auth\/register(\/[^/]+)?$/;
const registrationScope = (org: Organization, path: string): RateLimitScope | undefined =>
  org.dynamicRegistration && REGISTRATION.test(path) ? 'registration' : undefined;

/** Who a limited request came from, for the `security.rate_limited` entry. */
export function limitContext(ctx: Context, org: Organization): RateLimitContext {
  return { organizationId: org.id, ipAddress: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined };
}

/** `X-RateLimit-*` on a metered answer, `Retry-After` on a refused one. */
export function setLimitHeaders(ctx: Context, decision: RateLimitDecision): void {
  ctx.set('X-RateLimit-Limit', String(decision.limit));
  ctx.set('X-RateLimit-Remaining', String(decision.remaining));
  if (!decision.isAllowed) ctx.set('Retry-After', String(decision.retryAfter));
}

/**
 * Per client IP limits of the token and introspection endpoints, checked before the engine reads the
 * request. False when the request was answered: 429 OAuth-style, `{ error: "rate_limited", error_description }`.
 */
export function endpointLimits(deps: Pick<OidcDeps, 'rateLimits'>) {
  return async function limitEndpoint(ctx: Context, org: Organization, rest: string): Promise<boolean> {
    // The engine's router ignores case and a trailing slash; so does the limit.
    const path = rest.toLowerCase().replace(/\/+$/, '');
    const scope = (ctx.method === 'POST' ? METERED[path] : undefined) ?? registrationScope(org, path);
    if (!scope) return true;
    // Reserved: a device's pending poll at the agreed interval is given back (device-flow.ts).
    const decision = await deps.rateLimits.reserve(scope, ctx.ip, limitContext(ctx, org));
    setLimitHeaders(ctx, decision);
    if (decision.isAllowed) return true;
    ctx.status = 429;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'rate_limited', error_description: `Too many requests; retry after ${decision.retryAfter} seconds.` };
    return false;
  };
}
