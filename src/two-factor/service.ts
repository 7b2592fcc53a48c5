import { createTwoFactorAdmin } from './admin.js';
import { createCore, type TwoFactorServiceDeps } from './core.js';
import { createEnrolment } from './enrolment.js';
import { sendFactorChangeNotice, type FactorChange, type FactorChangeDetails } from './notify.js';
import type { EnrolledMethod, TwoFactorPolicy } from './policy.js';
import { createSelfService } from './self-service.js';
import { TOTP_PERIOD_SECONDS } from './totp.js';
import { createVerification } from './verify.js';

/** Spec 20 §4 TwoFactorStatus, with what the sign-in pages also need. */
export interface TwoFactorStatus {
  enabled: boolean;
  method: EnrolledMethod | null;
  /** An authenticator-app secret is stored (verified, or pending confirmation). */
  totpConfigured: boolean;
  totpVerified: boolean;
  recoveryCodesRemaining: number;
  passkeys: number;
  /** The organization's policy now (spec 60 §4: it applies at each sign-in). */
  policy: TwoFactorPolicy;
}

/** Spec 50 §11 export of a user's factors: metadata only, never a secret, code or hash. */
export interface TwoFactorExport {
  enabled: boolean;
  method: EnrolledMethod | null;
  totpConfigured: boolean;
  recoveryCodesRemaining: number;
  totp: { verified: boolean; createdAt: string; updatedAt: string; lastUsedAt: string | null } | null;
  recoveryCodes: { remaining: number; used: number };
  otpCodes: Array<{ createdAt: string; expiresAt: string; usedAt: string | null; attempts: number }>;
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;

/**
 * Second factors (spec 60 §4, spec 20 §5.6): the use cases the sign-in pages, the account portal, the
 * Admin API and the CLI share. Writes take an Actor and audit in their transaction; e-mails go through
 * the outbox and leave after commit.
 */
export function createTwoFactorService(deps: TwoFactorServiceDeps) {
  const core = createCore(deps);
  const { repo } = core;
  const enrolment = createEnrolment(core);
  const { hasPasskey: _hasPasskey, ...enrolmentUseCases } = enrolment;
  const verification = createVerification(core, enrolment);

  return {
    ...enrolmentUseCases,
    ...verification,
    ...createSelfService(core, enrolment, verification),
    ...createTwoFactorAdmin(core),

    /** Whether TWO_FACTOR_ENCRYPTION_KEY is set (authenticator apps need it; e-mail codes do not). */
    isTotpAvailable: core.box.isConfigured,

    async status(orgId: string, userId: string): Promise<TwoFactorStatus> {
      const { user, policy } = await core.subject(orgId, userId);
      const { totp, recoveryCodesRemaining, passkeys } = await repo.factorState(orgId, userId);
      return {
        enabled: user.twoFactorEnabled, method: user.twoFactorMethod, totpConfigured: totp !== null, totpVerified: totp?.isVerified ?? false,
        // As before: without the passkey domain wired (`deps.passkeys`), the user holds none.
        recoveryCodesRemaining, passkeys: deps.passkeys ? passkeys : 0, policy,
      };
    },

    /**
     * The factor-change notice (issue 15 item 5) for changes made elsewhere, such as passkeys added or
     * removed: queued in the caller's transaction, sent after it commits.
     */
    async notifyFactorChange(orgId: string, userId: string, change: FactorChange, details?: FactorChangeDetails): Promise<void> {
      const { user, org } = await core.subject(orgId, userId);
      await sendFactorChangeNotice(deps.mail(), user, org, change, core.now(), details);
    },

    /** Spec 50 §11: what the GDPR export shows of the user's factors. */
    async exportData(orgId: string, userId: string): Promise<TwoFactorExport> {
      const { user } = await core.subject(orgId, userId);
      const [totp, recovery, otpCodes] = await Promise.all([repo.findTotp(orgId, userId), repo.countRecoveryCodes(orgId, userId), repo.listOtpCodes(orgId, userId)]);
      const iso = (d: Date | null) => d?.toISOString() ?? null;
      return {
        enabled: user.twoFactorEnabled, method: user.twoFactorMethod, totpConfigured: totp !== null, recoveryCodesRemaining: recovery.remaining,
        totp: totp && {
          verified: totp.isVerified, createdAt: totp.createdAt.toISOString(), updatedAt: totp.updatedAt.toISOString(),
          lastUsedAt: totp.lastUsedStep === null ? null : new Date(totp.lastUsedStep * TOTP_PERIOD_SECONDS * 1000).toISOString(),
        },
        recoveryCodes: recovery,
        otpCodes: otpCodes.map((c) => ({ createdAt: c.createdAt.toISOString(), expiresAt: c.expiresAt.toISOString(), usedAt: iso(c.usedAt), attempts: c.attempts })),
      };
    },

    /**
     * Spec 50 §11 purge cascade: deletes every factor of the user and turns two-factor authentication off,
     * in the transaction of the purge use case (which authorizes and audits); returns the rows deleted.
     */
    async purgeForUser(orgId: string, userId: string): Promise<number> {
      const deleted = await repo.deleteFactors(orgId, userId);
      await repo.setUserMethod(orgId, userId, null);
      return deleted.totp + deleted.otpCodes + deleted.recoveryCodes;
    },
  };
}
