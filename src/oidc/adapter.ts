import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createKvAdapter } from './adapter-kv.js';
import { createPgAdapter, deleteExpired, deleteGrants } from './adapter-pg.js';

/** Spec 10 §8: long-lived models in PostgreSQL; every other model (sessions, codes, …) in the Kv store. */
const DURABLE_MODELS = new Set(['AccessToken', 'RefreshToken', 'Grant']);
/** Kv models whose artifacts carry a grantId, so a grant's revocation reaches them. */
const KV_GRANTABLE_MODELS = ['AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'];

export interface AdapterFactoryDeps {
  db: Db;
  kv: Kv;
  log: Log;
  clock: Clock;
  /** Every artifact is stored with, and only found for, this organization. */
  organizationId: string;
  /** Engine metadata of this organization's client, or undefined; the engine never writes clients. */
  findClient?: (clientId: string) => Promise<object | undefined>;
}

export type PortaAdapterFactory = AdapterFactory & {
  /** Spec 10 §9 logout cascade: deletes these grants and their tokens in both stores; returns the PostgreSQL rows deleted. */
  revokeGrantsByIds(grantIds: string[]): Promise<number>;
  /** Deletes expired `oidc_payloads` rows of every organization; returns how many. */
  purgeExpired(): Promise<number>;
};

/** oidc-provider's `adapter` option for one organization's engine. */
export function createAdapterFactory(deps: AdapterFactoryDeps): PortaAdapterFactory {
  const { db, kv, log, clock, organizationId } = deps;
  const kvAdapter = (model: string) => createKvAdapter(model, { kv, clock, log, organizationId });

  // An arrow function: the engine calls it (instead of `new`) once per model.
  const factory = (model: string): Adapter => {
    if (model === 'Client') return clientAdapter(deps.findClient);
    if (DURABLE_MODELS.has(model)) return createPgAdapter(model, { db, clock, organizationId });
    return kvAdapter(model);
  };

  return Object.assign(factory, {
    async revokeGrantsByIds(grantIds: string[]) {
      const unique = [...new Set(grantIds.filter(Boolean))];
      const deleted = await deleteGrants(db, organizationId, unique);
      const cleanups = KV_GRANTABLE_MODELS.flatMap((model) => unique.map((grantId) => kvAdapter(model).revokeByGrantId(grantId)));
      const failed = (await Promise.allSettled(cleanups)).filter((r) => r.status === 'rejected');
      if (failed.length > 0) log.warn({ err: (failed[0] as PromiseRejectedResult).reason, failures: failed.length }, 'oidc.adapter.grant_cleanup_failed');
      return deleted;
    },
    purgeExpired: () => deleteExpired(db, clock),
  });
}

function clientAdapter(findClient: AdapterFactoryDeps['findClient']): Adapter {
  const none = async () => undefined;
  return {
    find: async (id) => ((await findClient?.(id)) as AdapterPayload | undefined) ?? undefined,
    upsert: none,
    findByUid: none,
    findByUserCode: none,
    consume: none,
    destroy: none,
    revokeByGrantId: none,
  };
}
