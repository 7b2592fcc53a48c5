import type { Clock } from '../platform/clock.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { withTimeout } from '../platform/db/queryable.js';
import { afterCommit, isInTransaction } from '../platform/db/index.js';
import type { ConfigRecord } from './schema.js';

/** Spec 40 §4: config is read through a 60 s per-process cache; writes bump this counter so others refresh. */
export const CONFIG_VERSION_KEY = 'config:version';
const TTL_MS = 60_000;
/** How stale a snapshot may be before the shared counter is consulted. */
const VERSION_CHECK_MS = 1_000;
const KV_TIMEOUT_MS = 250;

export interface Snapshot {
  records: ReadonlyMap<string, ConfigRecord>;
  values: Readonly<Record<string, unknown>>;
  loadedAt: number;
  checkedAt: number;
  /** The counter seen when loading; undefined when the store could not be read. */
  version: string | null | undefined;
}

interface LocalCacheDeps {
  kv: Kv;
  clock: Clock;
  log: Log;
  loadAll(): Promise<ConfigRecord[]>;
}

export function createLocalConfigCache({ kv, clock, log, loadAll }: LocalCacheDeps) {
  let snapshot: Snapshot | null = null;
  let loading: Promise<Snapshot> | null = null;
  // Bumped by `clear` so a load that started before a write never installs its stale result.
  let generation = 0;

  function drop(): void {
    generation++;
    snapshot = null;
    loading = null;
  }

  async function readVersion(): Promise<string | null | undefined> {
    try {
      return await withTimeout(kv.get(CONFIG_VERSION_KEY), KV_TIMEOUT_MS, 'config version read');
    } catch (err) {
      log.debug({ err }, 'config.version_read_failed');
      return undefined;
    }
  }

  function load(): Promise<Snapshot> {
    if (loading) return loading;
    const startedIn = generation;
    const pending = (async () => {
      const version = await readVersion();
      const next = snapshotOf(await loadAll(), version, clock.now());
      if (startedIn === generation) snapshot = next;
      return next;
    })().finally(() => {
      if (loading === pending) loading = null;
    });
    loading = pending;
    return pending;
  }

  /** Best effort: an unreadable counter keeps the snapshot until its TTL ends. */
  async function isStillCurrent(snap: Snapshot): Promise<boolean> {
    snap.checkedAt = clock.now();
    const version = await readVersion();
    return version === undefined || version === snap.version;
  }

  return {
    async get(): Promise<Snapshot> {
      // Inside a transaction the snapshot could predate its own writes: read through, install nothing.
      if (isInTransaction()) return snapshotOf(await loadAll(), undefined, clock.now());
      const snap = snapshot;
      if (snap && clock.now() - snap.loadedAt < TTL_MS) {
        if (clock.now() - snap.checkedAt < VERSION_CHECK_MS || (await isStillCurrent(snap))) return snap;
        if (snapshot === snap) snapshot = null;
      }
      return load();
    },

    /** The last loaded snapshot without touching any store; null before the first load or after a local write. */
    peek(): Snapshot | null {
      return snapshot;
    },

    /** Drops the snapshot now and again once the current transaction commits (a read in between is stale). */
    clear(): void {
      drop();
      void afterCommit(drop);
    },

    /**
     * Tells other processes to drop their snapshots once the change is committed; failure only delays
     * them until their TTL ends.
     */
    async publishChange(): Promise<void> {
      await afterCommit(async () => {
        try {
          await withTimeout(kv.increment(CONFIG_VERSION_KEY), KV_TIMEOUT_MS, 'config version bump');
        } catch (err) {
          log.warn({ err }, 'config.version_bump_failed');
        }
      });
    },
  };
}

function snapshotOf(records: ConfigRecord[], version: string | null | undefined, now: number): Snapshot {
  return {
    records: new Map(records.map((r) => [r.key, r])),
    values: Object.freeze(Object.fromEntries(records.map((r) => [r.key, r.value]))),
    loadedAt: now,
    checkedAt: now,
    version,
  };
}
