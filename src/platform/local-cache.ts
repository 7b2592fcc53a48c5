import type { Clock } from './clock.js';
import { withTimeout } from './db/queryable.js';
import { afterCommit, isInTransaction } from './db/scope.js';
import type { Kv } from './kv/index.js';
import type { Log } from './log.js';

const CHECK_AFTER_MS = 1_000;
const KV_TIMEOUT_MS = 250;

export interface LocalCacheOptions {
  kv: Kv;
  clock: Clock;
  log: Log;
  /** The shared counter standing for every entry: a write anywhere bumps it. */
  counterKey: string;
  /** For log lines. */
  name: string;
  /** Entries kept at most; the oldest go first (default 25 000). */
  maxEntries?: number;
  /** An entry is reloaded after this long whatever the counter says (default 60 s). */
  maxAgeMs?: number;
}

export interface LocalCache<V> {
  /** The cached value, or `load()`'s (not kept when null). Inside a transaction: always `load()`, nothing kept. */
  get(key: string, load: () => Promise<V | null>): Promise<V | null>;
  /** After a local write: drop every entry now and once the transaction commits, then bump the shared counter. */
  invalidate(): Promise<void>;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
}

/**
 * A per-process copy of rows read on every request (clients, applications), in front of their shared
 * cache. One counter in the ephemeral store versions all entries: each process re-reads it at most once
 * a second and drops everything when it moved, so a write is seen everywhere within about a second and
 * at once in the writing process. Writes are rare next to reads, so dropping all entries costs little.
 * An unreadable counter keeps the entries until they age out (`maxAgeMs`): the loader is the truth.
 */
export function createLocalCache<V>(options: LocalCacheOptions): LocalCache<V> {
  const { kv, clock, log, counterKey, name } = options;
  const maxEntries = options.maxEntries ?? 25_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const entries = new Map<string, Entry<V>>();
  const loading = new Map<string, Promise<V | null>>();
  let generation = 0;
  /** The counter the entries belong to; undefined until first read. */
  let counter: string | null | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let checking: Promise<void> | undefined;

  function drop(): void {
    generation++;
    entries.clear();
    loading.clear();
  }

  async function readCounter(): Promise<string | null | undefined> {
    try {
      return await withTimeout(kv.get(counterKey), KV_TIMEOUT_MS, `${name} version read`);
    } catch (err) {
      log.debug({ err, cache: name }, 'cache.version_check_failed');
      return undefined;
    }
  }

  /** At most one read of the counter per second, shared by every caller waiting on it. */
  function check(): Promise<void> | undefined {
    if (clock.now() - checkedAt < CHECK_AFTER_MS) return undefined;
    checking ??= (async () => {
      const startedIn = generation;
      const seen = await readCounter();
      checkedAt = clock.now();
      if (seen === undefined) return;
      if (seen !== counter && startedIn === generation) drop();
      counter = seen;
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  }

  function load(key: string, loader: () => Promise<V | null>): Promise<V | null> {
    const pending = loading.get(key);
    if (pending) return pending;
    const startedIn = generation;
    const promise = loader().then((value) => {
      // A write during the load may have made this value stale: keep it only if nothing was dropped.
      if (value !== null && startedIn === generation) {
        entries.set(key, { value, loadedAt: clock.now() });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      }
      return value;
    }).finally(() => {
      if (loading.get(key) === promise) loading.delete(key);
    });
    loading.set(key, promise);
    return promise;
  }

  return {
    async get(key, loader) {
      if (isInTransaction()) return loader();
      const checked = check();
      if (checked) await checked;
      const entry = entries.get(key);
      if (entry && clock.now() - entry.loadedAt < maxAgeMs) return entry.value;
      if (entry) entries.delete(key);
      return load(key, loader);
    },

    async invalidate() {
      drop();
      await afterCommit(async () => {
        drop();
        try {
          // This process's next check sees the new counter too and drops once more: a write by another
          // process just before this one is never taken for this process's own.
          await withTimeout(kv.increment(counterKey), KV_TIMEOUT_MS, `${name} version bump`);
        } catch (err) {
          // Other processes then pick the change up when their entries age out.
          log.warn({ err, cache: name }, 'cache.version_bump_failed');
        }
      });
    },
  };
}
