import type { Actor } from '../actors/index.js';
import type { Core, Subject } from './core.js';
import { SecretUnreadable } from './crypto.js';
import { emailUse, totpContext, type createEnrolment } from './enrolment.js';
import { sendFactorChangeNotice } from './notify.js';
import { hashOtpCode, MAX_OTP_ATTEMPTS, normalizeOtpCode } from './otp.js';
import { isMethodAllowed } from './policy.js';
import { normalizeRecoveryCode, RECOVERY_CODE_COUNT } from './recovery.js';
import { matchTotpStep, normalizeTotpCode } from './totp.js';

/** `codeType` of the verify form (spec 60 §4): an e-mailed code, an app code, or a recovery code. */
export type CodeType = 'otp' | 'totp' | 'recovery';

/** Why a code was refused; the page shows one message for all of them, the audit entry keeps the reason. */
export type VerifyFailure =
  | 'invalid_code'
  | 'used'
  | 'expired'
  | 'too_many_attempts'
  | 'replayed'
  | 'not_enrolled'
  | 'method_not_allowed'
  | 'secret_unreadable';

export type VerifyResult =
  | {
    ok: true;
    /** What was verified, as `amrFor` takes it. */
    method: 'email' | 'totp' | 'recovery';
    /** After a recovery code: how many are left. */
    recoveryCodesRemaining?: number;
    /** The first good e-mailed code of an e-mail enrolment: the recovery codes, shown once. */
    recoveryCodes?: string[];
  }
  | { ok: false; reason: VerifyFailure };

const METHOD_OF: Record<CodeType, 'email' | 'totp' | 'recovery'> = { otp: 'email', totp: 'totp', recovery: 'recovery' };

/**
 * Spec 60 §4 verification. Each code and step works once, atomically: an e-mailed or recovery code by one
 * `UPDATE … WHERE used_at IS NULL`, a TOTP step by raising `last_used_step` only above its current value.
 * A code is accepted only for a factor the policy accepts; audit `2fa.verify.success` {method},
 * `2fa.verify.failed` {method, reason}, `2fa.recovery.used` {remaining}.
 */
export function createVerification(core: Core, enrolment: ReturnType<typeof createEnrolment>) {
  const { deps, repo, box, now, record } = core;
  const { db } = deps;

  const fail = async (actor: Actor, s: Subject, codeType: CodeType, reason: VerifyFailure, inTransaction?: () => Promise<void>) => {
    await db.transaction(async () => {
      await inTransaction?.();
      await record(actor, s.user, '2fa.verify.failed', { method: METHOD_OF[codeType], reason });
    });
    return { ok: false as const, reason };
  };
  const succeed = (actor: Actor, s: Subject, method: 'email' | 'totp' | 'recovery') => record(actor, s.user, '2fa.verify.success', { method });

  async function verifyOtp(actor: Actor, s: Subject, input: string): Promise<VerifyResult> {
    const use = emailUse(s, await enrolment.hasPasskey(s));
    if (use === null) return fail(actor, s, 'otp', 'method_not_allowed');
    const code = normalizeOtpCode(input);
    if (code === null) return fail(actor, s, 'otp', 'invalid_code');
    const { organizationId: orgId, id: userId } = s.user;
    const hash = hashOtpCode(code);
    const at = now();
    const isUsed = await db.transaction(async () => {
      if (!(await repo.consumeOtpCode(orgId, userId, hash, at, MAX_OTP_ATTEMPTS))) return false;
      await succeed(actor, s, 'email');
      return true;
    });
    if (!isUsed) {
      const reason = await repo.otpRefusal(orgId, userId, hash, at, MAX_OTP_ATTEMPTS);
      return fail(actor, s, 'otp', reason, () => repo.countOtpFailure(orgId, userId, at));
    }
    if (use === 'challenge') return { ok: true, method: 'email' };
    // Spec 60 §4: the first good code of an e-mail setup enables it and shows the recovery codes once.
    const { recoveryCodes } = await enrolment.enableEmail(actor, orgId, userId);
    return { ok: true, method: 'email', recoveryCodes };
  }

  async function verifyTotp(actor: Actor, s: Subject, input: string): Promise<VerifyResult> {
    const { organizationId: orgId, id: userId } = s.user;
    if (!s.user.twoFactorEnabled || s.user.twoFactorMethod !== 'totp') return fail(actor, s, 'totp', 'not_enrolled');
    if (!isMethodAllowed(s.policy, 'totp')) return fail(actor, s, 'totp', 'method_not_allowed');
    const code = normalizeTotpCode(input);
    if (code === null) return fail(actor, s, 'totp', 'invalid_code');
    const enrolled = await repo.findTotpSecret(orgId, userId);
    if (!enrolled?.isVerified) return fail(actor, s, 'totp', 'not_enrolled');
    let secret: Buffer;
    try {
      secret = box.open(enrolled.sealed, totpContext(userId));
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      // docs/two-factor.md: a changed TWO_FACTOR_ENCRYPTION_KEY; the user signs in with a recovery code or an admin resets.
      deps.log.error({ organizationId: orgId, userId }, 'two_factor.totp_secret_unreadable: the TOTP secret does not open with TWO_FACTOR_ENCRYPTION_KEY (was the key changed?)');
      return fail(actor, s, 'totp', 'secret_unreadable');
    }
    const step = matchTotpStep(secret, code, deps.clock.now());
    if (step === null) return fail(actor, s, 'totp', 'invalid_code');
    const isClaimed = await db.transaction(async () => {
      if (!(await repo.claimTotpStep(orgId, userId, step))) return false;
      await succeed(actor, s, 'totp');
      return true;
    });
    return isClaimed ? { ok: true, method: 'totp' } : fail(actor, s, 'totp', 'replayed');
  }

  /**
   * Every unused hash is checked and the work padded to ten Argon2 verifications, whichever matches and
   * however many are left, so the time taken tells nothing. The checks run in parallel (libuv pool).
   */
  async function verifyRecovery(actor: Actor, s: Subject, input: string): Promise<VerifyResult> {
    const { organizationId: orgId, id: userId } = s.user;
    const method = s.user.twoFactorEnabled ? s.user.twoFactorMethod : null;
    if (!s.user.twoFactorEnabled) return fail(actor, s, 'recovery', 'not_enrolled');
    // A recovery code stands in for the enrolled factor: it never satisfies a policy that factor does not.
    if (!isMethodAllowed(s.policy, method ?? 'passkey')) return fail(actor, s, 'recovery', 'method_not_allowed');
    const code = normalizeRecoveryCode(input);
    if (code === null) return fail(actor, s, 'recovery', 'invalid_code');
    const unused = await repo.findUnusedRecoveryHashes(orgId, userId);
    const checks = unused.map((row) => deps.passwords.verify(row.hash, code));
    for (let i = unused.length; i < RECOVERY_CODE_COUNT; i++) checks.push(deps.passwords.verifyDummy(code));
    const results = await Promise.all(checks);
    const match = unused.find((_, i) => results[i] === true);
    if (!match) return fail(actor, s, 'recovery', 'invalid_code');
    const remaining = await db.transaction(async () => {
      if (!(await repo.consumeRecoveryCode(orgId, userId, match.id, now()))) return null;
      const left = (await repo.countRecoveryCodes(orgId, userId)).remaining;
      await sendFactorChangeNotice(deps.mail(), s.user, s.org, 'recovery_code_used', now(), { remaining: left });
      await record(actor, s.user, '2fa.recovery.used', { remaining: left }, 'security');
      await succeed(actor, s, 'recovery');
      return left;
    });
    return remaining === null ? fail(actor, s, 'recovery', 'used') : { ok: true, method: 'recovery', recoveryCodesRemaining: remaining };
  }

  return {
    /** Checks one code of the user's (the account owner, mid-sign-in); never throws for a wrong code. */
    async verify(actor: Actor, orgId: string, userId: string, input: { code: string; codeType: CodeType }): Promise<VerifyResult> {
      const s = await core.subject(orgId, userId);
      core.assertOwner(actor, s.user);
      const code = typeof input.code === 'string' ? input.code : '';
      if (input.codeType === 'otp') return verifyOtp(actor, s, code);
      if (input.codeType === 'totp') return verifyTotp(actor, s, code);
      if (input.codeType === 'recovery') return verifyRecovery(actor, s, code);
      return fail(actor, s, 'otp', 'invalid_code');
    },
  };
}
