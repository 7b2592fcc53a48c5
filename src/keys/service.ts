import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import { parseInput } from '../platform/validation.js';
import { lastActiveKey, signingKeyNotFound } from './errors.js';
import { createJwksCache } from './jwks-cache.js';
import {
  DEFAULT_SIGNING_ALGORITHM, generateKeyMaterial, SIGNING_ALGORITHMS, toPublicJwk, type PublicJwk, type SigningAlgorithm, type SigningJwk,
} from './key-material.js';
import * as repo from './repo.js';
import type { SigningKey } from './repo.js';
import { GenerateKeyInput, RotateKeysInput } from './schema.js';

export interface SigningKeyService {
  /**
   * Creates a key for each algorithm (RS256, ES256) without an active one, safe when several processes start
   * at once; returns the keys it created.
   */
  ensureActiveKey(): Promise<SigningKey[]>;
  /** Every key, newest first, without key material. */
  list(): Promise<SigningKey[]>;
  /** `key:generate`: a new active key of `algorithm` (RS256 by default); it signs that algorithm's tokens, older ones still verify. Audit `signing_key.generated`. */
  generate(actor: Actor, input?: GenerateKeyInput): Promise<SigningKey>;
  /** `key:rotate`: retires every active key except the newest of its algorithm (of `algorithm` only, when given). Audit `signing_key.rotated`. */
  rotate(actor: Actor, input?: RotateKeysInput): Promise<KeyRotation>;
  /** `key:rotate`: marks a key (by kid, or id) compromised; refuses the only active key of its algorithm. Audit `signing_key.revoked`. */
  revoke(actor: Actor, kidOrId: string): Promise<SigningKey>;
  /** Active private keys for oidc-provider's `jwks`, newest first (the first of each algorithm signs). */
  getSigningJwks(): Promise<{ keys: SigningJwk[] }>;
  /** The published JWKS: public members of the active keys. */
  getPublicJwks(): Promise<{ keys: PublicJwk[] }>;
  /** Changes whenever the active key set changes; providers built from an older version must be rebuilt. */
  version(): Promise<string>;
}

export interface KeyRotation {
  /** The algorithms rotated. */
  algorithms: SigningAlgorithm[];
  /** The key that signs from now on, per algorithm rotated; absent when that algorithm has no active key. */
  activeKids: Partial<Record<SigningAlgorithm, string>>;
  /** Sorted. */
  retiredKids: string[];
}

export interface SigningKeyServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** Writes each change's entry in the change's transaction. */
  audit: Pick<AuditService, 'record'>;
}

const TARGET = 'signing_key';

export function createSigningKeyService({ db, kv, clock, log, audit }: SigningKeyServiceDeps): SigningKeyService {
  const cache = createJwksCache({ kv, clock, log, load: () => repo.listActiveKeyMaterial(db) });
  const now = () => new Date(clock.now());

  async function changed<T>(result: T): Promise<T> {
    await cache.invalidate();
    return result;
  }

  return {
    async ensureActiveKey() {
      const missing = async () => {
        const counts = await repo.countActiveKeys(db);
        return SIGNING_ALGORITHMS.filter((algorithm) => !counts.get(algorithm));
      };
      const wanted = await missing();
      if (wanted.length === 0) return [];
      // Made before taking the lock: an RSA key takes a while, and other processes wait on the lock.
      const materials = await Promise.all(wanted.map((algorithm) => generateKeyMaterial(algorithm)));
      const created = await db.transaction(async () => {
        await repo.lockSigningKeys(db);
        const stillMissing = new Set(await missing());
        const inserted: SigningKey[] = [];
        for (const material of materials) {
          if (stillMissing.has(material.algorithm)) inserted.push(await repo.insertActiveKey(db, material, now()));
        }
        return inserted;
      });
      if (created.length === 0) return [];
      for (const key of created) log.info({ kid: key.kid, algorithm: key.algorithm }, 'keys.created_initial');
      return changed(created);
    },

    list: () => repo.listSigningKeys(db),

    async generate(actor, input = {}) {
      authorize(actor, 'admin:key:generate');
      const { algorithm } = parseInput(GenerateKeyInput, input);
      const material = await generateKeyMaterial(algorithm);
      const key = await db.transaction(async () => {
        await repo.lockSigningKeys(db);
        const created = await repo.insertActiveKey(db, material, now());
        await cache.invalidate();
        await audit.record(actor, {
          eventType: 'signing_key.generated', targetType: TARGET, targetId: created.id, metadata: { kid: created.kid, algorithm: created.algorithm },
        });
        return created;
      });
      log.info({ kid: key.kid, algorithm: key.algorithm }, 'keys.generated');
      return key;
    },

    async rotate(actor, input = {}) {
      authorize(actor, 'admin:key:rotate');
      const { algorithm } = parseInput(RotateKeysInput, input);
      const algorithms = algorithm ? [algorithm] : [...SIGNING_ALGORITHMS];
      const rotation = await db.transaction(async () => {
        await repo.lockSigningKeys(db);
        const retiredKids = await repo.retireAllButNewest(db, now(), algorithm ?? null);
        if (retiredKids.length > 0) await cache.invalidate();
        const active = (await repo.listSigningKeys(db)).filter((k) => k.status === 'active');
        const signers = algorithms.flatMap((a) => active.find((k) => k.algorithm === a) ?? []);
        const result: KeyRotation = { algorithms, activeKids: Object.fromEntries(signers.map((k) => [k.algorithm, k.kid])), retiredKids };
        const target = signers.find((k) => k.algorithm === (algorithm ?? DEFAULT_SIGNING_ALGORITHM)) ?? signers[0];
        await audit.record(actor, { eventType: 'signing_key.rotated', targetType: TARGET, targetId: target?.id ?? null, metadata: { ...result } });
        return result;
      });
      if (rotation.retiredKids.length > 0) log.info({ retiredKids: rotation.retiredKids, algorithms: rotation.algorithms }, 'keys.rotated');
      return rotation;
    },

    async revoke(actor, kidOrId) {
      const { key, wasRevoked } = await db.transaction(async () => {
        authorize(actor, 'admin:key:rotate');
        await repo.lockSigningKeys(db);
        const found = await repo.findSigningKey(db, kidOrId);
        if (!found) throw signingKeyNotFound(kidOrId);
        const isAlreadyRevoked = found.status === 'revoked';
        // Every ID token of that algorithm would fail to sign (spec 70 §5: both algorithms stay available).
        if (found.status === 'active' && ((await repo.countActiveKeys(db)).get(found.algorithm) ?? 0) <= 1) throw lastActiveKey(found.kid, found.algorithm);
        const revoked = isAlreadyRevoked ? found : await repo.markRevoked(db, found.id, now());
        if (!isAlreadyRevoked) await cache.invalidate();
        await audit.record(actor, {
          eventType: 'signing_key.revoked', targetType: TARGET, targetId: revoked.id, metadata: { kid: revoked.kid, algorithm: revoked.algorithm },
        });
        return { key: revoked, wasRevoked: isAlreadyRevoked };
      });
      if (!wasRevoked) log.warn({ kid: key.kid, algorithm: key.algorithm }, 'keys.revoked');
      return key;
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
