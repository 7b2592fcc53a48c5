import type { Actor } from '../actors/index.js';
import { AppError } from '../platform/errors.js';
import type { Core, Subject } from './core.js';
import { SecretUnreadable } from './crypto.js';
import { invalidSetupCode, methodNotAllowed, noPendingTotp, twoFactorAlreadyEnabled } from './errors.js';
import { sendFactorChangeNotice } from './notify.js';
import { hashOtpCode, MAX_LIVE_OTP_CODES, newOtpCode } from './otp.js';
import { isMethodAllowed } from './policy.js';
import { qrCodeDataUri } from './qr.js';
import { base32Of, matchTotpStep, newTotpSecret, otpauthUrl } from './totp.js';

/** What the setup page shows once: the secret as text and as a QR code of its `otpauth://` URI. */
export interface TotpEnrolmentStart {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauthUrl: string;
  /** `data:image/png;base64,…` */
  qrCodeDataUri: string;
}

/** The ten recovery codes, shown once. */
export interface RecoveryCodesIssued {
  recoveryCodes: string[];
}

/** The sealed TOTP secret is bound to its user: a row copied to another account does not open. */
export const totpContext = (userId: string) => `porta:user_totp:${userId}`;

export const totpSecretUnreadable = () =>
  new AppError('unavailable', 'totp_secret_unreadable', 'The authenticator-app secret cannot be read; an administrator can reset two-factor authentication.');

/**
 * How an e-mailed code may serve the user now: as their enrolled factor (`challenge`), to enrol e-mail
 * (`enrol`, only while they hold no factor the policy accepts), or not at all (null).
 */
export function emailUse(s: Subject, hasPasskey: boolean): 'challenge' | 'enrol' | null {
  if (!isMethodAllowed(s.policy, 'email')) return null;
  if (s.user.twoFactorEnabled && s.user.twoFactorMethod === 'email') return 'challenge';
  return holdsAcceptedFactor(s, hasPasskey) ? null : 'enrol';
}

/** The user already holds a factor the policy accepts: a new one may not be enrolled beside it this way. */
export function holdsAcceptedFactor(s: Subject, hasPasskey: boolean): boolean {
  const method = s.user.twoFactorEnabled ? s.user.twoFactorMethod : null;
  return (method !== null && isMethodAllowed(s.policy, method)) || (hasPasskey && isMethodAllowed(s.policy, 'passkey'));
}

/**
 * Spec 60 §4 setup: TOTP enrolment in two steps, e-mail codes (challenge, resend, enrolment) and turning
 * e-mail on after the first good code. Enrolment is open only while the user holds no second factor the
 * organization's policy accepts, so someone who got past the first factor cannot replace the real second
 * factor with one of their own.
 */
export function createEnrolment(core: Core) {
  const { deps, repo, box, now, record } = core;
  const { db } = deps;
  const hasPasskey = async (s: Subject) => ((await deps.passkeys?.().countForUser(s.user.organizationId, s.user.id)) ?? 0) > 0;

  async function assertMayEnrol(s: Subject, method: 'totp' | 'email'): Promise<void> {
    if (!isMethodAllowed(s.policy, method)) throw methodNotAllowed(method, s.policy);
    if (holdsAcceptedFactor(s, await hasPasskey(s))) throw twoFactorAlreadyEnabled(s.user.twoFactorMethod ?? 'passkey');
  }

  /** Issues recovery codes, turns `method` on and notifies, in the caller's transaction. */
  async function enable(actor: Actor, s: Subject, method: 'totp' | 'email', hashes: string[], count: number): Promise<void> {
    await core.setMethod(s.user, method);
    if (method === 'email') await repo.deleteTotp(s.user.organizationId, s.user.id);
    await repo.replaceRecoveryCodes(s.user.organizationId, s.user.id, hashes, now());
    await sendFactorChangeNotice(deps.mail(), s.user, s.org, method === 'totp' ? 'totp_enrolled' : 'email_enrolled', now());
    await record(actor, s.user, `2fa.setup.${method}.complete`, { recoveryCodes: count });
  }

  async function enableEmail(actor: Actor, orgId: string, userId: string): Promise<RecoveryCodesIssued> {
    const s = await core.subject(orgId, userId);
    core.assertOwner(actor, s.user);
    await assertMayEnrol(s, 'email');
    const { codes, hashes } = await core.prepareRecoveryCodes();
    await db.transaction(() => enable(actor, s, 'email', hashes, codes.length));
    return { recoveryCodes: codes };
  }

  return {
    enableEmail,

    /** Stores a new, unverified secret (replacing a pending one) and returns what the setup page shows. */
    async startTotpEnrolment(actor: Actor, orgId: string, userId: string): Promise<TotpEnrolmentStart> {
      const s = await core.subject(orgId, userId);
      core.assertOwner(actor, s.user);
      await assertMayEnrol(s, 'totp');
      const secret = newTotpSecret();
      const sealed = box.seal(secret, totpContext(s.user.id));
      const url = otpauthUrl(secret, s.org.branding.companyName ?? s.org.slug, s.user.email);
      const qr = await qrCodeDataUri(url);
      await db.transaction(async () => {
        await repo.saveTotp(orgId, userId, sealed, now());
        await record(actor, s.user, '2fa.setup.totp.started');
      });
      return { secret: base32Of(secret), otpauthUrl: url, qrCodeDataUri: qr };
    },

    /**
     * The enrolment started and not yet confirmed, shown again (the setup page reloaded, a mistyped code):
     * the same secret, so the app that scanned it keeps working. Null when none is pending or its secret
     * does not open. A read: only the account owner, and only while they may enrol.
     */
    async resumeTotpEnrolment(actor: Actor, orgId: string, userId: string): Promise<TotpEnrolmentStart | null> {
      const s = await core.subject(orgId, userId);
      core.assertOwner(actor, s.user);
      await assertMayEnrol(s, 'totp');
      const pending = await repo.findTotpSecret(orgId, userId);
      if (!pending || pending.isVerified) return null;
      let secret: Buffer;
      try {
        secret = box.open(pending.sealed, totpContext(userId));
      } catch (err) {
        if (!(err instanceof SecretUnreadable)) throw err;
        return null;
      }
      const url = otpauthUrl(secret, s.org.branding.companyName ?? s.org.slug, s.user.email);
      return { secret: base32Of(secret), otpauthUrl: url, qrCodeDataUri: await qrCodeDataUri(url) };
    },

    /**
     * A code from the app proves the secret arrived: TOTP is enabled with that step used, ten recovery
     * codes replace any earlier ones, the user is notified. A wrong code is audited and throws
     * `invalid_two_factor_code`; the enrolment stays pending.
     */
    async confirmTotpEnrolment(actor: Actor, orgId: string, userId: string, code: string): Promise<RecoveryCodesIssued> {
      const s = await core.subject(orgId, userId);
      core.assertOwner(actor, s.user);
      await assertMayEnrol(s, 'totp');
      const pending = await repo.findTotpSecret(orgId, userId);
      if (!pending || pending.isVerified) throw noPendingTotp();
      let secret: Buffer;
      try {
        secret = box.open(pending.sealed, totpContext(userId));
      } catch (err) {
        if (!(err instanceof SecretUnreadable)) throw err;
        deps.log.error({ organizationId: orgId, userId }, 'two_factor.totp_secret_unreadable: the pending secret does not open with TWO_FACTOR_ENCRYPTION_KEY');
        throw totpSecretUnreadable();
      }
      const step = typeof code === 'string' ? matchTotpStep(secret, code, deps.clock.now()) : null;
      if (step === null) {
        await db.transaction(() => record(actor, s.user, '2fa.setup.totp.failed', { reason: 'invalid_code' }));
        throw invalidSetupCode();
      }
      const { codes, hashes } = await core.prepareRecoveryCodes();
      await db.transaction(async () => {
        // One winner among concurrent confirmations, and never a secret replaced since it was read.
        if (!(await repo.verifyTotp(orgId, userId, pending.sealed.ciphertext, step))) throw noPendingTotp();
        await enable(actor, s, 'totp', hashes, codes.length);
      });
      return { recoveryCodes: codes };
    },

    /**
     * Spec 60 §4 e-mail OTP: a new code (≤ 5 live per user, the oldest dropped) valid `otp_code_ttl`,
     * e-mailed with the `otp_code` template, the code in the body only. For the user's enrolled e-mail
     * factor, or to enrol e-mail; otherwise `two_factor_method_not_allowed`.
     */
    async sendEmailOtp(actor: Actor, orgId: string, userId: string, options: { locale?: string | null; isResend?: boolean } = {}): Promise<void> {
      const s = await core.subject(orgId, userId);
      core.assertOwner(actor, s.user);
      const use = emailUse(s, await hasPasskey(s));
      if (use === null) throw methodNotAllowed('email', s.policy);
      const code = newOtpCode();
      const ttl = await deps.settings.getDuration('otp_code_ttl');
      const at = now();
      await db.transaction(async () => {
        await repo.insertOtpCode(orgId, userId, hashOtpCode(code), at, new Date(at.getTime() + ttl * 1000), MAX_LIVE_OTP_CODES);
        await deps.mail().enqueue({
          organizationId: orgId, to: s.user.email, template: 'otp_code', locale: options.locale ?? s.user.locale,
          data: { code, minutes: Math.round(ttl / 60), userName: s.user.givenName ?? null, organizationName: s.org.branding.companyName ?? s.org.name },
        });
        await record(actor, s.user, options.isResend ? '2fa.otp.resent' : '2fa.otp.sent', { purpose: use });
      });
    },

    hasPasskey,
  };
}
