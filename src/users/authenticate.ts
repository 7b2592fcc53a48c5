import type { Clock } from '../platform/clock.js';
import { randomUUID } from 'node:crypto';
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

type Failure = Extract<AuthenticateResult, { ok: false }>;

/**
 * Whether the account's existing sessions and tokens still work. An automatic lock stops new sign-ins
 * only: otherwise anyone who knows an address could sign its owner out by failing on purpose.
 */
export function hasUsableSessions(user: Pick<User, 'status' | 'lockedReason'>): boolean {
  return user.status === 'active' || (user.status === 'locked' && user.lockedReason === 'auto_lockout');
}

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
    if (Number.isFinite(value) && value >= 1 && value <= max) return Math.floor(value);
    log.warn({ key, value }, 'user.lockout_setting_invalid');
    return fallback;
  }

  /**
   * What an attempt that cannot succeed costs: the same reservation statement as an active account's
   * (it matches no active row, so it writes nothing) and one Argon2 check, so that an unknown e-mail, a
   * locked account and a wrong password take the same time and tell an attacker nothing.
   */
  async function refuseAlike(orgId: string, userId: string | undefined, plain: string, at: Date, threshold: number): Promise<void> {
    await repo.reservePasswordCheck(isUuid(orgId) ? orgId : randomUUID(), userId ?? randomUUID(), at, threshold);
    await passwords.verifyDummy(plain);
  }

  /**
   * A hash made with weaker parameters than configured (PASSWORD_HASH_*, or an earlier default) is replaced
   * at a successful sign-in, the one moment the password is known; a failure leaves the old hash, which
   * still verifies.
   */
  async function upgradeHash(orgId: string, id: string, verified: string, plain: string): Promise<void> {
    try {
      const upgraded = await passwords.hash(plain);
      if (await repo.upgradePasswordHash(orgId, id, verified, upgraded)) log.info({ userId: id }, 'user.password_rehashed');
    } catch (err) {
      log.warn({ err, userId: id }, 'user.password_rehash_failed');
    }
  }

  /** The status a refused attempt reports once its check could not run (status changed meanwhile). */
  async function statusReason(orgId: string, id: string): Promise<AuthFailureReason> {
    const status = (await repo.findById(orgId, id))?.status;
    return status === 'inactive' || status === 'suspended' ? `status_${status}` : 'status_locked';
  }

  /**
   * An active account's check, reserved before Argon2 runs (`reservePasswordCheck`): the threshold-th
   * reservation locks the account, so at most `threshold` passwords are evaluated per lockout window and
   * none after the lock, the right one included. A right password counts only if the account is still
   * active, or under the lock its own reservation took.
   */
  async function checkActive(orgId: string, user: User, plain: string, at: Date, threshold: number, base: Partial<Failure>): Promise<AuthenticateResult> {
    const slot = await repo.reservePasswordCheck(orgId, user.id, at, threshold);
    if (!slot || slot.attempt > threshold) {
      await passwords.verifyDummy(plain);
      if (!slot) return { ok: false, reason: await statusReason(orgId, user.id), ...base };
      // At or past a lowered threshold: this reservation locked the account without a check.
      return { ok: false, reason: 'status_locked', ...base, failedCount: slot.attempt, locked: true, threshold };
    }
    const isLockHolder = slot.attempt === threshold;
    const isMatch = slot.passwordHash !== null ? await passwords.verify(slot.passwordHash, plain) : await passwords.verifyDummy(plain);
    if (!isMatch) {
      // The reservation already counted this failure and, at the threshold, took the lock: nothing to write.
      const reason = slot.passwordHash === null ? 'no_password' : 'bad_password';
      return { ok: false, reason, ...base, failedCount: slot.attempt, ...(isLockHolder ? { locked: true as const, threshold } : {}) };
    }
    const signedIn = await repo.confirmPasswordCheck(orgId, user.id, { at, previousFailedAt: user.lastFailedLoginAt, isLockHolder });
    if (!signedIn) return { ok: false, reason: await statusReason(orgId, user.id), ...base };
    if (slot.passwordHash !== null && passwords.needsRehash(slot.passwordHash)) await upgradeHash(orgId, user.id, slot.passwordHash, plain);
    return { ok: true, user: signedIn, ...(base.unlockedAfterCooldown ? { unlockedAfterCooldown: true as const } : {}) };
  }

  /**
   * Password login check, spec 60 §2 steps 3–7 and 50 §10. Every path runs exactly one Argon2
   * verification, so unknown, passwordless and non-active accounts cost the same as a real check; only an
   * active account's hash is ever checked, and only within its reserved attempts. Does not record the
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
    let user = isLookupable ? await repo.findByEmail(orgId, address) : null;
    const at = new Date(clock.now());
    if (!user) {
      await refuseAlike(orgId, undefined, plain, at, threshold);
      return { ok: false, reason: 'unknown_user' };
    }

    let isUnlocked = false;
    if (user.status === 'locked' && user.lockedReason === 'auto_lockout' && user.lockedAt !== null) {
      const cooldownEnd = Date.parse(user.lockedAt) + cooldownMinutes * MINUTE_MS;
      if (cooldownEnd <= at.getTime()) {
        // Conditional on the lock it read: of concurrent attempts, one lifts it; all then count afresh.
        isUnlocked = await repo.unlockAfterCooldown(orgId, user.id, new Date(at.getTime() - cooldownMinutes * MINUTE_MS));
        user = (await repo.findById(orgId, user.id)) ?? user;
      }
    }

    const base = { userId: user.id, ...(isUnlocked ? { unlockedAfterCooldown: true as const } : {}) };
    if (!user.hasPassword) {
      await refuseAlike(orgId, undefined, plain, at, threshold);
      return { ok: false, reason: 'no_password', ...base };
    }
    if (user.status !== 'active') {
      await refuseAlike(orgId, user.id, plain, at, threshold);
      return { ok: false, reason: `status_${user.status}`, ...base };
    }
    return checkActive(orgId, user, plain, at, threshold, base);
  };
}
