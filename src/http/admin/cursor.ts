import type { Context } from 'koa';
import { z } from 'zod';
import type { KeysetAnchor, KeysetKey, KeysetPage, KeysetWindow } from '../../platform/db/keyset.js';
import { AppError } from '../../platform/errors.js';

/** Spec 20 §1 Cursor lists: `cursor` or `limit` in the query selects the cursor form of a "list of X". */
export function isCursorQuery(ctx: Context): boolean {
  return ctx.query.cursor !== undefined || ctx.query.limit !== undefined;
}

/** Cursor-list query: cursor, limit (1–100, default 25), sortBy (allow-listed, default `created_at`), sortOrder, plus route filters. */
export function cursorQuery<const S extends readonly [string, ...string[]], F extends z.ZodRawShape>(sorts: S, filters: F) {
  return z.strictObject({
    cursor: z.string().max(4096).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    sortBy: z.enum(sorts).default((sorts.includes('created_at') ? 'created_at' : sorts[0]) as S[number]),
    sortOrder: z.enum(['asc', 'desc']).default('desc'),
    ...filters,
  });
}

interface CursorParams {
  cursor?: string;
  limit: number;
  sortBy: string;
  sortOrder: 'asc' | 'desc';
}

const CursorPayload = z.strictObject({
  s: z.string(),
  o: z.enum(['asc', 'desc']),
  v: z.string().max(1024).nullable(),
  i: z.uuid(),
  d: z.enum(['next', 'prev']),
});

export const invalidCursor = () => new AppError('invalid', 'invalid_cursor', 'The cursor is not valid.');

/** PostgreSQL's text form of a timestamptz, e.g. `2025-01-02 03:04:05.123456+00`. */
const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

/** A real date and time, so a forged cursor cannot make PostgreSQL fail the cast. */
function isTimestampText(value: string): boolean {
  const match = TIMESTAMP_TEXT.exec(value);
  if (!match) return false;
  const local = `${match[1]}T${match[2]}`;
  const at = new Date(`${local}Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().startsWith(local);
}

function encodeCursor(params: CursorParams, key: KeysetKey, direction: KeysetAnchor['direction']): string {
  const payload: z.infer<typeof CursorPayload> = { s: params.sortBy, o: params.sortOrder, v: key.value, i: key.id, d: direction };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * The anchor a cursor names. It must have been made for the same sortBy and sortOrder; values only
 * reach SQL as parameters, so a well-formed forged cursor can at most move within the same list.
 */
function decodeCursor(params: CursorParams): KeysetAnchor {
  const text = params.cursor ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw invalidCursor();
  let payload: z.infer<typeof CursorPayload>;
  try {
    payload = CursorPayload.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor();
  }
  if (payload.s !== params.sortBy || payload.o !== params.sortOrder) throw invalidCursor();
  // Sort columns named `*_at` are timestamptz (STYLE: tables have `*_at timestamptz` columns).
  if (payload.v !== null && (payload.v.includes('\u0000') || (params.sortBy.endsWith('_at') && !isTimestampText(payload.v)))) {
    throw invalidCursor();
  }
  return { value: payload.v, id: payload.i, direction: payload.d };
}

/** The keyset window a cursor query asks for (throws 400 `invalid_cursor` for a bad cursor). */
export function cursorWindow(params: CursorParams): KeysetWindow {
  const anchor = params.cursor === undefined ? undefined : decodeCursor(params);
  return { order: params.sortOrder, limit: params.limit, ...(anchor ? { anchor } : {}) };
}

/**
 * Cursor list body `{ data, nextCursor, previousCursor, hasMore }`; `hasMore` = rows follow this
 * page (a `nextCursor` is given). `previousCursor` is null on the first page. An empty page keeps
 * the request's anchor, so the client can still turn back.
 */
export function sendCursorPage(ctx: Context, page: KeysetPage<unknown>, params: CursorParams, window: KeysetWindow): void {
  const anchor = window.anchor;
  const isBackward = anchor?.direction === 'prev';
  const first = page.first ?? anchor;
  const last = page.last ?? anchor;
  const hasBefore = isBackward ? page.hasMore : anchor !== undefined;
  const hasAfter = isBackward ? anchor !== undefined : page.hasMore;
  const nextCursor = hasAfter && last ? encodeCursor(params, last, 'next') : null;
  ctx.status = 200;
  ctx.body = {
    data: page.data,
    nextCursor,
    previousCursor: hasBefore && first ? encodeCursor(params, first, 'prev') : null,
    hasMore: nextCursor !== null,
  };
}
