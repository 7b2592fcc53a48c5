import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

export const CSRF_COOKIE = '_csrf';

/** Double-submit token (spec 60 §1): a fresh random value in an HttpOnly cookie and a hidden field. */
export function issueCsrfToken(ctx: Context, cookiePath: string): string {
  const token = randomBytes(32).toString('base64url');
  ctx.cookies.set(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: cookiePath, overwrite: true, signed: false });
  return token;
}

export function isCsrfValid(ctx: Context, submitted: unknown): boolean {
  const cookie = ctx.cookies.get(CSRF_COOKIE, { signed: false });
  if (typeof submitted !== 'string' || !cookie) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(cookie);
  return a.length === b.length && timingSafeEqual(a, b);
}
