import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { afterCommit, createEmbeddedDb, createPostgresDb, isInTransaction, prepared, statementKind, timeDb, type Db } from '../../src/platform/db/index.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';

/** One suite, run against every Db backend: both must behave identically. */
function dbContract(makeDb: () => Promise<{ db: Db; dispose(): Promise<void> }>) {
  let db: Db;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ db, dispose } = await makeDb());
    await db.exec(`
      CREATE TABLE items (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        email text,
        n int8 DEFAULT 0,
        price numeric(10,2),
        born date,
        tags text[] DEFAULT '{}',
        meta jsonb,
        blob bytea,
        flag boolean DEFAULT false,
        uid uuid DEFAULT gen_random_uuid(),
        at timestamptz DEFAULT now()
      );
      CREATE UNIQUE INDEX items_lower_email ON items (lower(email));
      CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL);
    `);
  });
  afterAll(async () => {
    await dispose?.();
  });
  beforeEach(async () => {
    await db.exec('TRUNCATE items; TRUNCATE counters;');
  });

  it('answers ping', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('round-trips values with the same JS shapes on every backend', async () => {
    const row = await db.one<Record<string, unknown>>(
      `INSERT INTO items (name, email, n, price, born, tags, meta, blob, flag)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      ['a', 'Ann@Example.com', '9007199254740993', '12.50', '2024-02-29', ['x', 'y'], { k: [1, { z: true }] }, Buffer.from([0, 1, 255]), true],
    );
    expect(row.id).toBe(1);
    expect(row.email).toBe('Ann@Example.com');
    expect(row.n).toBe('9007199254740993');
    expect(row.price).toBe('12.50');
    expect(row.born).toBe('2024-02-29');
    expect(row.tags).toEqual(['x', 'y']);
    expect(row.meta).toEqual({ k: [1, { z: true }] });
    expect(Buffer.isBuffer(row.blob)).toBe(true);
    expect([...(row.blob as Buffer)]).toEqual([0, 1, 255]);
    expect(row.flag).toBe(true);
    expect(row.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.at).toBeInstanceOf(Date);
  });

  it('compares e-mail addresses case-insensitively through lower(), without the citext extension', async () => {
    await db.query('INSERT INTO items (name, email) VALUES ($1, $2)', ['a', 'Ann@Example.com']);
    const found = await db.maybeOne('SELECT name, email FROM items WHERE lower(email) = lower($1)', ['ann@example.COM']);
    expect(found).toEqual({ name: 'a', email: 'Ann@Example.com' });
    await expect(db.query('INSERT INTO items (name, email) VALUES ($1, $2)', ['b', 'ANN@example.com'])).rejects.toMatchObject({
      code: '23505',
      constraint: 'items_lower_email',
    });
  });

  it('passes Date parameters as instants', async () => {
    const at = new Date('2026-03-01T12:34:56.789Z');
    const row = await db.one<{ at: Date }>('INSERT INTO items (name, at) VALUES ($1, $2) RETURNING at', ['d', at]);
    expect(row.at.toISOString()).toBe(at.toISOString());
  });

  it('reports rowCount for writes and reads', async () => {
    await db.query("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')");
    expect((await db.query("UPDATE items SET flag = true WHERE name <> 'a'")).rowCount).toBe(2);
    expect((await db.query('SELECT * FROM items')).rowCount).toBe(3);
    expect((await db.query("DELETE FROM items WHERE name = 'zzz'")).rowCount).toBe(0);
  });

  it('one / maybeOne / many enforce their cardinality', async () => {
    await db.query("INSERT INTO items (name) VALUES ('a'), ('b')");
    await expect(db.one('SELECT * FROM items')).rejects.toThrow(/exactly one/);
    await expect(db.one("SELECT * FROM items WHERE name = 'none'")).rejects.toThrow(/exactly one/);
    await expect(db.maybeOne('SELECT * FROM items')).rejects.toThrow(/at most one/);
    expect(await db.maybeOne("SELECT * FROM items WHERE name = 'none'")).toBeNull();
    expect(await db.many("SELECT name FROM items ORDER BY name")).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(await db.many("SELECT name FROM items WHERE false")).toEqual([]);
  });

  it('never interpolates parameters', async () => {
    const hostile = "x'); DROP TABLE items; --";
    await db.query('INSERT INTO items (name) VALUES ($1)', [hostile]);
    expect(await db.one('SELECT name FROM items')).toEqual({ name: hostile });
  });

  it('surfaces constraint violations with the PostgreSQL error code', async () => {
    await db.query("INSERT INTO items (name) VALUES ('dup')");
    await expect(db.query("INSERT INTO items (name) VALUES ('dup')")).rejects.toMatchObject({ code: '23505' });
  });

  it('commits a transaction and returns its result', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query("INSERT INTO items (name) VALUES ('t1')");
      await tx.query("INSERT INTO items (name) VALUES ('t2')");
      return (await tx.one<{ c: string }>('SELECT count(*)::int8 AS c FROM items')).c;
    });
    expect(result).toBe('2');
    expect(await db.many('SELECT name FROM items ORDER BY name')).toEqual([{ name: 't1' }, { name: 't2' }]);
  });

  it('rolls a transaction back when its function throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO items (name) VALUES ('gone')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.many('SELECT * FROM items')).toEqual([]);
  });

  it('rolls back after a failed statement inside a transaction', async () => {
    await db.query("INSERT INTO items (name) VALUES ('dup')");
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO items (name) VALUES ('new')");
        await tx.query("INSERT INTO items (name) VALUES ('dup')");
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.many('SELECT name FROM items')).toEqual([{ name: 'dup' }]);
    // The backend is still usable afterwards.
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('runs multi-statement scripts with exec, also inside a transaction', async () => {
    await db.exec("INSERT INTO items (name) VALUES ('s1'); INSERT INTO items (name) VALUES ('s2');");
    await db.transaction((tx) => tx.exec("UPDATE items SET flag = true; INSERT INTO items (name) VALUES ('s3');"));
    expect(await db.many('SELECT name, flag FROM items ORDER BY name')).toEqual([
      { name: 's1', flag: true },
      { name: 's2', flag: true },
      { name: 's3', flag: false },
    ]);
  });

  it('runs queries made through the Db inside a transaction on that transaction', async () => {
    await expect(
      db.transaction(async () => {
        await db.query("INSERT INTO items (name) VALUES ('ambient')");
        expect(isInTransaction()).toBe(true);
        expect(await db.many('SELECT name FROM items')).toEqual([{ name: 'ambient' }]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(isInTransaction()).toBe(false);
    expect(await db.many('SELECT * FROM items')).toEqual([]);
  });

  it('makes a nested transaction a savepoint: its failure undoes only its own writes', async () => {
    await db.transaction(async () => {
      await db.query("INSERT INTO items (name) VALUES ('outer')");
      await expect(
        db.transaction(async () => {
          await db.query("INSERT INTO items (name) VALUES ('inner')");
          await db.query("INSERT INTO items (name) VALUES ('outer')");
        }),
      ).rejects.toMatchObject({ code: '23505' });
      await db.transaction(() => db.query("INSERT INTO items (name) VALUES ('kept')"));
    });
    expect(await db.many('SELECT name FROM items ORDER BY name')).toEqual([{ name: 'kept' }, { name: 'outer' }]);
  });

  it('runs after-commit work once the outermost transaction commits, and drops it on rollback', async () => {
    const ran: string[] = [];
    await db.transaction(async () => {
      await afterCommit(() => ran.push('outer'));
      await db.transaction(async () => {
        await afterCommit(() => ran.push('inner'));
      });
      await db.transaction(async () => {
        await afterCommit(() => ran.push('rolled-back savepoint'));
        throw new Error('no');
      }).catch(() => undefined);
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['outer', 'inner']);
    await db.transaction(async () => {
      await afterCommit(() => ran.push('never'));
      throw new Error('rollback');
    }).catch(() => undefined);
    await afterCommit(() => ran.push('no transaction: at once'));
    expect(ran).toEqual(['outer', 'inner', 'no transaction: at once']);
  });

  it('keeps concurrent transactions in their own scopes', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction(async () => {
          await db.query('INSERT INTO items (name) VALUES ($1)', [`c${i}`]);
          const seen = await db.many<{ name: string }>('SELECT name FROM items WHERE name = $1', [`c${i}`]);
          expect(seen).toEqual([{ name: `c${i}` }]);
          if (i % 2 === 1) throw new Error('odd');
        }).catch(() => undefined),
      ),
    );
    expect((await db.many<{ name: string }>('SELECT name FROM items ORDER BY name')).map((r) => r.name)).toEqual(['c0', 'c2', 'c4']);
  });

  it('keeps concurrent transactions isolated and loses no update', async () => {
    await db.query('INSERT INTO counters (id, value) VALUES (1, 0)');
    await Promise.all(
      Array.from({ length: 25 }, () =>
        db.transaction(async (tx) => {
          const { value } = await tx.one<{ value: number }>('SELECT value FROM counters WHERE id = 1 FOR UPDATE');
          await tx.query('UPDATE counters SET value = $1 WHERE id = 1', [value + 1]);
        }),
      ),
    );
    expect(await db.one('SELECT value FROM counters WHERE id = 1')).toEqual({ value: 25 });
  });

  it('serves plain queries while transactions run', async () => {
    const work = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? db.transaction((tx) => tx.query('INSERT INTO items (name) VALUES ($1)', [`tx${i}`]))
        : db.query('INSERT INTO items (name) VALUES ($1)', [`q${i}`]),
    );
    await Promise.all(work);
    expect((await db.many('SELECT name FROM items')).length).toBe(10);
  });

  it('runs statements marked prepared the same, in and out of transactions, and after the table changed under them', async () => {
    const byName = prepared('contract_items_by_name', 'SELECT name, n FROM items WHERE name = $1');
    const insert = prepared('contract_items_insert', 'INSERT INTO items (name, n) VALUES ($1, $2)');
    // One text, one name: redefining a name with another text is a programming error.
    expect(prepared('contract_items_by_name', 'SELECT name, n FROM items WHERE name = $1')).toBe(byName);
    expect(() => prepared('contract_items_by_name', 'SELECT 1')).toThrow(/another text/);
    await db.query(insert, ['a', 1]);
    await db.transaction(async (tx) => {
      await tx.query(insert, ['b', 2]);
      expect(await tx.one(byName, ['b'])).toEqual({ name: 'b', n: '2' });
    });
    for (let i = 0; i < 12; i++) expect(await db.one(byName, ['a'])).toEqual({ name: 'a', n: '1' });
    // A migration while serving: the plan each connection holds no longer fits the result's columns.
    await db.exec('ALTER TABLE items ALTER COLUMN n TYPE text');
    for (let i = 0; i < 12; i++) expect(await db.one(byName, ['a'])).toEqual({ name: 'a', n: '1' });
    await db.exec('ALTER TABLE items ALTER COLUMN n TYPE int8 USING n::int8');
    expect(await db.one(byName, ['a'])).toEqual({ name: 'a', n: '1' });
  });

  it('does not show uncommitted rows outside the transaction', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.query("INSERT INTO items (name) VALUES ('pending')");
      await gate;
    });
    // On PostgreSQL the outside read runs on another connection and cannot see the row; on the
    // embedded engine it waits for the transaction to end. Either way it never sees uncommitted data.
    const outside = db.many("SELECT name FROM items WHERE name = 'pending'");
    const first = await Promise.race([outside, new Promise((r) => setTimeout(() => r('waiting'), 200))]);
    if (first !== 'waiting') expect(first).toEqual([]);
    release();
    await tx;
    await outside;
    expect(await db.many("SELECT name FROM items WHERE name = 'pending'")).toEqual([{ name: 'pending' }]);
  });
}

describe('Db contract: embedded (PGlite)', () => {
  dbContract(async () => {
    const db = await createEmbeddedDb({ dataDir: 'memory://' });
    return { db, dispose: () => db.close() };
  });
});

// METRICS_ENABLED puts a timing layer in front of the database: it must pass the same contract.
describe('Db contract: embedded (PGlite), timed', () => {
  dbContract(async () => {
    const db = await createEmbeddedDb({ dataDir: 'memory://' });
    return { db: timeDb(db, () => undefined), dispose: () => db.close() };
  });
});

describe('timed Db', () => {
  let db: Db;
  let seen: string[];
  beforeAll(async () => {
    db = await createEmbeddedDb({ dataDir: 'memory://' });
  });
  afterAll(() => db.close());
  beforeEach(() => {
    seen = [];
  });
  const timed = () => timeDb(db, (operation, seconds, isError) => {
    expect(seconds).toBeGreaterThanOrEqual(0);
    seen.push(isError ? `${operation} failed` : operation);
  });

  it('reports each statement by its first word, never its text', () => {
    expect(['SELECT 1', '  insert into t', 'UPDATE t', 'delete from t', 'WITH x AS (SELECT 1) SELECT 1', 'CREATE TABLE t ()', '-- hi\nSELECT 1', ''].map(statementKind))
      .toEqual(['select', 'insert', 'update', 'delete', 'with', 'other', 'other', 'other']);
  });

  it('times statements inside a transaction, the transaction, and failures; a row-count mismatch is not a database error', async () => {
    const t = timed();
    await t.exec('CREATE TABLE timed_items (n int)');
    await t.transaction(async (tx) => {
      await tx.query('INSERT INTO timed_items VALUES (1), (2)');
      await t.many('SELECT n FROM timed_items');
    });
    await expect(t.one('SELECT n FROM timed_items')).rejects.toThrow(/exactly one row/);
    await expect(t.query('SELECT nope FROM timed_items')).rejects.toThrow();
    expect(seen).toEqual(['script', 'insert', 'select', 'transaction', 'select', 'select failed']);
  });
});

describeWithPostgres('Db contract: PostgreSQL', () => {
  let testDb: TestDatabase;
  dbContract(async () => {
    testDb = await createTestDatabase();
    const db = createPostgresDb({ url: testDb.url });
    return {
      db,
      async dispose() {
        await db.close();
        await testDb.drop();
      },
    };
  });
});
