import { hash } from 'node:crypto';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { Metrics } from '../platform/metrics.js';
import { anonymousActor, type Actor } from '../actors/index.js';
import type { AuditEvent } from '../audit/index.js';

export type RateLimitScope =
  | 'login'
  | 'login_ip_failures'
  | 'magic_link'
  | 'password_reset'
  | '2fa_verify'
  | 'otp_resend'
  | 'token'
  | 'introspection'
  | 'device_user_code'
  | 'admin_write'
  | 'admin_unauthenticated'
  | 'registration'
  | 'account_change';

export interface RateLimitDecision {
  isAllowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (for `Retry-After`). */
  retryAfter: number;
}

/** Where the limited request came from, for the `security.rate_limited` entry. */
export interface RateLimitContext {
  organizationId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  requestId?: string;
}

export interface RateLimitServiceDeps {
  kv: Kv;
  log: Log;
  /** Reads `rate_limit_<scope>_max` and `_window` (spec 40 §5, migrations 001, 007 and 013). */
  settings: { getNumber(key: string): Promise<number>; getDuration(key: string): Promise<number> };
  audit: { recordSafely(actor: Actor, event: AuditEvent): Promise<void> };
  metrics: Pick<Metrics, 'rateLimited' | 'rateLimitFailedOpen'>;
}

const hashKey = (key: string) => hash('sha256', key, 'base64url').slice(0, 32);
const counterKey = (scope: RateLimitScope, key: string) => `ratelimit:${scope}:${hashKey(key)}`;

export type RateLimitService = ReturnType<typeof createRateLimitService>;

/**
 * Fixed windows in the ephemeral store: `Kv.increment` adds and sets the expiry of a window's first
 * hit in one atomic step (spec 50 §7), one round trip per check; a success given back is taken off the
 * same counter (`Kv.decrement`). A store failure fails open with a warning. The first rejection per
 * key and window is audited as `security.rate_limited`; the key itself (an IP, an e-mail) only hashed.
 */
export function createRateLimitService({ kv, log, settings, audit, metrics }: RateLimitServiceDeps) {
  async function limitOf(scope: RateLimitScope): Promise<{ max: number; window: number }> {
    const [max, window] = await Promise.all([settings.getNumber(`rate_limit_${scope}_max`), settings.getDuration(`rate_limit_${scope}_window`)]);
    return { max, window };
  }

  async function auditFirstRejection(scope: RateLimitScope, key: string, limit: { max: number; window: number }, retryAfter: number, context: RateLimitContext) {
    const keyHash = hashKey(key);
    const isFirst = await kv.set(`ratelimit:${scope}:${keyHash}:audited`, '1', { ttlSeconds: retryAfter, onlyIfAbsent: true });
    if (!isFirst) return;
    const from = { ip: context.ipAddress, userAgent: context.userAgent, requestId: context.requestId };
    await audit.recordSafely(anonymousActor(from, 'system'), {
      eventType: 'security.rate_limited',
      eventCategory: 'security',
      organizationId: context.organizationId ?? null,
      description: `Rate limit exceeded (${scope}).`,
      metadata: { scope, keyHash, limit: limit.max, window: limit.window },
    });
  }

  /** Counts one use; uses given back with `forgive` have already been taken off the counter. */
  async function count(scope: RateLimitScope, key: string, context: RateLimitContext): Promise<RateLimitDecision> {
    let limit = 0;
    try {
      const settingsOfScope = await limitOf(scope);
      limit = settingsOfScope.max;
      const counter = await kv.increment(counterKey(scope, key), settingsOfScope.window);
      const used = counter.count;
      const retryAfter = Math.max(1, Math.ceil(counter.ttlSeconds ?? settingsOfScope.window));
      const decision = { isAllowed: used <= limit, limit, remaining: Math.max(0, limit - used), retryAfter };
      if (!decision.isAllowed) {
        metrics.rateLimited(scope);
        await auditFirstRejection(scope, key, settingsOfScope, retryAfter, context).catch((err: unknown) => log.warn({ err, scope }, 'rate_limit.audit_failed'));
      }
      return decision;
    } catch (err) {
      log.warn({ err, scope }, 'rate_limit.store_unavailable');
      metrics.rateLimitFailedOpen(scope);
      return { isAllowed: true, limit, remaining: limit, retryAfter: 0 };
    }
  }

  return {
    /** Counts one request against `scope` for `key`. */
    hit(scope: RateLimitScope, key: string, context: RateLimitContext = {}): Promise<RateLimitDecision> {
      return count(scope, key, context);
    },

    /**
     * Counts one attempt before it runs, for limits on failures: an attempt that then succeeds is given
     * back with `forgive`. Counting first keeps concurrent attempts within the limit: of `max + s`
     * attempts let through, at most `max` can fail when `s` succeed.
     */
    reserve(scope: RateLimitScope, key: string, context: RateLimitContext = {}): Promise<RateLimitDecision> {
      return count(scope, key, context);
    },

    /** Gives back a reserved attempt that succeeded, within its window (a new window has nothing to give back). Best effort. */
    async forgive(scope: RateLimitScope, key: string): Promise<void> {
      try {
        await kv.decrement(counterKey(scope, key));
      } catch (err) {
        log.warn({ err, scope }, 'rate_limit.store_unavailable');
      }
    },

    /** Clears a counter (successful login). Best effort. */
    async reset(scope: RateLimitScope, key: string): Promise<void> {
      try {
        await kv.delete(counterKey(scope, key), `${counterKey(scope, key)}:audited`);
      } catch (err) {
        log.warn({ err, scope }, 'rate_limit.store_unavailable');
      }
    },
  };
}
