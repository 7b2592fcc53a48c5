import { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { AppError } from '../platform/errors.js';
import { InputRejected, checkCharset, checkJson, decodeUtf8, parseForm } from './input.js';

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
 * Enforces the body size limit on every route, before routing and before the OIDC engine (spec 50 §8).
 * A declared Content-Length is checked without reading; a chunked body is read here (it is the only
 * way to count it) and left in `req.body`, where the engine and `rawBody` find it. `limitFor` may
 * raise the limit for a route.
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
    if (declared !== undefined) {
      ctx.state.bodyLimit = limit;
      return next();
    }
    ctx.req.body = await readStream(ctx, limit, undefined);
    await next();
  };
}

/** The raw request body, read once (within the limit checked by `readBodies`). */
export async function rawBody(ctx: Context): Promise<Buffer> {
  if (ctx.req.body) return ctx.req.body;
  if (!hasBody(ctx)) return Buffer.alloc(0);
  ctx.req.body = await readStream(ctx, (ctx.state.bodyLimit as number | undefined) ?? DEFAULT_BODY_LIMIT, ctx.request.length);
  return ctx.req.body;
}

async function readStream(ctx: Context, limit: number, declared: number | undefined): Promise<Buffer> {
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
  return Buffer.concat(chunks, received);
}

function hasBody(ctx: Context): boolean {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return false;
  return ctx.request.length !== undefined ? ctx.request.length > 0 : ctx.get('Transfer-Encoding') !== '';
}

/** The JSON body of an admin request; an empty body is `{}`. UTF-8 only, and no NUL or lone surrogate anywhere. */
export async function jsonBody(ctx: Context): Promise<unknown> {
  const raw = await rawBody(ctx);
  if (raw.length === 0) return {};
  if (!ctx.is('application/json')) {
    throw new AppError('unsupported_media_type', 'unsupported_media_type', 'The request body must be application/json.');
  }
  checkCharset(ctx.request.charset);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(raw));
  } catch (err) {
    if (err instanceof InputRejected) throw err;
    throw new AppError('invalid', 'invalid_request', 'The request body is not valid JSON.');
  }
  checkJson(parsed);
  return parsed;
}

/**
 * A page form's fields (first value of each); anything but `application/x-www-form-urlencoded` is `{}`.
 * Malformed encodings, NUL characters and other charsets throw InputRejected.
 */
export async function formBody(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  checkCharset(ctx.request.charset);
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of parseForm(decodeUtf8(await rawBody(ctx), 'form'))) {
    if (!Object.hasOwn(out, k)) out[k] = v;
  }
  return out;
}

/**
 * Every field of an `application/x-www-form-urlencoded` body in order, repeated names included (so a
 * protocol endpoint can still refuse them); another content type is `unsupported_media_type`.
 */
export async function formFields(ctx: Context): Promise<Array<[string, string]>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new InputRejected('The request body must be application/x-www-form-urlencoded.', 'unsupported_media_type');
  }
  checkCharset(ctx.request.charset);
  return parseForm(decodeUtf8(await rawBody(ctx), 'form'));
}

/**
 * Checks a body bound for the OIDC engine and hands it over as the engine expects it, an unread
 * stream: the engine parses bodies itself and warns about ones an upstream parser consumed. Porta
 * has read this one (to count it, spec 50 §8, and to refuse what it cannot store), so the engine
 * gets a request object carrying the same headers and these bytes again, with their Content-Length.
 */
export async function handOverBody(ctx: Context): Promise<void> {
  if (!hasBody(ctx)) return;
  const raw = await rawBody(ctx);
  if (ctx.is('application/x-www-form-urlencoded')) {
    checkCharset(ctx.request.charset);
    parseForm(decodeUtf8(raw, 'form'));
  }
  const replay = new IncomingMessage(ctx.req.socket);
  // Every byte of the body is pushed below: nothing is left to pull from the socket.
  replay._read = () => undefined;
  replay.method = ctx.req.method;
  replay.url = ctx.req.url;
  replay.httpVersion = ctx.req.httpVersion;
  replay.httpVersionMajor = ctx.req.httpVersionMajor;
  replay.httpVersionMinor = ctx.req.httpVersionMinor;
  const { 'transfer-encoding': _chunked, ...headers } = ctx.req.headers;
  replay.headers = { ...headers, 'content-length': String(raw.length) };
  replay.rawHeaders = ctx.req.rawHeaders;
  replay.complete = true;
  replay.push(raw);
  replay.push(null);
  ctx.req = replay;
  ctx.request.req = replay;
  ctx.response.req = replay;
}
