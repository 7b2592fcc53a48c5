import { expect } from 'vitest';
import type { AdminClient } from './admin.js';

interface CursorBody {
  data: Array<{ id: string }>;
  nextCursor: string | null;
  previousCursor: string | null;
  hasMore: boolean;
}

const withCursor = (path: string, cursor: string) => `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;

async function getPage(client: AdminClient, path: string): Promise<CursorBody> {
  const res = await client.get(path);
  expect(res.status, path).toBe(200);
  const body = res.body as CursorBody;
  expect(Object.keys(body).sort()).toEqual(['data', 'hasMore', 'nextCursor', 'previousCursor']);
  expect(body.hasMore).toBe(body.nextCursor !== null);
  return body;
}

/**
 * Follows `nextCursor` from the first page of `path` (which carries `limit`) to the end, then
 * `previousCursor` back to the start; returns the ids seen each way and the number of pages.
 */
export async function walkCursorList(client: AdminClient, path: string): Promise<{ forward: string[]; backward: string[]; pages: number }> {
  let page = await getPage(client, path);
  expect(page.previousCursor).toBeNull();
  const forward = page.data.map((r) => r.id);
  let pages = 1;
  while (page.nextCursor) {
    page = await getPage(client, withCursor(path, page.nextCursor));
    expect(page.previousCursor).not.toBeNull();
    forward.push(...page.data.map((r) => r.id));
    pages += 1;
  }
  const backward = page.data.map((r) => r.id);
  while (page.previousCursor) {
    page = await getPage(client, withCursor(path, page.previousCursor));
    expect(page.nextCursor).not.toBeNull();
    backward.unshift(...page.data.map((r) => r.id));
  }
  return { forward, backward, pages };
}

const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

/**
 * Malformed and tampered cursors, and one made for another sortBy or sortOrder, are 400
 * `invalid_cursor`; a bad `limit` is 400 `validation_failed`. `otherSort` is another allowed sortBy.
 */
export async function expectCursorRefusals(client: AdminClient, path: string, otherSort: string): Promise<void> {
  const first = await getPage(client, `${path}${path.includes('?') ? '&' : '?'}limit=1&sortBy=created_at&sortOrder=desc`);
  expect(first.nextCursor, 'needs two rows').not.toBeNull();
  const good = first.nextCursor!;
  const decoded = JSON.parse(Buffer.from(good, 'base64url').toString('utf8')) as Record<string, unknown>;
  const bad = [
    'not a cursor!',
    'Zm9vYmFy',
    encode({ ...decoded, i: 'not-a-uuid' }),
    encode({ ...decoded, v: '2025-13-45 99:00:00+00' }),
    encode({ ...decoded, v: 'yesterday' }),
    encode({ ...decoded, d: 'sideways' }),
    encode({ ...decoded, extra: 1 }),
    good.slice(0, -4),
  ];
  const q = (extra: string) => `${path}${path.includes('?') ? '&' : '?'}${extra}`;
  for (const cursor of bad) {
    const res = await client.get(q(`sortBy=created_at&sortOrder=desc&cursor=${encodeURIComponent(cursor)}`));
    expect(res.status, cursor).toBe(400);
    expect(res.body.error, cursor).toBe('invalid_cursor');
  }
  for (const other of [`sortBy=${otherSort}&sortOrder=desc`, 'sortBy=created_at&sortOrder=asc']) {
    const res = await client.get(q(`${other}&cursor=${encodeURIComponent(good)}`));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_cursor');
  }
  for (const limit of ['0', '101', 'x']) {
    const res = await client.get(q(`limit=${limit}`));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  }
  expect((await client.get(q(`page=2&cursor=${encodeURIComponent(good)}`))).status).toBe(400);
  const second = await client.get(q(`sortBy=created_at&sortOrder=desc&cursor=${encodeURIComponent(good)}`));
  expect(second.status).toBe(200);
  expect(second.body.data.length).toBeLessThanOrEqual(25);
}
