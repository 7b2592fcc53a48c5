import { AsyncLocalStorage } from 'node:async_hooks';
import type { Queryable } from './types.js';

/**
 * The open transaction of the current async call chain. A use case wraps its writes in
 * `db.transaction(fn)`; every query made through that `Db` inside `fn` (by any repo, however deep)
 * runs on the transaction's connection, so the change, its cascades and its audit entry commit or
 * roll back together without threading a handle through every call.
 */
interface Scope {
  /** The `Db` that opened it: queries on another `Db` never join. */
  owner: object;
  tx: Queryable;
  /** Work to run once the outermost transaction has committed (cache invalidation, store cascades). */
  afterCommit: Array<() => unknown>;
  isDone: boolean;
  savepoints: number;
}

const storage = new AsyncLocalStorage<Scope>();

/** The open transaction `owner` started in this call chain, if any. */
export function activeTransaction(owner: object): Queryable | undefined {
  const scope = storage.getStore();
  return scope && !scope.isDone && scope.owner === owner ? scope.tx : undefined;
}

/** True inside any open transaction (caches then neither read nor fill, see platform/cache). */
export function isInTransaction(): boolean {
  const scope = storage.getStore();
  return scope !== undefined && !scope.isDone;
}

/**
 * Runs `fn` once the current transaction commits, or now when none is open. Dropped when the
 * transaction (or the savepoint it was registered in) rolls back. `fn` reports its own failures.
 */
export function afterCommit(fn: () => unknown): Promise<void> {
  const scope = storage.getStore();
  if (scope && !scope.isDone) {
    scope.afterCommit.push(fn);
    return Promise.resolve();
  }
  return Promise.resolve().then(fn).then(() => undefined);
}

type Warn = { warn(obj: object, msg: string): void } | undefined;

/**
 * The backend-independent half of `Db.transaction`: joins an open transaction of the same `Db` as a
 * savepoint, otherwise opens one with `begin` and runs the after-commit work once it has committed.
 */
export async function runTransaction<T>(
  owner: object,
  begin: <R>(body: (tx: Queryable) => Promise<R>) => Promise<R>,
  fn: (tx: Queryable) => Promise<T>,
  log: Warn,
): Promise<T> {
  const outer = storage.getStore();
  if (outer && !outer.isDone && outer.owner === owner) return savepoint(outer, fn);
  const scope: Scope = { owner, tx: undefined as unknown as Queryable, afterCommit: [], isDone: false, savepoints: 0 };
  let result: T;
  try {
    result = await begin((tx) => {
      scope.tx = tx;
      return storage.run(scope, () => fn(tx));
    });
  } finally {
    scope.isDone = true;
  }
  await runAfterCommit(scope.afterCommit, log);
  return result;
}

async function savepoint<T>(outer: Scope, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const name = `porta_sp_${++outer.savepoints}`;
  const queued = outer.afterCommit.length;
  await outer.tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(outer.tx);
    await outer.tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await outer.tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    outer.afterCommit.length = queued;
    throw err;
  }
}

async function runAfterCommit(work: ReadonlyArray<() => unknown>, log: Warn): Promise<void> {
  for (const fn of work) {
    try {
      await fn();
    } catch (err) {
      // The change is committed; what follows it is best effort and must say so when it fails.
      log?.warn({ err }, 'db.after_commit_failed');
    }
  }
}
