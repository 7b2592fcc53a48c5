import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { currentRequestScope, forgetInRequest, requestMemo } from '../platform/request-scope.js';

/** What the engine stores without an expiry still leaves the ephemeral store eventually. */
const FALLBACK_TTL_SECONDS = 14 * 86_400;

/**
 * Kv models whose artifacts carry a grantId and go with their grant (the engine's helpers/revoke.js and
 * Porta's logout and revocation cascades): only these keep a grant index. Other models (interactions)
 * are never revoked by grant, so an index of theirs would only be written.
 */
export const KV_GRANTABLE_MODELS: readonly string[] = ['AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'];
const GRANT_INDEXED = new Set(KV_GRANTABLE_MODELS);

interface Stored {
  org: string;
  payload: AdapterPayload;
}

export interface KvAdapterDeps {
  kv: Kv;
  clock: Clock;
  log: Log;
  organizationId: string;
  /** Told when `consume` loses: another caller consumed the artifact first, or it is gone. Throws. */
  onConsumeLost(payload: AdapterPayload | undefined): Promise<never>;
}

export const kvKeys = {
  artifact: (model: string, id: string) => `oidc:${model}:${id}`,
  uid: (model: string, uid: string) => `oidc:${model}:uid:${uid}`,
  userCode: (model: string, userCode: string) => `oidc:${model}:userCode:${userCode}`,
  grant: (model: string, grantId: string) => `oidc:grant:${model}:${grantId}`,
};

/** Under this name a request remembers what a Kv key held (platform/request-scope.ts). */
const memoKey = (key: string) => `kv:${key}`;

/**
 * The value at `key` as this request last read it: one store read per key and request (the engine reads
 * an interaction or session several times while it serves one request). Outside a request, a plain read.
 * The raw string is shared, never a parsed object: every caller parses its own copy, which the engine
 * may then change.
 */
const readInRequest = (kv: Kv, key: string): Promise<string | null> => requestMemo(memoKey(key), () => kv.get(key));

/** After a write of `keys` (or an attempt at one): this request's next read goes to the store. */
function forgetInRequestKeys(...keys: string[]): void {
  for (const key of keys) forgetInRequest(memoKey(key));
}

/**
 * Short-lived models in the Kv store. Keys carry no organization (engine ids are random);
 * each value records its organization and every read, destroy and revoke checks it.
 * Reads of an artifact or an index are remembered for the rest of the HTTP request; every write of
 * this adapter forgets what it changes, so a read after a write goes to the store again.
 */
export function createKvAdapter(model: string, deps: KvAdapterDeps): Adapter {
  const { kv, clock, log, organizationId } = deps;
  // How every value of this organization starts (JSON.stringify keeps the key order of `Stored`).
  const ownerPrefix = `{"org":${JSON.stringify(organizationId)},`;

  function parse(raw: string | null): Stored | undefined {
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as Stored;
    } catch (err) {
      log.warn({ err, model }, 'oidc.adapter.unreadable_artifact');
      return undefined;
    }
  }

  const own = (stored: Stored | undefined): Stored | undefined => (stored?.org === organizationId ? stored : undefined);

  const read = async (id: string): Promise<Stored | undefined> => own(parse(await readInRequest(kv, kvKeys.artifact(model, id))));

  /** Runs a write of `keys`, forgetting them in this request before and after (also when it fails). */
  async function writing<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    forgetInRequestKeys(...keys);
    try {
      return await write();
    } finally {
      forgetInRequestKeys(...keys);
    }
  }

  /**
   * Marks the artifact consumed if it still holds exactly `raw` (unconsumed, this organization's): of
   * every caller holding the same value, one compare-and-set wins. Returns the payload otherwise.
   */
  async function tryConsume(key: string, raw: string | null): Promise<{ isConsumed: true } | { isConsumed: false; payload: AdapterPayload | undefined }> {
    const payload = own(parse(raw))?.payload;
    if (raw !== null && payload && !payload.consumed) {
      const consumed: Stored = { org: organizationId, payload: { ...payload, consumed: Math.floor(clock.now() / 1000) } };
      if (await writing([key], () => kv.compareAndSet(key, raw, JSON.stringify(consumed)))) return { isConsumed: true };
    }
    return { isConsumed: false, payload };
  }

  /**
   * Deletes the artifact with its indexes, in one store operation. An index is read afresh and deleted
   * only while it still names this id.
   */
  async function remove(id: string, payload: AdapterPayload): Promise<void> {
    const keys = [kvKeys.artifact(model, id)];
    if (payload.uid && (await kv.get(kvKeys.uid(model, payload.uid))) === id) keys.push(kvKeys.uid(model, payload.uid));
    if (payload.userCode && (await kv.get(kvKeys.userCode(model, payload.userCode))) === id) {
      keys.push(kvKeys.userCode(model, payload.userCode));
    }
    await writing(keys, () => kv.delete(...keys));
  }

  async function findBy(indexKey: string, matches: (p: AdapterPayload) => boolean): Promise<AdapterPayload | undefined> {
    const id = await readInRequest(kv, indexKey);
    if (id === null) return undefined;
    const stored = await read(id);
    return stored && matches(stored.payload) ? stored.payload : undefined;
  }

  return {
    async upsert(id, payload, expiresIn) {
      const ttlSeconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : FALLBACK_TTL_SECONDS;
      // The owner check and the write are one store operation: a new artifact costs one round trip.
      const value = JSON.stringify({ org: organizationId, payload } satisfies Stored);
      const key = kvKeys.artifact(model, id);
      if (!(await writing([key], () => kv.set(key, value, { ttlSeconds, ownerPrefix })))) {
        // Engine ids are random: this is an attempt to overwrite another organization's artifact.
        log.warn({ model }, 'oidc.adapter.foreign_artifact_overwrite');
        throw new Error(`${model} ${id} belongs to another organization`);
      }
      const indexes: string[] = [];
      const writes: Array<Promise<unknown>> = [];
      if (model === 'Session' && payload.uid) indexes.push(kvKeys.uid(model, payload.uid));
      if (payload.userCode) indexes.push(kvKeys.userCode(model, payload.userCode));
      for (const index of indexes) writes.push(kv.set(index, id, { ttlSeconds }));
      if (payload.grantId && GRANT_INDEXED.has(model)) writes.push(kv.setAdd(kvKeys.grant(model, payload.grantId), [id], ttlSeconds));
      await writing(indexes, () => Promise.all(writes));
    },

    async find(id) {
      return (await read(id))?.payload;
    },

    findByUid: (uid) => findBy(kvKeys.uid(model, uid), (p) => p.uid === uid),

    findByUserCode: (userCode) => findBy(kvKeys.userCode(model, userCode), (p) => p.userCode === userCode),

    // The engine checks `consumed` before calling this, so concurrent redemptions all get here:
    // the compare-and-set lets exactly one of them record the consumption. The value this request
    // found (the engine finds, then consumes) is tried first; when that attempt fails, the store's
    // current value decides, as if nothing had been remembered: a second reader loses there.
    async consume(id) {
      const key = kvKeys.artifact(model, id);
      const remembered = currentRequestScope()?.memo?.get(memoKey(key)) as Promise<string | null> | undefined;
      if (remembered !== undefined) {
        const raw = await remembered.catch(() => null);
        if ((await tryConsume(key, raw)).isConsumed) return;
        forgetInRequestKeys(key);
      }
      const attempt = await tryConsume(key, await kv.get(key));
      if (attempt.isConsumed) return;
      await deps.onConsumeLost(attempt.payload);
    },

    async destroy(id) {
      const stored = await read(id);
      if (!stored) return;
      await remove(id, stored.payload);
      if (stored.payload.grantId && GRANT_INDEXED.has(model)) await kv.setRemove(kvKeys.grant(model, stored.payload.grantId), [id]);
    },

    async revokeByGrantId(grantId) {
      const setKey = kvKeys.grant(model, grantId);
      const members = await kv.setMembers(setKey);
      const dropped: string[] = [];
      let foreign = 0;
      for (const id of members) {
        const stored = parse(await kv.get(kvKeys.artifact(model, id)));
        if (stored && stored.org !== organizationId) {
          foreign++;
          continue;
        }
        if (stored?.payload.grantId === grantId) await remove(id, stored.payload);
        dropped.push(id);
      }
      if (foreign === 0) await kv.delete(setKey);
      else if (dropped.length > 0) await kv.setRemove(setKey, dropped);
    },
  };
}
