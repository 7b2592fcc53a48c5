import type { Clock } from '../platform/clock.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import type { PasswordHasher } from './passwords.js';
import type { User, UserRepo } from './repo.js';

/** Read access to system configuration numbers (the system-config service). */
export interface UserSettings {
  getNumber(key: string): Promise<number>;
}

/** Spec 40 §5 defaults, used when a setting is missing or out of range. */
export const LOCKOUT_DEFAULTS = Object.freeze({ threshold: 5, cooldownMinutes: 15 });

export type AuthFailureReason = 'unknown_user' | 'bad_password' | 'status_inactive' | 'status_suspended' | 'status_locked' | 'no_password';

/**
 * `unlockedAfterCooldown`: this attempt lifted an automatic lock (audit `user.unlocked` {trigger: cooldown_elapsed}).
 * `locked`: this attempt reached the threshold (audit `user.locked` {trigger: auto_lockout, failedCount, threshold}).
 */
export type AuthenticateResult =
  | { ok: true; user: User; unlockedAfterCooldown?: true }
  | {
      ok: false;
      reason: AuthFailureReason;
      userId?: string;
      failedCount?: number;
      locked?: true;
      threshold?: number;
      unlockedAfterCooldown?: true;
    };

interface AuthenticatorDeps {
  repo: UserRepo;
  clock: Clock;
  log: Log;
  passwords: PasswordHasher;
  settings: UserSettings;
}

const MINUTE_MS = 60_000;

export function createAuthenticator({ repo, clock, log, passwords, settings }: AuthenticatorDeps) {
  async function readSetting(key: string, fallback: number, max: number): Promise<number> {
    const value = await settings.getNumber(key);
    if (Number.isFinite(value) && value >= 1 && value <= max) return value;
    log.warn({ key, value }, 'user.lockout_setting_invalid');
    return fallback;
  }

  /**
   * Password login check, spec 60 §2 steps 3–7 and 50 §10. Every path runs exactly one Argon2 verification
   * so unknown, passwordless and non-active accounts cost the same as a real check. Does not record the
   * login: call `recordLogin` once the second factor, if any, has passed (step 9).
   */
  return async function authenticate(orgId: string, email: string, password: string): Promise<AuthenticateResult> {
    const plain = typeof password === 'string' ? password : '';
    const address = typeof email === 'string' ? email.trim() : '';
    const [threshold, cooldownMinutes] = await Promise.all([
      readSetting('account_lockout_threshold', LOCKOUT_DEFAULTS.threshold, 100),
      readSetting('account_lockout_cooldown_minutes', LOCKOUT_DEFAULTS.cooldownMinutes, 10080),
    ]);

    const isLookupable = isUuid(orgId) && address.length > 0 && address.length <= 320;
    let creds = isLookupable ? await repo.findCredentialsByEmail(orgId, address) : null;
    if (!creds) {
      await passwords.verifyDummy(plain);
      return { ok: false, reason: 'unknown_user' };
    }

    const at = new Date(clock.now());
    let isUnlocked = false;
    const { user } = creds;
    if (user.status === 'locked' && user.lockedReason === 'auto_lockout' && user.lockedAt !== null) {
      const cooldownEnd = Date.parse(user.lockedAt) + cooldownMinutes * MINUTE_MS;
      if (cooldownEnd <= at.getTime()) {
        isUnlocked = await repo.unlockAfterCooldown(orgId, user.id, new Date(at.getTime() - cooldownMinutes * MINUTE_MS));
        creds = (await repo.findCredentialsByEmail(orgId, address)) ?? creds;
      }
    }

    const current = creds.user;
    const base = { userId: current.id, ...(isUnlocked ? { unlockedAfterCooldown: true as const } : {}) };
    const isMatch = creds.passwordHash !== null ? await passwords.verify(creds.passwordHash, plain) : await passwords.verifyDummy(plain);
    if (creds.passwordHash === null) return { ok: false, reason: 'no_password', ...base };

    if (!isMatch) {
      // Only active accounts count failures: a locked account's counter must not keep climbing.
      if (current.status !== 'active') return { ok: false, reason: 'bad_password', ...base };
      const failure = await repo.recordFailure(orgId, current.id, at, Math.floor(threshold));
      if (!failure) return { ok: false, reason: 'bad_password', ...base };
      return {
        ok: false,
        reason: 'bad_password',
        ...base,
        failedCount: failure.failedLoginCount,
        ...(failure.isLocked ? { locked: true as const, threshold: Math.floor(threshold) } : {}),
      };
    }

    if (current.status !== 'active') return { ok: false, reason: `status_${current.status}`, ...base };
    if (current.failedLoginCount !== 0) await repo.clearFailures(orgId, current.id, false);
    return { ok: true, user: { ...current, failedLoginCount: 0 }, ...base };
  };
}
