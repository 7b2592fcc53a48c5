import { createHash } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import { createVersionedCache, type VersionedCache } from '../platform/versioned-cache.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';

/** Bumped whenever a claim name appears or disappears; other processes compare it to notice quickly. */
export const CLAIM_NAMES_VERSION_KEY = 'rbac:claim-names:version';

export interface ClaimNameSet {
  /** Every custom claim name of every application, sorted. */
  names: readonly string[];
  /** Changes whenever `names` changes. */
  version: string;
}

export type ClaimNamesCache = VersionedCache<ClaimNameSet>;

/**
 * The engine must list custom claim names in its `claims` configuration or drops them (spec 10 §13), so
 * engines are rebuilt when this set changes. It is read on every OIDC request: kept in process for 60 s
 * at most, re-checked against a shared counter after 1 s, dropped at once after a local write.
 */
export function createClaimNamesCache(deps: { kv: Kv; clock: Clock; log: Log; load: () => Promise<string[]> }): ClaimNamesCache {
  return createVersionedCache({
    ...deps,
    counterKey: CLAIM_NAMES_VERSION_KEY,
    name: 'claim names',
    load: async () => {
      const names = await deps.load();
      return { names, version: versionOf(names) };
    },
  });
}

function versionOf(names: readonly string[]): string {
  return createHash('sha256').update(names.join(',')).digest('hex').slice(0, 16);
}
