import { createHash } from 'node:crypto';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { anonymousActor, type Actor } from '../actors/index.js';
import type { AuditEvent } from '../audit/index.js';

export type RateLimitScope = 'login' | 'magic_link' | 'password_reset' | '2fa_verify' | 'otp_resend' | 'token' | 'introspection' | 'admin_write';

export interface RateLimitDecision {
  isAllowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (for `Retry-After`). */
  retryAfter: number;
}

export interface RateLimitServiceDeps {
  kv: Kv;
  log: Log;
  /** Reads `rate_limit_<scope>_max` and `_window` (spec 40 §5). */
  settings: { getNumber(key: string): Promise<number>; getDuration(key: string): Promise<number> };
  audit: { recordSafely(actor: Actor, event: AuditEvent): Promise<void> };
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 32);

export type RateLimitService = ReturnType<typeof createRateLimitService>;

/**
 * Fixed windows in the ephemeral store; the first hit sets the expiry (spec 50 §7). A store failure
 * fails open with a warning. The first rejection per key and window is audited as `security.rate_limited`.
 */
export function createRateLimitService({ kv, log, settings, audit }: RateLimitServiceDeps) {
  return {
    async hit(scope: RateLimitScope, key: string, context: { organizationId?: string | null; ipAddress?: string | null } = {}): Promise<RateLimitDecision> {
      let limit = 0;
      try {
        const [max, window] = await Promise.all([
          settings.getNumber(`rate_limit_${scope}_max`),
          settings.getDuration(`rate_limit_${scope}_window`),
        ]);
        limit = max;
        const keyHash = hashKey(key);
        const counter = await kv.increment(`porta:ratelimit:${scope}:${keyHash}`, window);
        const retryAfter = Math.max(1, Math.ceil(counter.ttlSeconds ?? window));
        const decision = { isAllowed: counter.count <= limit, limit, remaining: Math.max(0, limit - counter.count), retryAfter };
        if (counter.count === limit + 1) {
          await audit.recordSafely(anonymousActor({ ip: context.ipAddress }, 'system'), {
            eventType: 'security.rate_limited',
            eventCategory: 'security',
            organizationId: context.organizationId ?? null,
            description: `Rate limit exceeded (${scope}).`,
            metadata: { scope, keyHash, limit, window },
          });
        }
        return decision;
      } catch (err) {
        log.warn({ err, scope }, 'rate_limit.store_unavailable');
        return { isAllowed: true, limit, remaining: limit, retryAfter: 0 };
      }
    },

    /** Clears a counter (successful login). Best effort. */
    async reset(scope: RateLimitScope, key: string): Promise<void> {
      try {
        await kv.delete(`porta:ratelimit:${scope}:${hashKey(key)}`);
      } catch (err) {
        log.warn({ err, scope }, 'rate_limit.store_unavailable');
      }
    },
  };
}
