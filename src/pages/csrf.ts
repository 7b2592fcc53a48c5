import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

export const CSRF_COOKIE = '_csrf';

/** Double-submit token (spec 60 §1): a fresh random value in an HttpOnly cookie and a hidden field. */
export function issueCsrfToken(ctx: Context, cookiePath: string, cookieName = CSRF_COOKIE): string {
  const token = randomBytes(32).toString('base64url');
  ctx.cookies.set(cookieName, token, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: cookiePath, overwrite: true, signed: false });
  return token;
}

export function isCsrfValid(ctx: Context, submitted: unknown, cookieName = CSRF_COOKIE): boolean {
  const cookie = ctx.cookies.get(cookieName, { signed: false });
  if (typeof submitted !== 'string' || !cookie) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(cookie);
  return a.length === b.length && timingSafeEqual(a, b);
}
