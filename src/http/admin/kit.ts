import { createHash } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { parseInput } from '../../platform/validation.js';
import { jsonBody } from '../../pages/index.js';
import { authorize, type Actor, type AdminPermission } from '../../actors/index.js';

/** The authenticated caller of an admin route, as every domain use case takes it. */
export function actorOf(ctx: Context): Actor {
  const actor = ctx.state.actor as Actor | undefined;
  if (!actor) throw new AppError('unauthorized', 'unauthorized', 'Authentication is required.');
  return actor;
}

/** Read-route guard: every listed permission is required (spec 20 §2 check 6). Writes authorize in the domain. */
export function requirePermission(...required: AdminPermission[]): Middleware {
  return async function permission(ctx: Context, next: Next) {
    authorize(actorOf(ctx), ...required);
    await next();
  };
}

export const ListParams = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
};

/** Offset-list query: page, pageSize, sortBy (allow-listed, default `created_at`), sortOrder, plus route filters. */
export function listQuery<const S extends readonly [string, ...string[]], F extends z.ZodRawShape>(sorts: S, filters: F) {
  return z.strictObject({
    ...ListParams,
    sortBy: z.enum(sorts).default((sorts.includes('created_at') ? 'created_at' : sorts[0]) as S[number]),
    ...filters,
  });
}

/** Parses the query string (last value wins for repeated keys). */
export function query<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? (value.at(-1) ?? '') : value;
  }
  return parseInput(schema, flat);
}

/** Parses the JSON body with a route schema; failures are 400 `validation_failed` with details. */
export async function body<S extends z.ZodType>(ctx: Context, schema: S): Promise<z.output<S>> {
  return parseInput(schema, await jsonBody(ctx));
}

/** `200 X` = `{ "data": X }`; a warning goes beside `data` (spec 20 §1 Bodies). */
export function sendData(ctx: Context, data: unknown, options: { status?: number; warning?: string } = {}): void {
  ctx.status = options.status ?? 200;
  ctx.body = options.warning === undefined ? { data } : { data, warning: options.warning };
}

export function sendNoContent(ctx: Context): void {
  ctx.status = 204;
  ctx.body = null;
}

/** Offset list body: `{ data, total, page, pageSize, totalPages }`. */
export function sendPage(ctx: Context, page: { data: unknown[]; total: number }, params: { page: number; pageSize: number }): void {
  ctx.status = 200;
  ctx.body = {
    data: page.data,
    total: page.total,
    page: params.page,
    pageSize: params.pageSize,
    totalPages: Math.ceil(page.total / params.pageSize),
  };
}

/** Domain objects carry `updatedAt` as an ISO string, some as a Date. */
export interface Versioned {
  id: string;
  updatedAt: Date | string;
}

/** Weak ETag from type, id and updatedAt (spec 20 §1 Concurrency). */
export function etagOf(type: string, entity: Versioned): string {
  const updatedAt = new Date(entity.updatedAt).toISOString();
  const hash = createHash('sha256').update(`${type}:${entity.id}:${updatedAt}`).digest('base64url');
  return `W/"${hash.slice(0, 27)}"`;
}

export function sendEntity(ctx: Context, type: string, entity: Versioned, status = 200): void {
  ctx.set('ETag', etagOf(type, entity));
  sendData(ctx, entity, { status });
}

/**
 * Optional `If-Match` (`*` or a list of tags; weak and strong compare equal): a mismatch is
 * 412 `precondition_failed` with the current entity and tag.
 */
export function checkIfMatch(ctx: Context, type: string, current: Versioned): void {
  const header = ctx.get('If-Match').trim();
  if (header === '' || header === '*') return;
  const currentTag = etagOf(type, current);
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  const matches = header.split(',').some((tag) => bare(tag) === bare(currentTag));
  if (!matches) {
    throw new AppError('precondition_failed', 'precondition_failed', 'The object changed since you read it.', {
      currentEntity: current,
      currentETag: currentTag,
    });
  }
}

/** A path parameter that must be a UUID; anything else is simply not found. */
export function uuidParam(ctx: Context, name: string): string {
  const value = (ctx.params as Record<string, string | undefined>)[name] ?? '';
  if (!isUuid(value)) {
    throw new AppError('not_found', 'not_found', 'Not found.');
  }
  return value;
}

export function param(ctx: Context, name: string): string {
  return (ctx.params as Record<string, string | undefined>)[name] ?? '';
}
