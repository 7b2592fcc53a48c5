import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import { AppError, type ErrorKind } from '../platform/errors.js';
import type { Log } from '../platform/log.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
  retryAfter?: number;
  requestId?: string;
}

/** Answers an error in a route's own vocabulary (an OAuth error, a page); false leaves it to the mapper. */
export type ErrorPresenter = (ctx: Context, err: unknown) => Promise<boolean>;

/**
 * Turns thrown errors into `{ error, message, details? }`; anything unexpected is a logged 500 without a
 * stack. `present` answers first where another edge has its own vocabulary.
 */
export function errorMapper(log: Log, options: { present?: ErrorPresenter } = {}) {
  return async function mapErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      if (await options.present?.(ctx, err)) return;
      if (isDataException(err)) {
        // A value the validation let through and PostgreSQL refused: the request's fault, but a gap to close.
        log.warn({ code: (err as { code: string }).code, requestId: ctx.state.requestId }, 'http.data_exception');
      }
      const body = toErrorBody(err, ctx);
      if (ctx.status >= 500) {
        log.error({ err, requestId: ctx.state.requestId }, 'http.unhandled_error');
      }
      ctx.body = body;
      ctx.type = 'application/json';
    }
  };
}

function toErrorBody(err: unknown, ctx: Context): ErrorBody {
  if (err instanceof AppError) {
    ctx.status = STATUS[err.kind];
    if (err.kind === 'rate_limited' && isRetry(err.details)) {
      ctx.set('Retry-After', String(err.details.retryAfter));
      return { error: err.code, message: err.message, retryAfter: err.details.retryAfter };
    }
    return { error: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) };
  }
  if (err instanceof ZodError) {
    ctx.status = 400;
    return {
      error: 'validation_failed',
      message: 'The request is invalid.',
      details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  }
  if (isDataException(err)) {
    ctx.status = 400;
    return { error: 'invalid_request', message: 'A value in the request cannot be stored.' };
  }
  const status = httpStatusOf(err);
  if (status !== undefined && status < 500) {
    ctx.status = status;
    return { error: status === 413 ? 'payload_too_large' : 'bad_request', message: exposedMessage(err, status) };
  }
  ctx.status = 500;
  return { error: 'internal_error', message: 'An unexpected error occurred.', requestId: ctx.state.requestId as string };
}

/** PostgreSQL (and PGlite) errors of SQLSTATE class 22, "data exception": a NUL byte, a value too long, a bad cast. */
function isDataException(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code) && typeof e.severity === 'string';
}

function isRetry(details: unknown): details is { retryAfter: number } {
  return typeof details === 'object' && details !== null && typeof (details as { retryAfter?: unknown }).retryAfter === 'number';
}

/** Errors from Koa/http-errors carry a status and say whether their message is safe to show. */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 600 ? status : undefined;
}

function exposedMessage(err: unknown, status: number): string {
  const e = err as { expose?: boolean; message?: string };
  if (e.expose && typeof e.message === 'string') return e.message;
  return status === 413 ? 'The request body is too large.' : 'The request could not be processed.';
}
