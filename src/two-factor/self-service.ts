import type { Actor } from '../actors/index.js';
import type { Core, Subject } from './core.js';
import type { createEnrolment } from './enrolment.js';
import { invalidSetupCode, twoFactorNotEnabled, twoFactorRequired } from './errors.js';
import { sendFactorChangeNotice } from './notify.js';
import { isMethodAllowed } from './policy.js';
import type { CodeType, createVerification } from './verify.js';

/** A code proving the user holds their second factor right now: one of it, or a recovery code. */
export interface FactorProof {
  code: string;
  codeType: CodeType;
}

/**
 * Under a policy other than `optional`, turning off the enrolled factor must leave one the policy accepts
 * (a passkey): otherwise the next sign-in with the password alone would let whoever knows it enrol a
 * factor of their own (spec 60 §4).
 */
export function assertLeavesAcceptedFactor(s: Subject, hasPasskey: boolean): void {
  if (s.policy === 'optional') return;
  const method = s.user.twoFactorEnabled ? s.user.twoFactorMethod : null;
  if (method === null || !isMethodAllowed(s.policy, method)) return;
  if (hasPasskey && isMethodAllowed(s.policy, 'passkey')) return;
  throw twoFactorRequired(s.policy);
}

/**
 * The account owner's own changes (spec 70 §2, account portal): turning their second factor off needs a
 * fresh proof of it, checked by the same verification as a sign-in (attempts, single use, audit).
 */
export function createSelfService(core: Core, enrolment: ReturnType<typeof createEnrolment>, verification: ReturnType<typeof createVerification>) {
  const { deps, repo, now, record } = core;

  async function enabledSubject(actor: Actor, orgId: string, userId: string): Promise<Subject> {
    const s = await core.subject(orgId, userId);
    core.assertOwner(actor, s.user);
    if (!s.user.twoFactorEnabled || s.user.twoFactorMethod === null) throw twoFactorNotEnabled();
    assertLeavesAcceptedFactor(s, await enrolment.hasPasskey(s));
    return s;
  }

  return {
    /**
     * Turns the owner's e-mail or authenticator-app factor off after a good code of it (or a recovery
     * code): the TOTP secret, e-mailed codes and recovery codes are deleted, the user is notified, audit
     * `user.2fa.disabled` (category `authentication`). A wrong code throws `invalid_two_factor_code` and
     * changes nothing; a required policy left without an accepted factor throws `two_factor_required`.
     */
    async disableOwn(actor: Actor, orgId: string, userId: string, proof: FactorProof): Promise<void> {
      const s = await enabledSubject(actor, orgId, userId);
      const own: CodeType = s.user.twoFactorMethod === 'email' ? 'otp' : 'totp';
      if (proof.codeType !== own && proof.codeType !== 'recovery') throw invalidSetupCode();
      const result = await verification.verify(actor, orgId, userId, proof);
      if (!result.ok) throw invalidSetupCode();
      await deps.db.transaction(async () => {
        const current = await enabledSubject(actor, orgId, userId);
        const deleted = await repo.deleteFactors(orgId, userId);
        await core.setMethod(current.user, null);
        await sendFactorChangeNotice(deps.mail(), current.user, current.org, 'disabled', now());
        await record(actor, current.user, 'user.2fa.disabled', {
          previousMethod: current.user.twoFactorMethod, deletedTotp: deleted.totp, deletedOtpCodes: deleted.otpCodes, deletedRecoveryCodes: deleted.recoveryCodes,
        });
      });
    },
  };
}
