import { createHash } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import { withTimeout } from '../platform/db/queryable.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { toSigningJwk, type SigningJwk } from './key-material.js';
import type { ActiveKeyMaterial } from './repo.js';

/** Bumped on every configuration write; other processes compare it to notice changes quickly. */
export const CONFIG_VERSION_KEY = 'porta:config:version';

const MAX_AGE_MS = 60_000;
const CHECK_AFTER_MS = 1_000;
const KV_TIMEOUT_MS = 250;

export interface KeySetSnapshot {
  /** Active keys as private JWKs, newest first. */
  jwks: SigningJwk[];
  /** Changes whenever the active key set (or its order) changes. */
  version: string;
}

interface Entry extends KeySetSnapshot {
  loadedAt: number;
  checkedAt: number;
  /** The config version read before loading; null when the key was absent. */
  counter: string | null;
}

export interface JwksCache {
  read(): Promise<KeySetSnapshot>;
  /** After a local write: drop the cache and tell other processes. */
  invalidate(): Promise<void>;
}

export function createJwksCache(deps: { kv: Kv; clock: Clock; log: Log; load: () => Promise<ActiveKeyMaterial[]> }): JwksCache {
  const { kv, clock, log } = deps;
  let entry: Entry | undefined;
  let inflight: Promise<Entry> | undefined;
  let generation = 0;

  /** undefined when the store could not answer: the cache is kept. */
  async function readCounter(): Promise<string | null | undefined> {
    try {
      return await withTimeout(kv.get(CONFIG_VERSION_KEY), KV_TIMEOUT_MS, 'config version read');
    } catch (err) {
      log.debug({ err }, 'keys.version_check_failed');
      return undefined;
    }
  }

  function load(): Promise<Entry> {
    if (inflight) return inflight;
    const startedIn = generation;
    const loading = (async () => {
      // The counter is read first, so a write landing during the load shows as a newer counter later.
      const counter = (await readCounter()) ?? null;
      const material = await deps.load();
      const jwks = material.map((k) => toSigningJwk(k.kid, k.privateKeyPem));
      const now = clock.now();
      const fresh: Entry = { jwks, version: versionOf(jwks), loadedAt: now, checkedAt: now, counter };
      if (startedIn === generation) entry = fresh;
      return fresh;
    })().finally(() => {
      if (inflight === loading) inflight = undefined;
    });
    inflight = loading;
    return loading;
  }

  return {
    async read() {
      const current = entry;
      const now = clock.now();
      if (!current || now - current.loadedAt >= MAX_AGE_MS) return load();
      if (now - current.checkedAt < CHECK_AFTER_MS) return current;
      const counter = await readCounter();
      if (counter === undefined || counter === current.counter) {
        current.checkedAt = now;
        return current;
      }
      return load();
    },
    async invalidate() {
      generation++;
      entry = undefined;
      inflight = undefined;
      try {
        await withTimeout(kv.increment(CONFIG_VERSION_KEY), KV_TIMEOUT_MS, 'config version bump');
      } catch (err) {
        // Other processes then pick the change up when their cache ages out (60 s).
        log.warn({ err }, 'keys.version_bump_failed');
      }
    },
  };
}

function versionOf(jwks: SigningJwk[]): string {
  return createHash('sha256').update(jwks.map((k) => k.kid).join(',')).digest('hex').slice(0, 16);
}
