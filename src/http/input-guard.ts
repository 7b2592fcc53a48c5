import type { Context, Next } from 'koa';
import { checkRequestTarget } from '../pages/index.js';

/**
 * Every request's path and query, before any route reads them: malformed percent-encoding, bytes that
 * are not UTF-8 and NUL characters are refused with InputRejected (400), so no path parameter, filter
 * or engine parameter carries them further (PostgreSQL refuses NUL in text).
 */
export async function checkRequestUrl(ctx: Context, next: Next): Promise<void> {
  checkRequestTarget(ctx.req.url ?? '/');
  await next();
}
