import type { Context, Next } from 'koa';
import { HTML_CSP, JSON_CSP } from '../pages/index.js';

/** Spec 50 §8. The HTML policy is set before downstream runs so the OIDC engine can append script hashes. */
export function securityHeaders(options: { isHttpsIssuer: boolean }) {
  return async function headers(ctx: Context, next: Next) {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
    ctx.set('X-XSS-Protection', '0');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.isHttpsIssuer) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    ctx.set('Content-Security-Policy', HTML_CSP);
    try {
      await next();
    } finally {
      // A route serving its own kind of document (an uploaded SVG) names its policy in ctx.state.
      const own = ctx.state.contentSecurityPolicy as string | undefined;
      if (own) ctx.set('Content-Security-Policy', own);
      // The media type compared as `ctx.response.is('html')` would, without parsing the header on every request.
      else if (ctx.response.type.trim().toLowerCase() !== 'text/html') ctx.set('Content-Security-Policy', JSON_CSP);
    }
  };
}
