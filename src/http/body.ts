import type { Context, Next } from 'koa';
import { AppError } from '../platform/errors.js';

export const DEFAULT_BODY_LIMIT = 100 * 1024;

declare module 'http' {
  interface IncomingMessage {
    /** Raw body read by `readBodies`; the OIDC engine parses it from here. */
    body?: Buffer;
  }
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', 'payload_too_large', `The request body exceeds ${Math.round(limit / 1024)} KB.`);
}

/**
 * Reads every request body once, before routing and before the OIDC engine, enforcing the size limit
 * (spec 50 §8) whether or not Content-Length is sent. `limitFor` may raise the limit for a route.
 */
export function readBodies(options: { limitFor?: (ctx: Context) => number | undefined } = {}) {
  return async function bodies(ctx: Context, next: Next) {
    if (!hasBody(ctx)) return next();
    const limit = options.limitFor?.(ctx) ?? DEFAULT_BODY_LIMIT;
    const declared = ctx.request.length;
    if (declared !== undefined && declared > limit) {
      // Do not read what we refuse; tell the client the connection ends here.
      ctx.set('Connection', 'close');
      throw tooLarge(limit);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of ctx.req) {
      received += (chunk as Buffer).length;
      if (received > limit) {
        ctx.set('Connection', 'close');
        throw tooLarge(limit);
      }
      chunks.push(chunk as Buffer);
    }
    if (declared !== undefined && received !== declared) {
      throw new AppError('invalid', 'bad_request', 'The request body does not match its Content-Length.');
    }
    ctx.req.body = Buffer.concat(chunks, received);
    await next();
  };
}

function hasBody(ctx: Context): boolean {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return false;
  return ctx.request.length !== undefined ? ctx.request.length > 0 : ctx.get('Transfer-Encoding') !== '';
}

/** The JSON body of an admin request; an empty body is `{}`. */
export function jsonBody(ctx: Context): unknown {
  const raw = ctx.req.body;
  if (!raw || raw.length === 0) return {};
  if (!ctx.is('application/json')) {
    throw new AppError('invalid', 'unsupported_media_type', 'The request body must be application/json.');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new AppError('invalid', 'invalid_json', 'The request body is not valid JSON.');
  }
}
