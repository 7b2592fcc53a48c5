import { createHash } from 'node:crypto';
import Provider, { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createKvAdapter, kvKeys, KV_GRANTABLE_MODELS } from './adapter-kv.js';
import { afterCommit } from '../platform/db/index.js';
import { createPgAdapter, deleteAccountPayloads, deleteClientPayloads, deleteExpired, deleteGrants, findAccountGrants } from './adapter-pg.js';
import { createRequestLookups } from './adapter-request.js';

/** Spec 10 §8: long-lived models in PostgreSQL; every other model (sessions, codes, …) in the Kv store. */
const DURABLE_MODELS = new Set(['AccessToken', 'RefreshToken', 'Grant']);

/**
 * The engine's answer to a consumed artifact (helpers/grant_source.js consumeGrantSource,
 * actions/grants/refresh_token.js, actions/authorization/respond.js). The engine checks `consumed` and
 * then calls `consume()`, so concurrent redemptions all pass the check; the adapter's atomic consume
 * picks one winner and gives every loser this same answer, as if it had come second.
 */
const REUSE: Record<string, { error: () => Error; isGrantRevoked: boolean }> = {
  AuthorizationCode: { error: () => new errors.InvalidGrant('authorization code already consumed'), isGrantRevoked: true },
  RefreshToken: { error: () => new errors.InvalidGrant('refresh token already used'), isGrantRevoked: true },
  DeviceCode: { error: () => new errors.InvalidGrant('device code already consumed'), isGrantRevoked: true },
  BackchannelAuthenticationRequest: {
    error: () => new errors.InvalidGrant('backchannel authentication request already consumed'),
    isGrantRevoked: true,
  },
  PreAuthorizedCode: { error: () => new errors.InvalidGrant('pre-authorized code already consumed'), isGrantRevoked: true },
  PushedAuthorizationRequest: {
    error: () => new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used'),
    isGrantRevoked: false,
  },
};

export interface AdapterFactoryDeps {
  db: Db;
  kv: Kv;
  log: Log;
  clock: Clock;
  /** Every artifact is stored with, and only found for, this organization. */
  organizationId: string;
  /** Engine metadata of this organization's client, or undefined. */
  findClient?: (clientId: string) => Promise<object | undefined>;
  /**
   * Dynamic registration (RFC 7591/7592): the engine's writes of a client go through these, to the
   * clients domain's use cases; without them the engine never writes clients.
   */
  saveClient?: (clientId: string, metadata: AdapterPayload) => Promise<void>;
  removeClient?: (clientId: string) => Promise<void>;
  /** An initial access token of this organization as the engine's payload, looked up in Porta's store. */
  findInitialAccessToken?: (value: string) => Promise<AdapterPayload | undefined>;
  /** The session mirror (spec 10 §10): told when a session ends; never awaited for the flow's sake. */
  mirror?: { mirrorDestroyed(sessionUid: string): void };
  /** Names the request being served, whose reads and rotation the models share; the engine's own by default. */
  requestKey?: () => object | undefined;
}

export type PortaAdapterFactory = AdapterFactory & {
  /** Spec 10 §9 logout cascade: deletes these grants and their tokens in both stores; returns the PostgreSQL rows deleted. */
  revokeGrantsByIds(grantIds: string[]): Promise<number>;
  /**
   * Spec 20 §5.5: deletes every grant and token of this client in both stores; returns the PostgreSQL
   * rows deleted. The durable rows go in the caller's transaction, the ephemeral ones once it commits.
   */
  revokeClient(clientId: string): Promise<number>;
  /** As revokeClient, for every grant and token issued to one account. */
  revokeAccount(accountId: string): Promise<number>;
  /** The account's unexpired grants in this organization (their ids and engine payloads). */
  accountGrants(accountId: string): Promise<Array<{ grantId: string; payload: Record<string, unknown> }>>;
  /** Deletes expired `oidc_payloads` rows of every organization; returns how many. */
  purgeExpired(): Promise<number>;
  /**
   * Destroys a live session by its stable `uid` (the mirror's session id) with the logout cascade, as
   * an explicit logout would; returns what the session held, undefined when no live session of this
   * organization has that uid.
   */
  destroySession(sessionUid: string): Promise<AdapterPayload | undefined>;
};

interface EngineContext {
  oidc?: {
    route?: string;
    entities?: { Session?: { id?: string; oldId?: string } };
    provider?: { emit(event: string, ...args: unknown[]): boolean };
  };
}

/** The engine's request context, when the adapter is called while it handles a request. */
function engineContext(): EngineContext | undefined {
  return (Provider as unknown as { ctx?: EngineContext }).ctx;
}

/**
 * Seconds an expired device code stays in the store, so a late poll is told `expired_token` (RFC 8628
 * §3.5) and a late user-code entry "expired", rather than that the code never existed.
 */
const DEVICE_CODE_KEPT_SECONDS = 600;

/** Seconds a JWT ID is held once first seen, until the engine saves it with the token's own expiry. */
const REPLAY_CLAIM_SECONDS = 600;

/**
 * The engine's `ReplayDetection.unique()` (private_key_jwt assertions, DPoP proofs) finds, then saves:
 * two concurrent uses of one `jti` would both find nothing. Here `find` claims the id with one atomic
 * set-if-absent, so exactly one caller sees it unused; the engine's save then keeps it until the
 * token's expiry. The engine checks the signature before it asks, so only valid tokens claim an id.
 */
function replayAdapter(base: Adapter, kv: Kv, organizationId: string): Adapter {
  return {
    ...base,
    async find(id) {
      const claim = JSON.stringify({ org: organizationId, payload: { jti: id } });
      const isFirst = await kv.set(kvKeys.artifact('ReplayDetection', id), claim, { ttlSeconds: REPLAY_CLAIM_SECONDS, onlyIfAbsent: true });
      return isFirst ? undefined : { jti: id };
    },
  };
}

/** `resetIdentifier()` rotation destroys the old id while the same session lives on under a new one. */
function isRotation(id: string): boolean {
  const session = engineContext()?.oidc?.entities?.Session;
  return session !== undefined && session.oldId === id && session.id !== id;
}

const isLogoutConfirm = () => engineContext()?.oidc?.route === 'end_session_confirm';

/** oidc-provider's `adapter` option for one organization's engine. */
export function createAdapterFactory(deps: AdapterFactoryDeps): PortaAdapterFactory {
  const { db, kv, log, clock, organizationId } = deps;
  const kvAdapter = (model: string) => createKvAdapter(model, { kv, clock, log, organizationId, onConsumeLost: consumeLost(model) });
  // A token and its grant are read once per engine request, however many models the engine asks.
  const lookups = createRequestLookups(db, clock, organizationId, deps.requestKey ?? engineContext);

  // An arrow function: the engine calls it (instead of `new`) once per model.
  const factory = (model: string): Adapter => {
    if (model === 'Client') return clientAdapter(deps);
    if (model === 'InitialAccessToken') return initialAccessTokenAdapter(deps.findInitialAccessToken);
    if (model === 'RegistrationAccessToken') return hashedIds(createPgAdapter(model, { db, clock, organizationId, onConsumeLost: consumeLost(model) }));
    if (DURABLE_MODELS.has(model)) {
      return logoutTolerant(createPgAdapter(model, { db, clock, organizationId, onConsumeLost: consumeLost(model), lookups }), log);
    }
    if (model === 'ClientCredentials') {
      const base = kvAdapter(model);
      // Introspection looks a value up as every kind of token at once: one found in PostgreSQL is not here too.
      return { ...base, find: async (id) => ((await lookups.isDurableToken(id)) ? undefined : base.find(id)) };
    }
    if (model === 'Session') return sessionAdapter(kvAdapter(model));
    if (model === 'ReplayDetection') return replayAdapter(kvAdapter(model), kv, organizationId);
    if (model === 'DeviceCode') {
      const base = kvAdapter(model);
      return { ...base, upsert: (id, payload, expiresIn) => base.upsert(id, payload, (expiresIn ?? 0) + DEVICE_CODE_KEPT_SECONDS) };
    }
    return kvAdapter(model);
  };

  /**
   * Spec 10 §9 point 1: an explicit destroy (logout, admin revocation) deletes every grant named in the
   * session's authorizations with its tokens, then the session. The cascade's failure is logged and the
   * session destroyed anyway: logging out always works. Rotation and natural expiry cascade nothing.
   */
  async function cascade(payload: AdapterPayload): Promise<void> {
    const authorizations = (payload.authorizations ?? {}) as Record<string, { grantId?: string }>;
    const grantIds = Object.values(authorizations).map((a) => a.grantId).filter((g): g is string => typeof g === 'string');
    if (grantIds.length === 0) return;
    try {
      await revokeGrantsByIds(grantIds);
    } catch (err) {
      log.error({ err, grants: grantIds.length }, 'oidc.logout.cascade_failed');
    }
  }

  function sessionAdapter(base: Adapter): Adapter {
    return {
      ...base,
      async destroy(id) {
        if (isRotation(id)) return base.destroy(id);
        const payload = await base.find(id);
        if (payload) await cascade(payload);
        await base.destroy(id);
        if (typeof payload?.uid === 'string') deps.mirror?.mirrorDestroyed(payload.uid);
      },
    };
  }

  /**
   * The loser of a concurrent consume: revoke as the engine's reuse path does (revokeGrantPolicy is the
   * default, so the grant goes with every token and code of it), then throw its error. An artifact that
   * is already gone was revoked or expired by whoever removed it; there is nothing left to revoke.
   */
  function consumeLost(model: string) {
    const reuse = REUSE[model] ?? { error: () => new errors.InvalidGrant(`${model} already consumed`), isGrantRevoked: false };
    return async (payload: AdapterPayload | undefined): Promise<never> => {
      const grantId = payload?.grantId;
      if (reuse.isGrantRevoked && grantId) {
        await revokeGrantsByIds([grantId]);
        const ctx = engineContext();
        ctx?.oidc?.provider?.emit('grant.revoked', ctx, grantId);
      }
      throw reuse.error();
    };
  }

  async function revokeGrantsByIds(grantIds: string[]): Promise<number> {
    const unique = [...new Set(grantIds.filter(Boolean))];
    const deleted = await deleteGrants(db, organizationId, unique);
    await revokeKvArtifacts(unique);
    return deleted;
  }

  async function revokeKvArtifacts(grantIds: string[]): Promise<void> {
    const cleanups = KV_GRANTABLE_MODELS.flatMap((model) => grantIds.map((grantId) => kvAdapter(model).revokeByGrantId(grantId)));
    const failed = (await Promise.allSettled(cleanups)).filter((r) => r.status === 'rejected');
    if (failed.length > 0) log.warn({ err: (failed[0] as PromiseRejectedResult).reason, failures: failed.length }, 'oidc.adapter.grant_cleanup_failed');
  }

  return Object.assign(factory, {
    revokeGrantsByIds,
    async destroySession(sessionUid: string) {
      const id = await kv.get(kvKeys.uid('Session', sessionUid));
      if (id === null) return undefined;
      const adapter = sessionAdapter(kvAdapter('Session'));
      const payload = await adapter.find(id);
      if (!payload) return undefined;
      await adapter.destroy(id);
      return payload;
    },
    async revokeClient(clientId: string) {
      const { deleted, grantIds } = await deleteClientPayloads(db, organizationId, clientId);
      await afterCommit(() => revokeKvArtifacts(grantIds));
      return deleted;
    },
    async revokeAccount(accountId: string) {
      const { deleted, grantIds } = await deleteAccountPayloads(db, organizationId, accountId);
      await afterCommit(() => revokeKvArtifacts(grantIds));
      return deleted;
    },
    accountGrants: (accountId: string) => findAccountGrants(db, organizationId, accountId, clock),
    purgeExpired: () => deleteExpired(db, clock),
  });
}

/**
 * While the engine confirms a logout it revokes each client's grant itself before destroying the
 * session; with PostgreSQL down that would fail the logout. There, and only there, a failed delete is
 * logged and skipped: the session cascade retries it and orphans expire by TTL.
 */
function logoutTolerant(base: Adapter, log: Log): Adapter {
  const tolerate = (op: 'destroy' | 'revokeByGrantId') => async (id: string) => {
    try {
      await base[op](id);
    } catch (err) {
      if (!isLogoutConfirm()) throw err;
      log.error({ err }, 'oidc.logout.revoke_failed');
    }
  };
  return { ...base, destroy: tolerate('destroy'), revokeByGrantId: tolerate('revokeByGrantId') };
}

function clientAdapter({ findClient, saveClient, removeClient }: AdapterFactoryDeps): Adapter {
  const none = async () => undefined;
  return {
    find: async (id) => ((await findClient?.(id)) as AdapterPayload | undefined) ?? undefined,
    upsert: async (id, payload) => saveClient?.(id, payload),
    findByUid: none,
    findByUserCode: none,
    consume: none,
    destroy: async (id) => removeClient?.(id),
    revokeByGrantId: none,
  };
}

/** Initial access tokens are Porta's (made by admins, stored hashed): the engine only finds them. */
function initialAccessTokenAdapter(find: AdapterFactoryDeps['findInitialAccessToken']): Adapter {
  const none = async () => undefined;
  return {
    find: async (id) => (await find?.(id)) ?? undefined,
    upsert: none,
    findByUid: none,
    findByUserCode: none,
    consume: none,
    destroy: none,
    revokeByGrantId: none,
  };
}

const sha256Id = (id: string) => createHash('sha256').update(id, 'utf8').digest('base64url');

/**
 * A bearer token's row keyed by the SHA-256 of its value, the value itself never stored: the engine's
 * opaque tokens are their own id (registration access tokens are long-lived credentials).
 */
function hashedIds(base: Adapter): Adapter {
  return {
    ...base,
    upsert: (id, payload, expiresIn) => base.upsert(sha256Id(id), { ...payload, jti: undefined }, expiresIn),
    async find(id) {
      const payload = await base.find(sha256Id(id));
      return payload && { ...payload, jti: id };
    },
    destroy: (id) => base.destroy(sha256Id(id)),
  };
}
