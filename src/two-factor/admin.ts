import { authorize, type Actor } from '../actors/index.js';
import { superAdminProtected } from '../users/index.js';
import type { Core, Subject } from './core.js';
import { twoFactorNotEnabled } from './errors.js';
import { sendFactorChangeNotice } from './notify.js';

export interface RegeneratedRecoveryCodes {
  recoveryCodes: string[];
  count: number;
}

/**
 * Spec 20 §5.6 admin control (permission `user:2fa`): disable, reset, regenerate recovery codes. Each
 * refuses a user without two-factor authentication (`two_factor_not_enabled`), applies the protections of
 * spec 20 §3.3, notifies the user and audits in its transaction.
 */
export function createTwoFactorAdmin(core: Core) {
  const { deps, repo, now, record } = core;
  const { db } = deps;

  /**
   * The bootstrap super-admin is never 2FA-disabled or reset over the API (spec 20 §3.3); the CLI in direct
   * mode may, as the way back for an operator who holds the database and lost every factor.
   */
  async function target(actor: Actor, orgId: string, userId: string, isSuperAdminUserProtected: boolean): Promise<Subject> {
    authorize(actor, 'admin:user:2fa');
    const s = await core.subject(orgId, userId);
    if (isSuperAdminUserProtected && actor.kind !== 'cli_direct' && (await deps.adminAccess().isSuperAdminUser(userId))) {
      throw superAdminProtected('Two-factor authentication of the super-admin user cannot be disabled or reset.');
    }
    await deps.adminAccess().assertMayManageUser(actor, s.user);
    if (!s.user.twoFactorEnabled) throw twoFactorNotEnabled();
    return s;
  }

  function removeFactors(change: 'disabled' | 'reset') {
    return (actor: Actor, orgId: string, userId: string): Promise<void> =>
      db.transaction(async () => {
        const s = await target(actor, orgId, userId, true);
        const deleted = await repo.deleteFactors(orgId, userId);
        await core.setMethod(s.user, null);
        await sendFactorChangeNotice(deps.mail(), s.user, s.org, change, now());
        await record(actor, s.user, `user.2fa.${change}`, {
          previousMethod: s.user.twoFactorMethod, deletedTotp: deleted.totp, deletedOtpCodes: deleted.otpCodes, deletedRecoveryCodes: deleted.recoveryCodes,
        }, 'admin');
      });
  }

  return {
    /** Turns two-factor authentication off: the TOTP secret, e-mailed codes and recovery codes are deleted. */
    disable: removeFactors('disabled'),

    /**
     * The same removal after a lost factor: the user enrols again at the next sign-in whenever the policy
     * (or a client's step-up) asks for a second factor.
     */
    reset: removeFactors('reset'),

    /** Ten new recovery codes replace all earlier ones; shown once to the caller. */
    async regenerateRecoveryCodes(actor: Actor, orgId: string, userId: string): Promise<RegeneratedRecoveryCodes> {
      const isSelf = actor.kind === 'account' && actor.userId === userId && actor.organizationId === orgId;
      const check = async () => (isSelf ? assertSelfEnabled(actor, orgId, userId) : target(actor, orgId, userId, false));
      await check();
      const { codes, hashes } = await core.prepareRecoveryCodes();
      await db.transaction(async () => {
        const s = await check();
        await repo.replaceRecoveryCodes(orgId, userId, hashes, now());
        await sendFactorChangeNotice(deps.mail(), s.user, s.org, 'recovery_codes_regenerated', now());
        await record(actor, s.user, 'user.2fa.recovery_codes_regenerated', { count: codes.length }, isSelf ? 'authentication' : 'admin');
      });
      return { recoveryCodes: codes, count: codes.length };
    },
  };

  async function assertSelfEnabled(actor: Actor, orgId: string, userId: string): Promise<Subject> {
    const s = await core.subject(orgId, userId);
    core.assertOwner(actor, s.user);
    if (!s.user.twoFactorEnabled) throw twoFactorNotEnabled();
    return s;
  }
}
