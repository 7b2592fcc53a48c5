import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
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
  /** `key:generate`: a new active key; it becomes the signer, older active keys still verify. Audit `signing_key.generated`. */
  generate(actor: Actor): Promise<SigningKey>;
  /** `key:rotate`: retires every active key except the newest. Audit `signing_key.rotated`. */
  rotate(actor: Actor): Promise<KeyRotation>;
  /** `key:rotate`: marks a key (by kid, or id) compromised; refuses the only active key. Audit `signing_key.revoked`. */
  revoke(actor: Actor, kidOrId: string): Promise<SigningKey>;
  /** Active private keys for oidc-provider's `jwks`, newest (the signer) first. */
  getSigningJwks(): Promise<{ keys: SigningJwk[] }>;
  /** The published JWKS: public members of the active keys. */
  getPublicJwks(): Promise<{ keys: PublicJwk[] }>;
  /** Changes whenever the active key set changes; providers built from an older version must be rebuilt. */
  version(): Promise<string>;
}

export interface KeyRotation {
  /** The key that signs from now on; null when no key is active. */
  activeKid: string | null;
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

    async generate(actor) {
      const material = generateKeyMaterial();
      const key = await db.transaction(async () => {
        authorize(actor, 'admin:key:generate');
        await repo.lockSigningKeys(db);
        const created = await repo.insertActiveKey(db, material, now());
        await cache.invalidate();
        await audit.record(actor, { eventType: 'signing_key.generated', targetType: TARGET, targetId: created.id, metadata: { kid: created.kid } });
        return created;
      });
      log.info({ kid: key.kid }, 'keys.generated');
      return key;
    },

    async rotate(actor) {
      const rotation = await db.transaction(async () => {
        authorize(actor, 'admin:key:rotate');
        await repo.lockSigningKeys(db);
        const retiredKids = await repo.retireAllButNewest(db, now());
        if (retiredKids.length > 0) await cache.invalidate();
        const active = (await repo.listSigningKeys(db)).find((k) => k.status === 'active') ?? null;
        const result: KeyRotation = { activeKid: active?.kid ?? null, retiredKids };
        await audit.record(actor, { eventType: 'signing_key.rotated', targetType: TARGET, targetId: active?.id ?? null, metadata: { ...result } });
        return result;
      });
      if (rotation.retiredKids.length > 0) log.info({ retiredKids: rotation.retiredKids }, 'keys.rotated');
      return rotation;
    },

    async revoke(actor, kidOrId) {
      const { key, wasRevoked } = await db.transaction(async () => {
        authorize(actor, 'admin:key:rotate');
        await repo.lockSigningKeys(db);
        const found = await repo.findSigningKey(db, kidOrId);
        if (!found) throw signingKeyNotFound(kidOrId);
        const isAlreadyRevoked = found.status === 'revoked';
        if (found.status === 'active' && (await repo.countActiveKeys(db)) <= 1) throw lastActiveKey(found.kid);
        const revoked = isAlreadyRevoked ? found : await repo.markRevoked(db, found.id, now());
        if (!isAlreadyRevoked) await cache.invalidate();
        await audit.record(actor, { eventType: 'signing_key.revoked', targetType: TARGET, targetId: revoked.id, metadata: { kid: revoked.kid } });
        return { key: revoked, wasRevoked: isAlreadyRevoked };
      });
      if (!wasRevoked) log.warn({ kid: key.kid }, 'keys.revoked');
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
