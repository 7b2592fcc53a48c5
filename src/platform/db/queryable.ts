import type { Queryable, QueryResult } from './types.js';

type RunQuery = <T>(sql: string, params: readonly unknown[]) => Promise<QueryResult<T>>;

/** Builds one / maybeOne / many on top of a backend's raw query function. */
export function queryable(run: RunQuery, exec: (script: string) => Promise<void>): Queryable {
  return {
    query: <T>(sql: string, params: readonly unknown[] = []) => run<T>(sql, params),
    async one<T>(sql: string, params: readonly unknown[] = []) {
      const { rows } = await run<T>(sql, params);
      if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
      return rows[0] as T;
    },
    async maybeOne<T>(sql: string, params: readonly unknown[] = []) {
      const { rows } = await run<T>(sql, params);
      if (rows.length > 1) throw new Error(`expected at most one row, got ${rows.length}`);
      return (rows[0] as T | undefined) ?? null;
    },
    async many<T>(sql: string, params: readonly unknown[] = []) {
      return (await run<T>(sql, params)).rows;
    },
    exec,
  };
}

/** Rejects after `ms` unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
