import { accountActor, type Actor, type RequestOrigin } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { MailService } from '../mail/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isTokenShaped } from './account-tokens.js';
import type { FlowOrganization } from './account-flows.js';
import { createEmailChangeRepo } from './email-change-repo.js';
import { parseInput, userEmailTaken, userNotFound } from './errors.js';
import type { User, UserRepo } from './repo.js';
import { UserEmail } from './schema.js';
import { ownAccount } from './self-service.js';

/** How long the link sent to the new address works. */
export const EMAIL_CHANGE_TTL_SECONDS = 24 * 3600;

export type EmailChangeResult = { ok: true; user: User } | { ok: false; reason: 'invalid_token' | 'email_taken' };

const emailUnchanged = () => new AppError('invalid', 'email_unchanged', 'This is already your e-mail address.');

export interface EmailChangeDeps {
  db: Db;
  clock: Clock;
  repo: UserRepo;
  audit: Pick<AuditService, 'record'>;
  mail: () => Pick<MailService, 'enqueue'>;
  /** ISSUER_BASE_URL: the link is built from it, never from request headers (spec 60 §8). */
  issuerBaseUrl: string;
}

const isEmailTakenError = (err: unknown) => {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'users_organization_lower_email_key';
};

/**
 * Spec 70 §2: a user changes their own e-mail address. The change applies only when the link sent to the
 * new address is opened; the old address gets a notice at once. An address another user of the
 * organization holds is refused (`user_email_taken`): the user learns only that it is not available.
 */
export function createEmailChange(deps: EmailChangeDeps) {
  const { db, clock, repo, audit } = deps;
  const tokens = createEmailChangeRepo(db);
  const now = () => new Date(clock.now());
  const base = deps.issuerBaseUrl.replace(/\/+$/, '');
  const record = (actor: Actor, orgId: string, userId: string, eventType: string, metadata: Record<string, unknown> = {}) =>
    audit.record(actor, { eventType, eventCategory: 'security', organizationId: orgId, userId, targetType: 'user', targetId: userId, metadata });

  return {
    /** Sends the confirmation link to `newEmail` and the notice to the current address. */
    async requestEmailChange(actor: Actor, org: FlowOrganization, newEmail: string): Promise<void> {
      const userId = ownAccount(actor, org.id);
      const address = parseInput(UserEmail, newEmail);
      await db.transaction(async () => {
        const user = await repo.findById(org.id, userId);
        if (!user) throw userNotFound();
        if (address.toLowerCase() === user.email.toLowerCase()) throw emailUnchanged();
        if (await repo.findByEmail(org.id, address)) throw userEmailTaken();
        const token = await tokens.issue(user.id, address, now(), EMAIL_CHANGE_TTL_SECONDS);
        const company = org.companyName ?? org.name;
        await deps.mail().enqueue({
          organizationId: org.id, to: address, template: 'email_change', locale: user.locale,
          data: { link: `${base}/${org.slug}/account/email/confirm/${token}`, hours: EMAIL_CHANGE_TTL_SECONDS / 3600, userName: user.givenName, organizationName: company },
        });
        await deps.mail().enqueue({
          organizationId: org.id, to: user.email, template: 'email_change_notice', locale: user.locale,
          data: { userName: user.givenName, organizationName: company, newEmail: maskedEmail(address), requestedAt: now().toISOString() },
        });
        await record(actor, org.id, user.id, 'user.email_change.requested');
      });
    },

    /** Whether the link can still be used (to show its confirmation), with the address it confirms. */
    async checkEmailChange(org: FlowOrganization, token: string): Promise<{ newEmail: string; userId: string } | null> {
      return isTokenShaped(token) ? tokens.findUsable(org.id, token, now()) : null;
    },

    /** Uses the link: the address changes (and counts as verified), audited with the account actor. */
    async confirmEmailChange(org: FlowOrganization, token: string, from: RequestOrigin): Promise<EmailChangeResult> {
      if (!isTokenShaped(token)) return { ok: false, reason: 'invalid_token' };
      try {
        return await db.transaction(async (): Promise<EmailChangeResult> => {
          const used = await tokens.consume(org.id, token, now());
          const current = used ? await repo.findById(org.id, used.userId) : null;
          if (!used || !current) return { ok: false, reason: 'invalid_token' };
          const user = await repo.update(org.id, current.id, { email: used.newEmail, emailVerified: true });
          if (!user) return { ok: false, reason: 'invalid_token' };
          await record(accountActor(user, from, 'account'), org.id, user.id, 'user.email_changed');
          return { ok: true, user };
        });
      } catch (err) {
        if (isEmailTakenError(err)) return { ok: false, reason: 'email_taken' };
        throw err;
      }
    },
  };
}

/** `a•••@example.com`: enough for the owner of the old address to recognise, not to harvest. */
export function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email.slice(0, 1)}•••${email.slice(at)}`;
}
