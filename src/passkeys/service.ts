import { authorize, type Actor } from '../actors/index.js';
import { isUuid } from '../platform/ids.js';
import { parseInput } from '../platform/validation.js';
import { isMethodAllowed, twoFactorRequired } from '../two-factor/index.js';
import { createAuthentication } from './authentication.js';
import { createCore, type PasskeyServiceDeps, type Subject } from './core.js';
import { passkeyNotFound } from './errors.js';
import { createRegistration } from './registration.js';
import { RenamePasskeyInput, type Passkey } from './schema.js';

export type PasskeyService = ReturnType<typeof createPasskeyService>;

/** Spec 50 §11: what the GDPR export shows of a passkey (never its public key or credential id). */
export interface ExportedPasskey {
  id: string;
  name: string | null;
  aaguid: string | null;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

const isSelf = (actor: Actor, s: Subject) => actor.kind === 'account' && actor.userId === s.user.id && actor.organizationId === s.user.organizationId;

/**
 * Passkeys (spec 70 §1): registration and sign-in ceremonies, and the user's list. Writes take an Actor and
 * audit in their transaction; adding or removing a passkey sends the user the factor-change notice.
 */
export function createPasskeyService(deps: PasskeyServiceDeps) {
  const core = createCore(deps);
  const { repo, record } = core;

  /** The owner changes their own passkeys; anyone else needs `user:2fa` and the protections of spec 20 §3.3. */
  async function changeable(actor: Actor, orgId: string, userId: string): Promise<Subject> {
    if (actor.kind !== 'account' && actor.kind !== 'system') authorize(actor, 'admin:user:2fa');
    const s = await core.subject(orgId, userId);
    if (actor.kind === 'account' && !isSelf(actor, s)) authorize(actor, 'admin:user:2fa');
    if (actor.kind !== 'account' && actor.kind !== 'system') await deps.adminAccess().assertMayManageUser(actor, s.user);
    return s;
  }

  /**
   * The owner may not remove the last passkey while a required policy accepts no other factor they hold:
   * the next sign-in with the password alone would let whoever knows it enrol one (spec 60 §4). Admins may
   * (their removal is the answer to a lost device).
   */
  function assertLeavesAcceptedFactor(s: Subject, remaining: number): void {
    const policy = s.org.twoFactorPolicy;
    if (remaining > 0 || policy === 'optional' || !isMethodAllowed(policy, 'passkey')) return;
    const method = s.user.twoFactorEnabled ? s.user.twoFactorMethod : null;
    if (method !== null && isMethodAllowed(policy, method)) return;
    throw twoFactorRequired(policy);
  }

  return {
    ...createRegistration(core),
    ...createAuthentication(core),

    /** The RP ID and origin in force (ISSUER_BASE_URL). */
    relyingParty: core.rp,

    /** Spec 20 §5.6 list (`user:read` at the route); `user_not_found` for a user of another organization. */
    async list(orgId: string, userId: string): Promise<Passkey[]> {
      const { user } = await core.subject(orgId, userId);
      return repo.listForUser(orgId, user.id);
    },

    countForUser: (orgId: string, userId: string) => repo.countForUser(orgId, userId),

    async rename(actor: Actor, orgId: string, userId: string, passkeyId: string, input: RenamePasskeyInput): Promise<Passkey> {
      const { name } = parseInput(RenamePasskeyInput, input);
      return deps.db.transaction(async () => {
        const s = await changeable(actor, orgId, userId);
        const renamed = isUuid(passkeyId) ? await repo.rename(orgId, s.user.id, passkeyId, name) : null;
        if (!renamed) throw passkeyNotFound();
        await record(actor, orgId, s.user.id, 'user.passkey.renamed', { passkeyId }, isSelf(actor, s) ? 'authentication' : 'admin');
        return renamed;
      });
    },

    /**
     * Removes one passkey; the user is notified. It can no longer sign in or serve as a second factor. The
     * owner's own removal throws `two_factor_required` where it would leave a required policy unmet.
     */
    async remove(actor: Actor, orgId: string, userId: string, passkeyId: string): Promise<Passkey> {
      return deps.db.transaction(async () => {
        const s = await changeable(actor, orgId, userId);
        const removed = isUuid(passkeyId) ? await repo.remove(orgId, s.user.id, passkeyId) : null;
        if (!removed) throw passkeyNotFound();
        const remaining = await repo.countForUser(orgId, s.user.id);
        if (isSelf(actor, s)) assertLeavesAcceptedFactor(s, remaining);
        await record(actor, orgId, s.user.id, 'user.passkey.removed', { passkeyId, aaguid: removed.aaguid, remaining },
          isSelf(actor, s) ? 'authentication' : 'admin');
        await deps.twoFactor().notifyFactorChange(orgId, s.user.id, 'passkey_removed', { passkeyName: removed.name });
        return removed;
      });
    },

    /** Spec 50 §11 export: metadata only. */
    async exportData(orgId: string, userId: string): Promise<ExportedPasskey[]> {
      const passkeys = await repo.listForUser(orgId, userId);
      return passkeys.map((p) => ({ id: p.id, name: p.name, aaguid: p.aaguid, backedUp: p.isBackedUp, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt }));
    },

    /**
     * Spec 50 §11 purge cascade, in the purge use case's transaction (which authorizes and audits): every
     * passkey and the user handle go; returns how many passkeys were deleted.
     */
    purgeForUser: (orgId: string, userId: string) => repo.removeAllForUser(orgId, userId),
  };
}
