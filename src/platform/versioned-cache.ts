import type { Clock } from './clock.js';
import { withTimeout } from './db/queryable.js';
import type { Kv } from './kv/index.js';
import { afterCommit, isInTransaction } from './db/scope.js';
import type { Log } from './log.js';

const MAX_AGE_MS = 60_000;
const CHECK_AFTER_MS = 1_000;
const KV_TIMEOUT_MS = 250;

export interface VersionedCache<T> {
  read(): Promise<T>;
  /** After a local write: drop the cache and bump the shared counter so other processes reload. */
  invalidate(): Promise<void>;
}

interface Entry<T> {
  value: T;
  loadedAt: number;
  checkedAt: number;
  /** The shared counter read before loading; null when it was absent. */
  counter: string | null;
}

/**
 * A per-process copy of something read on hot paths (signing keys, claim names). It is kept 60 s at
 * most, re-checked against a shared counter in the ephemeral store after 1 s, and dropped at once
 * after a local write. An unreachable store keeps the copy: the counter is a hint, the loader the truth.
 */
export function createVersionedCache<T>(deps: { kv: Kv; clock: Clock; log: Log; counterKey: string; name: string; load: () => Promise<T> }): VersionedCache<T> {
  const { kv, clock, log, counterKey, name } = deps;
  let entry: Entry<T> | undefined;
  let inflight: Promise<Entry<T>> | undefined;
  let generation = 0;

  function drop(): void {
    generation++;
    entry = undefined;
    inflight = undefined;
  }

  /** undefined when the store could not answer. */
  async function readCounter(): Promise<string | null | undefined> {
    try {
      return await withTimeout(kv.get(counterKey), KV_TIMEOUT_MS, `${name} version read`);
    } catch (err) {
      log.debug({ err, cache: name }, 'cache.version_check_failed');
      return undefined;
    }
  }

  function load(): Promise<Entry<T>> {
    if (inflight) return inflight;
    const startedIn = generation;
    const loading = (async () => {
      // The counter is read first, so a write landing during the load shows as a newer counter later.
      const counter = (await readCounter()) ?? null;
      const value = await deps.load();
      const now = clock.now();
      const fresh: Entry<T> = { value, loadedAt: now, checkedAt: now, counter };
      if (startedIn === generation) entry = fresh;
      return fresh;
    })().finally(() => {
      if (inflight === loading) inflight = undefined;
    });
    inflight = loading;
    return loading;
  }

  async function current(): Promise<Entry<T>> {
    const cached = entry;
    const now = clock.now();
    if (!cached || now - cached.loadedAt >= MAX_AGE_MS) return load();
    if (now - cached.checkedAt < CHECK_AFTER_MS) return cached;
    const counter = await readCounter();
    if (counter === undefined || counter === cached.counter) {
      cached.checkedAt = now;
      return cached;
    }
    return load();
  }

  return {
    // Inside a transaction the copy could predate its own writes: read through.
    read: async () => (isInTransaction() ? deps.load() : (await current()).value),
    /** Drops the copy now and once the current transaction commits; the counter moves after the commit. */
    async invalidate() {
      drop();
      await afterCommit(async () => {
        drop();
        try {
          await withTimeout(kv.increment(counterKey), KV_TIMEOUT_MS, `${name} version bump`);
        } catch (err) {
          // Other processes then pick the change up when their copy ages out (60 s).
          log.warn({ err, cache: name }, 'cache.version_bump_failed');
        }
      });
    },
  };
}
