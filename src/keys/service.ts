import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { lastActiveKey, signingKeyNotFound } from './errors.js';
import { createJwksCache } from './jwks-cache.js';
import { generateKeyMaterial, toPublicJwk, type PublicJwk, type SigningJwk } from './key-material.js';
import * as repo from './repo.js';
import type { SigningKey } from './repo.js';

export interface SigningKeyService {
  /** Creates a key when none is active (safe when several processes start at once); returns it, or null if one was active. */
  ensureActiveKey(): Promise<SigningKey | null>;
  /** Every key, newest first, without key material. */
  list(): Promise<SigningKey[]>;
  /** A new active key; it becomes the signer, older active keys still verify. */
  generate(): Promise<SigningKey>;
  /** Retires every active key except the newest; returns the retired kids. */
  rotate(): Promise<string[]>;
  /** Marks a key (by kid, or id) compromised; refuses the only active key. */
  revoke(kidOrId: string): Promise<SigningKey>;
  /** Active private keys for oidc-provider's `jwks`, newest (the signer) first. */
  getSigningJwks(): Promise<{ keys: SigningJwk[] }>;
  /** The published JWKS: public members of the active keys. */
  getPublicJwks(): Promise<{ keys: PublicJwk[] }>;
  /** Changes whenever the active key set changes; providers built from an older version must be rebuilt. */
  version(): Promise<string>;
}

export interface SigningKeyServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
}

export function createSigningKeyService({ db, kv, clock, log }: SigningKeyServiceDeps): SigningKeyService {
  const cache = createJwksCache({ kv, clock, log, load: () => repo.listActiveKeyMaterial(db) });
  const now = () => new Date(clock.now());

  async function changed<T>(result: T): Promise<T> {
    await cache.invalidate();
    return result;
  }

  return {
    async ensureActiveKey() {
      const created = await db.transaction(async (tx) => {
        await repo.lockSigningKeys(tx);
        if ((await repo.countActiveKeys(tx)) > 0) return null;
        return repo.insertActiveKey(tx, generateKeyMaterial(), now());
      });
      if (!created) return null;
      log.info({ kid: created.kid }, 'keys.created_initial');
      return changed(created);
    },

    list: () => repo.listSigningKeys(db),

    async generate() {
      const key = await repo.insertActiveKey(db, generateKeyMaterial(), now());
      log.info({ kid: key.kid }, 'keys.generated');
      return changed(key);
    },

    async rotate() {
      const retired = await repo.retireAllButNewest(db, now());
      if (retired.length === 0) return retired;
      log.info({ retiredKids: retired }, 'keys.rotated');
      return changed(retired);
    },

    async revoke(kidOrId) {
      const { key, wasRevoked } = await db.transaction(async (tx) => {
        await repo.lockSigningKeys(tx);
        const found = await repo.findSigningKey(tx, kidOrId);
        if (!found) throw signingKeyNotFound(kidOrId);
        if (found.status === 'revoked') return { key: found, wasRevoked: true };
        if (found.status === 'active' && (await repo.countActiveKeys(tx)) <= 1) throw lastActiveKey(found.kid);
        return { key: await repo.markRevoked(tx, found.id, now()), wasRevoked: false };
      });
      if (wasRevoked) return key;
      log.warn({ kid: key.kid }, 'keys.revoked');
      return changed(key);
    },

    async getSigningJwks() {
      const { jwks } = await cache.read();
      return { keys: jwks.map((k) => ({ ...k })) };
    },

    async getPublicJwks() {
      const { jwks } = await cache.read();
      return { keys: jwks.map(toPublicJwk) };
    },

    async version() {
      return (await cache.read()).version;
    },
  };
}
