import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase } from '../support/databases.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import type { KeysetPage, KeysetWindow } from '../../src/platform/db/keyset.js';
import { createUserRepo } from '../../src/users/repo.js';
import { createOrganizationRepo } from '../../src/organizations/repo.js';
import type { UserSortBy } from '../../src/users/index.js';

type Fetch = (window: KeysetWindow) => Promise<KeysetPage<{ id: string }>>;

/** Walks forwards to the end, then backwards from the last page to the start; both must list `expected`. */
async function walk(fetch: Fetch, order: 'asc' | 'desc', limit: number, expected: string[]): Promise<void> {
  const forward: string[] = [];
  let page = await fetch({ order, limit });
  forward.push(...page.data.map((r) => r.id));
  const pages = [page];
  while (page.hasMore) {
    page = await fetch({ order, limit, anchor: { ...page.last!, direction: 'next' } });
    forward.push(...page.data.map((r) => r.id));
    pages.push(page);
  }
  expect(forward).toEqual(expected);

  const backward = [...page.data.map((r) => r.id)];
  let first = page.first;
  let hasBefore = pages.length > 1;
  while (hasBefore && first) {
    const prev = await fetch({ order, limit, anchor: { ...first, direction: 'prev' } });
    expect(prev.data.length).toBeLessThanOrEqual(limit);
    backward.unshift(...prev.data.map((r) => r.id));
    first = prev.first;
    hasBefore = prev.hasMore;
  }
  expect(backward).toEqual(expected);
}

onEachDatabase('keyset lists', (open) => {
  let db: Db;
  let dispose: () => Promise<void>;
  let orgId: string;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    orgId = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Keyset', 'keyset') RETURNING id")).id;
    // One statement: every created_at is the same instant, so ties fall back to id.
    await db.query(
      `INSERT INTO users (organization_id, email, given_name, family_name, last_login_at, status)
       SELECT $1, 'u' || n || '@example.com',
              (ARRAY['Ann', 'Ann', 'Ann', NULL, NULL, 'Bob', 'Bob', 'Cy', NULL, 'ann'])[n],
              NULL,
              (ARRAY['2025-01-01 10:00:00.123456+00', '2025-01-01 10:00:00.123456+00', NULL, '2025-01-01 10:00:00.123457+00',
                     NULL, '2024-06-01 00:00:00+00', '2025-01-01 10:00:00.123456+00', NULL, '2023-01-01 00:00:00+00', NULL])[n]::timestamptz,
              CASE WHEN n % 3 = 0 THEN 'suspended' ELSE 'active' END
       FROM generate_series(1, 10) AS n`,
      [orgId],
    );
  });
  afterAll(async () => {
    await dispose?.();
  });

  const sorts: UserSortBy[] = ['given_name', 'family_name', 'last_login_at', 'created_at', 'email'];

  it('walks users forwards and backwards in the offset order, with ties and NULLs, for every sort, order and page size', async () => {
    const users = createUserRepo(db);
    for (const sortBy of sorts) {
      for (const order of ['asc', 'desc'] as const) {
        const all = await users.list(orgId, { sortBy, sortOrder: order, page: 1, pageSize: 100 });
        expect(all.total).toBe(10);
        for (const limit of [1, 3, 4, 10]) {
          await walk((w) => users.listKeyset(orgId, { sortBy }, w), order, limit, all.rows.map((u) => u.id));
        }
      }
    }
  });

  it('applies filters the same way as the offset list', async () => {
    const users = createUserRepo(db);
    const filter = { status: 'active' as const, search: 'ann' };
    const all = await users.list(orgId, { ...filter, sortBy: 'last_login_at', sortOrder: 'desc', page: 1, pageSize: 100 });
    expect(all.total).toBeGreaterThan(1);
    await walk((w) => users.listKeyset(orgId, { ...filter, sortBy: 'last_login_at' }, w), 'desc', 1, all.rows.map((u) => u.id));
  });

  it('walks organizations by name with equal names', async () => {
    await db.query("INSERT INTO organizations (name, slug) SELECT 'Same', 'same-' || n FROM generate_series(1, 5) AS n");
    const orgs = createOrganizationRepo(db);
    for (const order of ['asc', 'desc'] as const) {
      const all = await orgs.list({ sort: 'name', order, limit: 100, offset: 0 });
      await walk((w) => orgs.listKeyset({ sort: 'name' }, w), order, 2, all.rows.map((o) => o.id));
    }
  });
});
