import { z } from 'zod';
import type { MailService } from '../mail/index.js';
import { ADMIN_APPLICATION_SLUG, accountActor, authorize, systemActor, type Actor, type RequestOrigin } from '../actors/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import { orgNames, type AccountFlowDeps, type FlowOrganization } from './account-flows.js';
import { isTokenShaped } from './account-tokens.js';
import { organizationNotFound, parseInput } from './errors.js';
import { passwordProblem, type PasswordProblem } from './password-policy.js';
import type { User } from './repo.js';
import { UserEmail } from './schema.js';

const name = z.string().trim().min(1).max(255).optional();

/** Spec 20 §5.6 `POST /invite`. */
export const InviteUserInput = z.strictObject({
  email: UserEmail,
  givenName: name,
  familyName: name,
  personalMessage: z.string().trim().max(500).optional(),
  roles: z.array(z.strictObject({ applicationId: z.string().min(1).max(255), roleId: z.uuid() })).max(100).default([]),
  claims: z.array(z.strictObject({ applicationId: z.string().min(1).max(255), claimDefinitionId: z.uuid(), value: z.unknown() })).max(100).default([]),
  locale: z.string().trim().min(2).max(10).optional(),
});
export type InviteUserInput = z.input<typeof InviteUserInput>;

/** Spec 20 §5.6 `POST /invite/preview`: what the e-mail shows (pre-assignments are not in it). */
export const PreviewInvitationInput = InviteUserInput.pick({ email: true, givenName: true, familyName: true, personalMessage: true, locale: true });
export type PreviewInvitationInput = z.input<typeof PreviewInvitationInput>;

/** The invitation e-mail as it would be sent. */
export interface InvitationPreview {
  subject: string;
  html: string;
  text: string;
}

/**
 * Where a preview's button points: the accept page's path with a word where the token goes, so the
 * link is plainly not a working invitation (following it shows the "invitation no longer valid" page).
 */
const PREVIEW_TOKEN = 'preview';

export interface InvitationResult {
  userId: string;
  email: string;
  created: boolean;
  invitationSent: boolean;
  expiresAt: string;
}

interface InvitationDetails {
  personalMessage: string | null;
  inviterName: string | null;
  roles: Array<{ applicationId: string; roleId: string }>;
  claims: Array<{ applicationId: string; claimDefinitionId: string; value: unknown }>;
}

/** What invitations consult in other domains (wired lazily in services.ts: rbac depends on users). */
export interface InvitationDeps extends Omit<AccountFlowDeps, 'sessions' | 'mail'> {
  mail: () => Pick<MailService, 'enqueue' | 'render'>;
  organization: (orgId: string) => Promise<FlowOrganization | null>;
  adminAccess: () => { assertMayManageUser(actor: Actor, user: Pick<User, 'id' | 'organizationId'>): Promise<void> };
  access?: () => {
    roleApplicationSlug(applicationId: string, roleId: string): Promise<string>;
    claimType(applicationId: string, claimDefinitionId: string): Promise<string>;
    matchesClaimType(type: string, value: unknown): boolean;
    assignRole(actor: Actor, orgId: string, userId: string, roleId: string): Promise<void>;
    setClaimValue(actor: Actor, applicationId: string, claimDefinitionId: string, userId: string, value: unknown): Promise<void>;
  };
}

export type AcceptResult = { ok: true; user: User } | { ok: false; reason: 'invalid_token' | 'mismatch' | PasswordProblem };

const badReference = (path: string, message: string) => new AppError('invalid', 'validation_failed', message, [{ path, message, reason: 'invalid_reference' }]);
const alreadyActive = () => new AppError('conflict', 'already_active', 'The user is already active with a password.');

/** Spec 60 §6 and 20 §5.6: invitations, from the admin's request to the accepted account. */
export function createInvitations(deps: InvitationDeps) {
  const { db, clock, repo, tokens, audit } = deps;
  const now = () => new Date(clock.now());
  const base = deps.issuerBaseUrl.replace(/\/+$/, '');

  const record = (actor: Actor, user: User, eventType: string, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'user', targetId: user.id, organizationId: user.organizationId, userId: user.id, metadata });

  /** Roles in the named application and values of the claim's type; admin roles are never pre-assigned. */
  async function checkReferences(data: z.output<typeof InviteUserInput>): Promise<void> {
    const access = deps.access?.();
    if (!access) {
      if (data.roles.length + data.claims.length > 0) throw badReference('roles', 'Pre-assigned roles and claims are not available here.');
      return;
    }
    const ref = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (isAppError(err) && (err.kind === 'not_found' || err.kind === 'invalid')) throw badReference(path, err.message);
        throw err;
      }
    };
    for (const [i, r] of data.roles.entries()) {
      const slug = await ref(`roles[${i}]`, () => access.roleApplicationSlug(r.applicationId, r.roleId));
      if (slug === ADMIN_APPLICATION_SLUG) throw badReference(`roles[${i}]`, 'Admin roles are assigned after the invitation is accepted, not before.');
    }
    for (const [i, c] of data.claims.entries()) {
      const type = await ref(`claims[${i}]`, () => access.claimType(c.applicationId, c.claimDefinitionId));
      if (!access.matchesClaimType(type, c.value)) {
        throw new AppError('invalid', 'claim_type_mismatch', `claims[${i}].value must be of type ${type}.`, [{ path: `claims[${i}].value`, message: `Expected ${type}.` }]);
      }
    }
  }

  async function inviterNameOf(actor: Actor): Promise<string | null> {
    if (!actor.userId) return actor.name;
    const inviter = await repo.findAnyById(actor.userId);
    const full = [inviter?.givenName, inviter?.familyName].filter(Boolean).join(' ');
    return full || null;
  }

  /** The invitation e-mail of `invite` and of its preview: one shape, so the preview shows what is sent. */
  const invitationMail = (
    org: FlowOrganization,
    to: { givenName: string | null; locale: string | null },
    m: { token: string; inviterName: string | null; personalMessage: string | null; expiresAt: Date },
  ) => ({
    organizationId: org.id, template: 'invitation' as const, locale: to.locale,
    data: {
      link: `${base}/${org.slug}/auth/accept-invite/${m.token}`, personalMessage: m.personalMessage, message: m.personalMessage, inviterName: m.inviterName,
      userName: to.givenName, organizationName: org.companyName ?? org.name, expiresAt: m.expiresAt.toISOString(),
    },
  });

  /** An existing user of the organization is invited again only if the actor may manage them and they have no password yet. */
  async function assertInvitable(actor: Actor, user: User): Promise<void> {
    await deps.adminAccess().assertMayManageUser(actor, user);
    if (user.status === 'active' && user.hasPassword) throw alreadyActive();
  }

  async function usable(org: FlowOrganization, token: string) {
    const found = isTokenShaped(token) ? await tokens.findUsable('invitation', org.id, token, now()) : null;
    const user = found ? await repo.findById(org.id, found.userId) : null;
    return found && user && user.status === 'active' ? { found, user } : null;
  }

  return {
    /**
     * user:invite (plus role:assign / claim:update for pre-assignments). Creates the user when absent
     * (active, no password), replaces earlier invitations, queues the e-mail, audits `user.invited`.
     */
    async invite(actor: Actor, orgId: string, input: InviteUserInput): Promise<InvitationResult> {
      authorize(actor, 'admin:user:invite');
      const data = parseInput(InviteUserInput, input);
      if (data.roles.length > 0) authorize(actor, 'admin:role:assign');
      if (data.claims.length > 0) authorize(actor, 'admin:claim:update');
      const org = isUuid(orgId) ? await deps.organization(orgId) : null;
      if (!org) throw organizationNotFound();
      await checkReferences(data);
      const ttl = await deps.settings.getDuration('invitation_ttl');
      const inviterName = await inviterNameOf(actor);
      return db.transaction(async () => {
        let user = await repo.findByEmail(org.id, data.email);
        const created = !user;
        if (user) {
          await assertInvitable(actor, user);
        } else {
          user = await repo.insert(org.id, { email: data.email, status: 'active', givenName: data.givenName ?? null, familyName: data.familyName ?? null, locale: data.locale ?? null });
        }
        const details: InvitationDetails = { personalMessage: data.personalMessage ?? null, inviterName, roles: data.roles, claims: data.claims };
        const issued = await tokens.issue('invitation', user.id, now(), ttl, { details: { ...details }, invitedBy: actor.kind === 'admin' ? actor.userId : null });
        await deps.mail().enqueue({
          to: user.email,
          ...invitationMail(org, { givenName: user.givenName, locale: data.locale ?? user.locale }, { token: issued.token, inviterName, personalMessage: details.personalMessage, expiresAt: issued.expiresAt }),
        });
        await record(actor, user, 'user.invited', {
          created, hasPersonalMessage: details.personalMessage !== null, preAssignedRoles: data.roles.length, preAssignedClaims: data.claims.length,
        });
        return { userId: user.id, email: user.email, created, invitationSent: true, expiresAt: issued.expiresAt.toISOString() };
      });
    },

    /**
     * user:invite. The invitation e-mail `invite` would send for this input now (the same refusals:
     * unknown organization, a user the actor may not manage, an active user with a password), with a
     * placeholder link and the expiry of an invitation sent now. A read: nothing is stored, queued or audited.
     */
    async previewInvitation(actor: Actor, orgId: string, input: PreviewInvitationInput): Promise<InvitationPreview> {
      authorize(actor, 'admin:user:invite');
      const data = parseInput(PreviewInvitationInput, input);
      const org = isUuid(orgId) ? await deps.organization(orgId) : null;
      if (!org) throw organizationNotFound();
      const existing = await repo.findByEmail(org.id, data.email);
      if (existing) await assertInvitable(actor, existing);
      const ttl = await deps.settings.getDuration('invitation_ttl');
      const to = existing ? { givenName: existing.givenName, locale: data.locale ?? existing.locale } : { givenName: data.givenName ?? null, locale: data.locale ?? null };
      const mail = invitationMail(org, to, {
        token: PREVIEW_TOKEN, inviterName: await inviterNameOf(actor), personalMessage: data.personalMessage ?? null, expiresAt: new Date(now().getTime() + ttl * 1000),
      });
      return deps.mail().render(mail);
    },

    /** The invited user, while the link can still be used (to greet them on the form). */
    async checkInvitation(org: FlowOrganization, token: string): Promise<User | null> {
      return (await usable(org, token))?.user ?? null;
    },

    /**
     * `POST /{org}/auth/accept-invite/{token}`: passwords equal and within the policy, then in one
     * transaction the link is used, the password set, the address verified, the pre-assignments applied
     * (those gone since are skipped with a warning), the welcome e-mail queued and the acceptance audited.
     */
    async acceptInvitation(org: FlowOrganization, token: string, password: string, confirm: string, from: RequestOrigin): Promise<AcceptResult> {
      const current = await usable(org, token);
      if (!current) return { ok: false, reason: 'invalid_token' };
      if (password !== confirm) return { ok: false, reason: 'mismatch' };
      const problem = passwordProblem(password, { email: current.user.email, organizationNames: orgNames(org) });
      if (problem) return { ok: false, reason: problem };
      const passwordHash = await deps.passwords.hash(password);
      return db.transaction(async (): Promise<AcceptResult> => {
        const used = await tokens.consume('invitation', org.id, token, now());
        if (!used) return { ok: false, reason: 'invalid_token' };
        const user = await repo.update(org.id, used.userId, { passwordHash, passwordChangedAt: now(), emailVerified: true });
        if (!user) return { ok: false, reason: 'invalid_token' };
        const actor = accountActor(user, from, 'account');
        const details = used.details as Partial<InvitationDetails>;
        const applied = await applyPreAssignments(user, details);
        if ((details.roles?.length ?? 0) + (details.claims?.length ?? 0) > 0) await record(actor, user, 'user.invite.pre_assignments_applied', applied);
        await record(actor, user, 'user.invite.accepted', {});
        await deps.mail().enqueue({
          organizationId: org.id, to: user.email, template: 'welcome', locale: user.locale,
          data: { userName: user.givenName, email: user.email, organizationName: org.companyName ?? org.name },
        });
        return { ok: true, user };
      });
    },
  };

  /** Each in its own savepoint: one that no longer exists is skipped without undoing the others. */
  async function applyPreAssignments(user: User, details: Partial<InvitationDetails>): Promise<{ roles: number; claims: number; skipped: number }> {
    const access = deps.access?.();
    const system = systemActor('account');
    let roles = 0;
    let claims = 0;
    let skipped = 0;
    for (const r of details.roles ?? []) {
      try {
        await db.transaction(() => access!.assignRole(system, user.organizationId, user.id, r.roleId));
        roles++;
      } catch (err) {
        skipped++;
        deps.log.warn({ err, userId: user.id, roleId: r.roleId }, 'user.invite.role_skipped');
      }
    }
    for (const c of details.claims ?? []) {
      try {
        await db.transaction(() => access!.setClaimValue(system, c.applicationId, c.claimDefinitionId, user.id, c.value));
        claims++;
      } catch (err) {
        skipped++;
        deps.log.warn({ err, userId: user.id, claimDefinitionId: c.claimDefinitionId }, 'user.invite.claim_skipped');
      }
    }
    return { roles, claims, skipped };
  }
}
