import fs from 'node:fs';
import { PGlite, types as pgliteTypes, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './types.js';
import { queryable, withTimeout } from './queryable.js';
import { activeTransaction, runTransaction } from './scope.js';

export interface EmbeddedDbOptions {
  /** Directory of the database files; `memory://` for a throwaway in-memory database. */
  dataDir: string;
  log?: { warn(obj: object, msg: string): void };
  /** A few statements, then exit: a small buffer pool, as PGlite spends about 0.4 s clearing the default 128 MB at start. */
  isShortLived?: boolean;
}

/** Same value shapes as the `pg` backend: int8 and numeric as strings, dates as 'YYYY-MM-DD'. */
const parsers = {
  [pgliteTypes.INT8]: (v: string) => v,
  [pgliteTypes.NUMERIC]: (v: string) => v,
  [pgliteTypes.DATE]: (v: string) => v,
};

type Runner = Pick<PGlite, 'query' | 'exec'> | Transaction;

function runOn(target: Runner) {
  return async <T>(sql: string, params: readonly unknown[]): Promise<QueryResult<T>> => {
    const r = await target.query<T>(sql, params as unknown[]);
    const rows = r.rows.map(normaliseRow) as T[];
    // PGlite reports affectedRows 0 for SELECT; pg counts returned rows then.
    return { rows, rowCount: r.fields.length > 0 ? rows.length : (r.affectedRows ?? 0) };
  };
}

/** PGlite returns bytea as Uint8Array; pg returns Buffer. */
function normaliseRow(row: unknown): unknown {
  if (!row || typeof row !== 'object') return row;
  const out = row as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) out[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return out;
}

export async function createEmbeddedDb(options: EmbeddedDbOptions): Promise<Db> {
  if (!options.dataDir.startsWith('memory://')) fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const startParams = options.isShortLived ? [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] : undefined;
  // No extension: the migrations use only core PostgreSQL (gen_random_uuid, lower(email) indexes).
  const pglite = await PGlite.create(options.dataDir, { parsers, ...(startParams ? { startParams } : {}) });
  const base = queryable(runOn(pglite), async (script) => void (await pglite.exec(script)));
  let isClosed = false;
  const owner = {};
  const on = () => activeTransaction(owner) ?? base;
  // PGlite has one connection: its transaction holds a lock that queues every other query until it ends.
  const begin = <T>(fn: (tx: Queryable) => Promise<T>) =>
    pglite.transaction((tx) => fn(queryable(runOn(tx), async (script) => void (await tx.exec(script)))));
  return {
    query: (sql, params) => on().query(sql, params),
    one: (sql, params) => on().one(sql, params),
    maybeOne: (sql, params) => on().maybeOne(sql, params),
    many: (sql, params) => on().many(sql, params),
    exec: (script) => on().exec(script),
    kind: 'embedded',
    transaction: (fn) => runTransaction(owner, begin, fn, options.log),
    async ping() {
      await withTimeout(pglite.query('SELECT 1'), 2000, 'database ping');
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await pglite.close();
    },
  };
}
