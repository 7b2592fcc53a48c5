import { createHash } from 'node:crypto';
import type { Clock } from '../platform/clock.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createVersionedCache, type VersionedCache } from '../platform/versioned-cache.js';
import { toSigningJwk, type SigningJwk } from './key-material.js';
import type { ActiveKeyMaterial } from './repo.js';

/** Bumped on every configuration write; other processes compare it to notice changes quickly. */
export const CONFIG_VERSION_KEY = 'config:version';

export interface KeySetSnapshot {
  /** Active keys as private JWKs, newest first. */
  jwks: SigningJwk[];
  /** Changes whenever the active key set (or its order) changes. */
  version: string;
}

export type JwksCache = VersionedCache<KeySetSnapshot>;

/** Signing keys per process (spec 40 §4: 60 s, JWKS too); a new key reaches every server within that. */
export function createJwksCache(deps: { kv: Kv; clock: Clock; log: Log; load: () => Promise<ActiveKeyMaterial[]> }): JwksCache {
  return createVersionedCache({
    ...deps,
    counterKey: CONFIG_VERSION_KEY,
    name: 'signing keys',
    load: async () => {
      const jwks = (await deps.load()).map((k) => toSigningJwk(k.kid, k.algorithm, k.privateKeyPem));
      return { jwks, version: versionOf(jwks) };
    },
  });
}

function versionOf(jwks: SigningJwk[]): string {
  return createHash('sha256').update(jwks.map((k) => k.kid).join(',')).digest('hex').slice(0, 16);
}
