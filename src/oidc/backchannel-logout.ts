import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Client } from 'oidc-provider';
import { systemActor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Log } from '../platform/log.js';
import { currentTenant } from './tenant-scope.js';

/** OIDC Back-Channel Logout 1.0 §2.4: the event member that makes a JWT a logout token. */
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutDeliveryPolicy {
  /** Bound on one POST, from connecting to the response status. */
  timeoutMs: number;
  /** Pause before each retry; attempts = retries + 1. */
  retryDelaysMs: readonly number[];
  /** How long closing Porta waits for deliveries under way before it abandons them. */
  drainMs: number;
}

/** Three attempts within about 20 s, well inside the token's 120 s lifetime (one token, one jti, for all of them). */
export const DEFAULT_LOGOUT_DELIVERY: LogoutDeliveryPolicy = { timeoutMs: 5_000, retryDelaysMs: [1_000, 4_000], drainMs: 5_000 };

/** After the drain bound: time left for the failure entries of abandoned deliveries. */
const ABANDON_AUDIT_MS = 1_000;

/** `end_session`: the engine's end-session endpoint; `session_ended`: Porta ended it (admin, suspension, lock, password). */
export type LogoutTrigger = 'end_session' | 'session_ended';

/** What a destroyed session leaves behind: its account and, per client, the `sid` that client was given. */
export interface EndedSession {
  accountId?: unknown;
  authorizations?: unknown;
}

/** Runs `fn` with the engine, in the scope of the organization (nothing when it no longer exists). */
type EngineFor = (organizationId: string, fn: (provider: Provider) => Promise<void>) => Promise<void>;

interface Delivery {
  organizationId: string;
  clientId: string;
  /** the client's internal UUID (audit target) */
  internalId: string | null;
  uri: string;
  sub: string;
  trigger: LogoutTrigger;
}

type Outcome = { isDelivered: true; status: number } | { isDelivered: false; reason: string };

export type BackchannelLogout = ReturnType<typeof createBackchannelLogout>;

/**
 * Sends OIDC Back-Channel Logout tokens from this process, never on the path of the request that ended
 * the session: each delivery is bounded per attempt, retried a few times, logged, and audited when it
 * finally fails. Closing Porta drains what is under way for a bounded time, then abandons the rest.
 */
export function createBackchannelLogout({ log, audit, policy = {} }: {
  log: Log;
  audit: Pick<AuditService, 'recordSafely'>;
  policy?: Partial<LogoutDeliveryPolicy>;
}) {
  const { timeoutMs, retryDelaysMs, drainMs } = { ...DEFAULT_LOGOUT_DELIVERY, ...policy };
  const actor = systemActor('system', 'backchannel-logout');
  const running = new Set<Promise<void>>();
  const hurry = new AbortController();
  const abandon = new AbortController();
  let engineFor: EngineFor | undefined;

  function track(work: Promise<void>): Promise<void> {
    running.add(work);
    void work.finally(() => running.delete(work));
    return work;
  }

  /** Sign once with the organization's keys, then POST until it is accepted or the attempts run out. */
  async function sendNow(provider: Provider, client: Client, sub: string, sid: string | undefined, delivery: Delivery): Promise<void> {
    let token: string;
    try {
      token = await logoutToken(provider, client, sub, sid);
    } catch (err) {
      log.error({ err, clientId: delivery.clientId }, 'session.backchannel_logout.signing_failed');
      return fail(delivery, 'signing_failed', 0);
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await post(delivery.uri, token);
      if (outcome.isDelivered) {
        log.info({ clientId: delivery.clientId, organizationId: delivery.organizationId, status: outcome.status, attempts: attempt }, 'session.backchannel_logout.delivered');
        return;
      }
      const delay = retryDelaysMs[attempt - 1];
      if (delay === undefined || abandon.signal.aborted) return fail(delivery, outcome.reason, attempt);
      log.debug({ clientId: delivery.clientId, reason: outcome.reason, attempt }, 'session.backchannel_logout.retrying');
      await pause(delay);
    }
  }

  /** §2.5 form POST. Only 200 and 204 count (§2.8); a redirect is an answer, never followed. */
  async function post(uri: string, token: string): Promise<Outcome> {
    if (abandon.signal.aborted) return { isDelivered: false, reason: 'shutdown' };
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), abandon.signal]);
    try {
      const res = await fetch(uri, {
        method: 'POST',
        redirect: 'manual',
        signal,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }),
      });
      await res.body?.cancel().catch(() => undefined);
      return res.status === 200 || res.status === 204 ? { isDelivered: true, status: res.status } : { isDelivered: false, reason: `http_${res.status}` };
    } catch {
      if (abandon.signal.aborted) return { isDelivered: false, reason: 'shutdown' };
      return { isDelivered: false, reason: signal.aborted ? 'timeout' : 'network_error' };
    }
  }

  /** The retry pause; cut short once Porta is closing, so the last attempts fit in the drain bound. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (hurry.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        hurry.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      hurry.signal.addEventListener('abort', done, { once: true });
    });
  }

  async function fail(delivery: Delivery, reason: string, attempts: number): Promise<void> {
    const { organizationId, clientId, internalId, sub, trigger } = delivery;
    log.warn({ organizationId, clientId, reason, attempts, trigger }, 'session.backchannel_logout.failed');
    await audit.recordSafely(actor, {
      eventType: 'session.backchannel_logout.failed', eventCategory: 'security', organizationId, userId: sub,
      targetType: 'client', targetId: internalId ?? clientId, metadata: { clientId, reason, attempts, trigger },
    });
  }

  const service = {
    /** How an organization's engine is found (app.ts); without it, sessions Porta ends send nothing. */
    useEngines(resolve: EngineFor): void {
      engineFor = resolve;
    },

    /** Queues one logout token for a client with a `backchannel_logout_uri`; resolves when it is settled. */
    send(provider: Provider, client: Client, sub: string, sid: string | undefined, context: { organizationId: string; trigger: LogoutTrigger }): Promise<void> {
      const uri = client.backchannelLogoutUri;
      if (!uri) return Promise.resolve();
      const porta = client.metadata().porta as { internal_id?: string } | undefined;
      const delivery: Delivery = { ...context, clientId: client.clientId, internalId: porta?.internal_id ?? null, uri, sub };
      return track(sendNow(provider, client, sub, sid, delivery));
    },

    /**
     * A session Porta destroyed itself (after its transaction committed): a logout token to every client
     * of the session that registered a back-channel URI. Returns at once; the work is tracked for drain().
     */
    sessionEnded(organizationId: string, session: EndedSession): void {
      const { accountId } = session;
      const authorizations = (session.authorizations ?? {}) as Record<string, { sid?: string }>;
      if (typeof accountId !== 'string' || Object.keys(authorizations).length === 0) return;
      void track(
        (async () => {
          try {
            await engineFor?.(organizationId, async (provider) => {
              const sends: Array<Promise<void>> = [];
              for (const [clientId, authorization] of Object.entries(authorizations)) {
                const client = await provider.Client.find(clientId).catch(() => undefined);
                if (client) sends.push(service.send(provider, client, accountId, authorization?.sid, { organizationId, trigger: 'session_ended' }));
              }
              await Promise.all(sends);
            });
          } catch (err) {
            log.error({ err, organizationId }, 'session.backchannel_logout.dispatch_failed');
          }
        })(),
      );
    },

    /**
     * Shutdown: retries still waiting make their next attempt at once; whatever is still running after
     * `drainMs` is abandoned and audited as failed with reason `shutdown`.
     */
    async drain(): Promise<void> {
      hurry.abort();
      if (running.size === 0) return;
      if (await settlesWithin([...running], drainMs)) return;
      abandon.abort();
      await settlesWithin([...running], ABANDON_AUDIT_MS);
    },

    /** Deliveries under way (tests, diagnostics). */
    get pending(): number {
      return running.size;
    },
  };
  return service;
}

/**
 * The engine's end-session endpoint calls `client.backchannelLogout(sub, sid)` for each client of the
 * session and awaits them all before it answers; here that call only queues the delivery, so the
 * logout response never waits for a relying party.
 */
export function installBackchannelLogout(provider: Provider, backchannel: BackchannelLogout): void {
  const prototype = provider.Client.prototype as unknown as { backchannelLogout(this: Client, sub: string, sid: string | undefined): Promise<void> };
  prototype.backchannelLogout = async function backchannelLogout(this: Client, sub: string, sid: string | undefined) {
    // Queued in the request's tenant scope, which the delivery keeps: the token is signed as this issuer.
    void backchannel.send(provider, this, sub, sid, { organizationId: currentTenant().org.id, trigger: 'end_session' });
  };
}

/**
 * The logout token exactly as the engine's own Client#backchannelLogout builds it (§2.4): its IdToken
 * model with `use: 'logout'` (typ `logout+jwt`, iss, aud, iat, 120 s exp, the client's ID token signing
 * algorithm and the organization's key), `sub` only from the account, `events`, a fresh `jti`, and the
 * `sid` when the client requires it. No nonce.
 */
async function logoutToken(provider: Provider, client: Client, sub: string, sid: string | undefined): Promise<string> {
  const token = new provider.IdToken({ sub }, { client });
  (token as unknown as { mask: object }).mask = { sub: null };
  token.set('events', { [LOGOUT_EVENT]: {} });
  token.set('jti', randomUUID());
  if (client.backchannelLogoutSessionRequired) token.set('sid', sid);
  return token.issue({ use: 'logout' });
}

async function settlesWithin(work: Array<Promise<void>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(work).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
