import type { Kv } from './kv/index.js';
import type { Log } from './log.js';
import { withTimeout } from './db/queryable.js';
import { afterCommit, isInTransaction } from './db/scope.js';

/**
 * Cached reads are best effort: a slow or failing store is a miss, PostgreSQL holds the truth. Inside a
 * transaction the cache is neither read nor filled (a rolled-back row must never reach it), and an
 * invalidation is repeated once the transaction commits, so no reader caches the old row in between.
 */
export interface JsonCache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /** Returns the cached value or loads, caches and returns it; null results are not cached. */
  getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T | null>): Promise<T | null>;
}

const TIMEOUT_MS = 250;

export function createJsonCache(kv: Kv, log: Log): JsonCache {
  const cache: JsonCache = {
    async get<T>(key: string) {
      if (isInTransaction()) return undefined;
      try {
        const raw = await withTimeout(kv.get(key), TIMEOUT_MS, 'cache read');
        return raw === null ? undefined : (JSON.parse(raw) as T);
      } catch (err) {
        log.debug({ err, key }, 'cache.read_failed');
        return undefined;
      }
    },
    async set(key, value, ttlSeconds) {
      if (isInTransaction()) return;
      try {
        await withTimeout(kv.set(key, JSON.stringify(value), { ttlSeconds }), TIMEOUT_MS, 'cache write');
      } catch (err) {
        log.debug({ err, key }, 'cache.write_failed');
      }
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      const invalidate = async () => {
        try {
          await withTimeout(kv.delete(...keys), TIMEOUT_MS, 'cache delete');
        } catch (err) {
          // A stale entry lives at most its TTL (5 min); say so loudly.
          log.warn({ err, keys }, 'cache.invalidate_failed');
        }
      };
      if (isInTransaction()) await invalidate();
      await afterCommit(invalidate);
    },
    async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T | null>) {
      const hit = await cache.get<T>(key);
      if (hit !== undefined) return hit;
      const value = await load();
      if (value !== null) await cache.set(key, value, ttlSeconds);
      return value;
    },
  };
  return cache;
}
