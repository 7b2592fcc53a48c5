import pg from 'pg';
import type { Db, Queryable, QueryResult } from './types.js';
import { queryable, withTimeout } from './queryable.js';
import { activeTransaction, runTransaction } from './scope.js';
import { preparedName } from './prepared.js';

export interface PostgresDbOptions {
  url: string;
  poolSize?: number;
  log?: { warn(obj: object, msg: string): void };
}

const DATE_OID = 1082;

/** Dates stay 'YYYY-MM-DD' strings (pg would shift them into local-time Date objects). */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === DATE_OID ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** PostgreSQL refuses a prepared plan whose result columns changed under it (a migration while serving). */
const isStalePlan = (err: unknown) => (err as { code?: unknown } | null)?.code === '0A000';

/**
 * Runs a statement marked `prepared` by its name on a pooled connection. A connection holding a stale plan
 * is closed rather than returned (its replacement prepares afresh) and the statement runs once more as text.
 */
async function runOnPool(pool: pg.Pool, sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
  const name = preparedName(sql);
  if (name === undefined) return pool.query(sql, params as unknown[]);
  const client = await pool.connect();
  let isStale = false;
  try {
    return await client.query({ name, text: sql, values: params as unknown[] });
  } catch (err) {
    if (!isStalePlan(err)) throw err;
    isStale = true;
  } finally {
    client.release(isStale);
  }
  return pool.query(sql, params as unknown[]);
}

export function createPostgresDb(options: PostgresDbOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', (err) => options.log?.warn({ err }, 'db.idle_client_error'));

  const run = async <T>(sql: string, params: readonly unknown[]): Promise<QueryResult<T>> => {
    const r = await runOnPool(pool, sql, params);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  };
  const base = queryable(run, async (script) => {
    await pool.query(script);
  });
  let isClosed = false;
  const owner = {};
  const on = () => activeTransaction(owner) ?? base;

  /** One transaction on one pooled connection; commits on return, rolls back on throw. */
  async function begin<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let isBroken = false;
    const runTx = async <R>(sql: string, params: readonly unknown[]): Promise<QueryResult<R>> => {
      const name = preparedName(sql);
      try {
        const r = name === undefined ? await client.query(sql, params as unknown[]) : await client.query({ name, text: sql, values: params as unknown[] });
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      } catch (err) {
        // The transaction fails either way; the connection must not go back to the pool with the stale plan.
        if (isStalePlan(err)) isBroken = true;
        throw err;
      }
    };
    try {
      await client.query('BEGIN');
      const result = await fn(queryable(runTx, async (script) => void (await client.query(script))));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        isBroken = true;
      }
      throw err;
    } finally {
      client.release(isBroken);
    }
  }

  return {
    query: (sql, params) => on().query(sql, params),
    one: (sql, params) => on().one(sql, params),
    maybeOne: (sql, params) => on().maybeOne(sql, params),
    many: (sql, params) => on().many(sql, params),
    exec: (script) => on().exec(script),
    kind: 'postgres',
    transaction: (fn) => runTransaction(owner, begin, fn, options.log),
    async ping() {
      await withTimeout(pool.query('SELECT 1'), 2000, 'database ping');
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await pool.end();
    },
  };
}
