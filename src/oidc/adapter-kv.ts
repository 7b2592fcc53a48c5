import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';

/** What the engine stores without an expiry still leaves the ephemeral store eventually. */
const FALLBACK_TTL_SECONDS = 14 * 86_400;

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

/**
 * Short-lived models in the Kv store. Keys carry no organization (engine ids are random);
 * each value records its organization and every read, destroy and revoke checks it.
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

  async function read(id: string): Promise<Stored | undefined> {
    const stored = parse(await kv.get(kvKeys.artifact(model, id)));
    return stored?.org === organizationId ? stored : undefined;
  }

  async function removeIndexes(id: string, payload: AdapterPayload): Promise<void> {
    const stale: string[] = [];
    if (payload.uid && (await kv.get(kvKeys.uid(model, payload.uid))) === id) stale.push(kvKeys.uid(model, payload.uid));
    if (payload.userCode && (await kv.get(kvKeys.userCode(model, payload.userCode))) === id) {
      stale.push(kvKeys.userCode(model, payload.userCode));
    }
    if (stale.length > 0) await kv.delete(...stale);
  }

  async function findBy(indexKey: string, matches: (p: AdapterPayload) => boolean): Promise<AdapterPayload | undefined> {
    const id = await kv.get(indexKey);
    if (id === null) return undefined;
    const stored = await read(id);
    return stored && matches(stored.payload) ? stored.payload : undefined;
  }

  return {
    async upsert(id, payload, expiresIn) {
      const ttlSeconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : FALLBACK_TTL_SECONDS;
      // The owner check and the write are one store operation: a new artifact costs one round trip.
      const value = JSON.stringify({ org: organizationId, payload } satisfies Stored);
      if (!(await kv.set(kvKeys.artifact(model, id), value, { ttlSeconds, ownerPrefix }))) {
        // Engine ids are random: this is an attempt to overwrite another organization's artifact.
        log.warn({ model }, 'oidc.adapter.foreign_artifact_overwrite');
        throw new Error(`${model} ${id} belongs to another organization`);
      }
      const writes: Array<Promise<unknown>> = [];
      if (model === 'Session' && payload.uid) writes.push(kv.set(kvKeys.uid(model, payload.uid), id, { ttlSeconds }));
      if (payload.userCode) writes.push(kv.set(kvKeys.userCode(model, payload.userCode), id, { ttlSeconds }));
      if (payload.grantId) writes.push(kv.setAdd(kvKeys.grant(model, payload.grantId), [id], ttlSeconds));
      await Promise.all(writes);
    },

    async find(id) {
      return (await read(id))?.payload;
    },

    findByUid: (uid) => findBy(kvKeys.uid(model, uid), (p) => p.uid === uid),

    findByUserCode: (userCode) => findBy(kvKeys.userCode(model, userCode), (p) => p.userCode === userCode),

    // The engine checks `consumed` before calling this, so concurrent redemptions all get here:
    // the compare-and-set lets exactly one of them record the consumption.
    async consume(id) {
      const key = kvKeys.artifact(model, id);
      const raw = await kv.get(key);
      const stored = parse(raw);
      const own = stored?.org === organizationId ? stored.payload : undefined;
      if (raw !== null && own && !own.consumed) {
        const consumed: Stored = { org: organizationId, payload: { ...own, consumed: Math.floor(clock.now() / 1000) } };
        if (await kv.compareAndSet(key, raw, JSON.stringify(consumed))) return;
      }
      await deps.onConsumeLost(own);
    },

    async destroy(id) {
      const stored = await read(id);
      if (!stored) return;
      await kv.delete(kvKeys.artifact(model, id));
      await removeIndexes(id, stored.payload);
      if (stored.payload.grantId) await kv.setRemove(kvKeys.grant(model, stored.payload.grantId), [id]);
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
        if (stored?.payload.grantId === grantId) {
          await kv.delete(kvKeys.artifact(model, id));
          await removeIndexes(id, stored.payload);
        }
        dropped.push(id);
      }
      if (foreign === 0) await kv.delete(setKey);
      else if (dropped.length > 0) await kv.setRemove(setKey, dropped);
    },
  };
}
