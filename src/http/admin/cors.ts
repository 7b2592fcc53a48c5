import type { Context, Next } from 'koa';

/**
 * Admin CORS (spec 50 §8): only `ADMIN_CORS_ORIGINS`, bearer tokens only (no credentials mode),
 * preflight answered 204.
 */
export function adminCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  return async function cors(ctx: Context, next: Next) {
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    const isAllowed = origin !== '' && allowed.has(origin);
    if (ctx.method === 'OPTIONS') {
      if (isAllowed) {
        ctx.set('Access-Control-Allow-Origin', origin);
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
        ctx.set('Access-Control-Max-Age', '86400');
      }
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    if (isAllowed) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', 'ETag, X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After');
    }
    await next();
  };
}
