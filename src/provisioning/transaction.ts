import type { Clock } from '../platform/clock.js';
import type { Db, Queryable } from '../platform/db/index.js';
import { createMemoryKv, type Kv } from '../platform/kv/index.js';

/**
 * A `Db` whose every query runs on an open transaction, so services built on it take part in it:
 * their own `transaction(fn)` just joins the outer one, and a failure anywhere rolls everything back.
 */
export function transactionBoundDb(tx: Queryable, kind: Db['kind']): Db {
  return {
    kind,
    query: (sql, params) => tx.query(sql, params),
    one: (sql, params) => tx.one(sql, params),
    maybeOne: (sql, params) => tx.maybeOne(sql, params),
    many: (sql, params) => tx.many(sql, params),
    exec: (script) => tx.exec(script),
    transaction: (fn) => fn(tx),
    ping: async () => void (await tx.query('SELECT 1')),
    close: async () => undefined,
  };
}

export interface DeferredKv extends Kv {
  /**
   * Deletes on the real store every key the services invalidated and bumps the version counters they
   * bumped; call once the transaction has committed.
   */
  flush(): Promise<void>;
}

/**
 * The cache store for services inside a transaction. Cache writes stay in a private map that dies with
 * the run, so a row that is later rolled back never reaches a shared cache (Redis) where a running
 * server would read it; reads see only that map, so they fall through to the transaction. Invalidations
 * are remembered and applied to the real store after the transaction, when other readers see the change.
 */
export function createDeferredKv(real: Kv, clock: Clock): DeferredKv {
  const local = createMemoryKv({ clock });
  const invalidated = new Set<string>();
  // A counter without expiry is a change signal to other processes (the config version), not a cache entry.
  const bumped = new Set<string>();
  return {
    ...local,
    async delete(...keys: string[]) {
      for (const key of keys) invalidated.add(key);
      return local.delete(...keys);
    },
    async increment(key: string, ttlSeconds?: number) {
      if (ttlSeconds === undefined) bumped.add(key);
      return local.increment(key, ttlSeconds);
    },
    async close() {
      await local.close();
    },
    async flush() {
      await local.close();
      if (invalidated.size > 0) await real.delete(...invalidated);
      for (const key of bumped) await real.increment(key);
      invalidated.clear();
      bumped.clear();
    },
  };
}

/**
 * Runs `fn` inside a savepoint of the open transaction: a failure undoes only what `fn` wrote (and
 * leaves the transaction usable, which PostgreSQL otherwise refuses after an error), then rethrows.
 */
export async function withSavepoint<T>(tx: Queryable, name: string, fn: () => Promise<T>): Promise<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad savepoint name ${name}`);
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn();
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}

const WRITE = /^\s*(?:insert|update|delete)\b/i;

/**
 * `db` with writes dropped (they report no rows). Provisioning asks the clients service whether a secret
 * value is already active through `verifySecret`, which would otherwise record a use of that secret and
 * mislead whoever checks `last_used_at` before revoking it during a rotation.
 */
export function withoutWrites(db: Db): Db {
  const drop = <T>(sql: string, run: () => Promise<T>, empty: T): Promise<T> => (WRITE.test(sql) ? Promise.resolve(empty) : run());
  return {
    ...db,
    query: (sql, params) => drop(sql, () => db.query(sql, params), { rows: [], rowCount: 0 }),
    many: (sql, params) => drop(sql, () => db.many(sql, params), []),
    maybeOne: (sql, params) => drop(sql, () => db.maybeOne(sql, params), null),
  };
}
