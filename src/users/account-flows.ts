import { accountActor, anonymousActor, type Actor, type RequestOrigin } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { MailService } from '../mail/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import type { EndedAccess } from '../sessions/index.js';
import { isTokenShaped, type AccountTokenRepo } from './account-tokens.js';
import { passwordProblem, type PasswordProblem } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { User, UserRepo } from './repo.js';

/** The organization a flow runs in, as its links and e-mails name it. */
export interface FlowOrganization {
  id: string;
  slug: string;
  name: string;
  companyName?: string | null;
}

export interface AccountFlowDeps {
  db: Db;
  clock: Clock;
  log: Log;
  repo: UserRepo;
  tokens: AccountTokenRepo;
  passwords: PasswordHasher;
  audit: Pick<AuditService, 'record'>;
  mail: () => Pick<MailService, 'enqueue'>;
  settings: { getDuration(key: string): Promise<number> };
  sessions: () => { endAllForUser(organizationId: string, userId: string): Promise<EndedAccess> };
  /** ISSUER_BASE_URL: links are built from it, never from request headers (spec 60 §8). */
  issuerBaseUrl: string;
}

/**
 * The login a password reset was asked from (spec 60 §5): a client of the organization, and its
 * interaction, as the edge found them on the server, never as a form named them.
 */
export interface ResetOrigin {
  clientId: string;
  interactionUid: string | null;
}

export type ResetResult =
  | { ok: true; user: User; startedFrom: ResetOrigin | null }
  | { ok: false; reason: 'invalid_token' | 'mismatch' | PasswordProblem };

export type MagicLinkUse = { userId: string; interactionUid: string | null };

/** A user who may receive a link: active, or automatically locked (a reset clears that lock, spec 50 §10). */
const mayReset = (u: User) => u.status === 'active' || (u.status === 'locked' && u.lockedReason === 'auto_lockout');

export const orgNames = (org: FlowOrganization) => [org.name, org.companyName, org.slug];

/**
 * Spec 60 §3 and §5: magic links and password resets. Every answer a page shows is the same whether or
 * not the account exists; only audit entries and e-mails differ.
 */
export function createAccountFlows(deps: AccountFlowDeps) {
  const { db, clock, repo, tokens, audit } = deps;
  const now = () => new Date(clock.now());
  const base = deps.issuerBaseUrl.replace(/\/+$/, '');
  const link = (org: FlowOrganization, path: string, token: string) => `${base}/${org.slug}/auth/${path}/${token}`;

  const record = (actor: Actor, orgId: string, userId: string | null, eventType: string, metadata: Record<string, unknown> = {}, eventCategory: 'authentication' | 'security' = 'authentication') =>
    audit.record(actor, { eventType, eventCategory, organizationId: orgId, userId, targetType: 'user', targetId: userId, metadata });

  async function findByEmail(orgId: string, email: string): Promise<User | null> {
    const address = email.trim();
    if (!isUuid(orgId) || address === '' || address.length > 320) return null;
    return repo.findByEmail(orgId, address);
  }

  /** Sends the password-changed notice (reset completed, admin set-password) in the caller's transaction. */
  async function notifyPasswordChanged(user: User, org?: { name?: string | null }): Promise<void> {
    await deps.mail().enqueue({
      organizationId: user.organizationId, to: user.email, template: 'password_changed', locale: user.locale,
      data: { userName: user.givenName ?? null, organizationName: org?.name ?? null, changedAt: now().toISOString() },
    });
  }

  return {
    notifyPasswordChanged,

    /**
     * `POST /{org}/auth/forgot-password` (spec 60 §5): for an active user, a new link replacing older ones,
     * remembering the login it was asked from, if any.
     */
    async requestPasswordReset(org: FlowOrganization, email: string, from: RequestOrigin, startedFrom: ResetOrigin | null = null): Promise<void> {
      const user = await findByEmail(org.id, email);
      if (!user || !mayReset(user)) return;
      const ttl = await deps.settings.getDuration('password_reset_ttl');
      await db.transaction(async () => {
        const issued = await tokens.issue('password_reset', user.id, now(), ttl, { clientId: startedFrom?.clientId, interactionUid: startedFrom?.interactionUid });
        await deps.mail().enqueue({
          organizationId: org.id, to: user.email, template: 'password_reset', locale: user.locale,
          data: { link: link(org, 'reset-password', issued.token), minutes: Math.round(ttl / 60), userName: user.givenName, organizationName: org.companyName ?? org.name },
        });
        await record(accountActor(user, from, 'account'), org.id, user.id, 'user.password_reset.requested', {}, 'security');
      });
    },

    /** Whether the reset link can still be used (to show its form); a dead link is audited. */
    async checkPasswordReset(org: FlowOrganization, token: string, from: RequestOrigin): Promise<User | null> {
      const found = isTokenShaped(token) ? await tokens.findUsable('password_reset', org.id, token, now()) : null;
      const user = found ? await repo.findById(org.id, found.userId) : null;
      if (user && mayReset(user)) return user;
      await record(anonymousActor(from, 'account'), org.id, found?.userId ?? null, 'user.password_reset.failed', { reason: 'invalid_token' }, 'security');
      return null;
    },

    /**
     * `POST /{org}/auth/reset-password/{token}`: the passwords must match and pass the policy before the
     * link is used; then, in one transaction, the link is consumed (one winner among concurrent uses), the
     * password set, the failure counter and an automatic lock cleared, every session, grant and token of
     * the user ended, the password-changed e-mail queued and the reset audited.
     */
    async resetPassword(org: FlowOrganization, token: string, password: string, confirm: string, from: RequestOrigin): Promise<ResetResult> {
      const found = isTokenShaped(token) ? await tokens.findUsable('password_reset', org.id, token, now()) : null;
      const current = found ? await repo.findById(org.id, found.userId) : null;
      if (!found || !current || !mayReset(current)) {
        await record(anonymousActor(from, 'account'), org.id, found?.userId ?? null, 'user.password_reset.failed', { reason: 'invalid_token' }, 'security');
        return { ok: false, reason: 'invalid_token' };
      }
      if (password !== confirm) return { ok: false, reason: 'mismatch' };
      const problem = passwordProblem(password, { email: current.email, organizationNames: orgNames(org) });
      if (problem) return { ok: false, reason: problem };
      const passwordHash = await deps.passwords.hash(password);
      return db.transaction(async (): Promise<ResetResult> => {
        const used = await tokens.consume('password_reset', org.id, token, now());
        if (!used) return { ok: false, reason: 'invalid_token' };
        const user = await repo.update(org.id, used.userId, { passwordHash, passwordChangedAt: now() });
        if (!user) return { ok: false, reason: 'invalid_token' };
        await repo.clearFailures(org.id, user.id, true);
        const ended = await deps.sessions().endAllForUser(org.id, user.id);
        await notifyPasswordChanged(user, { name: org.companyName ?? org.name });
        await record(accountActor(user, from, 'account'), org.id, user.id, 'user.password_reset.completed', { endedSessions: ended.sessions, revokedTokens: ended.tokens }, 'security');
        const startedFrom = used.clientId ? { clientId: used.clientId, interactionUid: used.interactionUid } : null;
        return { ok: true, user: (await repo.findById(org.id, user.id)) ?? user, startedFrom };
      });
    },

    /** `POST …/magic-link` (spec 60 §3): for an active user, a link bound to the interaction that asked. */
    async requestMagicLink(org: FlowOrganization, email: string, interactionUid: string, from: RequestOrigin): Promise<void> {
      const user = await findByEmail(org.id, email);
      if (!user || user.status !== 'active') return;
      const ttl = await deps.settings.getDuration('magic_link_ttl');
      await db.transaction(async () => {
        const issued = await tokens.issue('magic_link', user.id, now(), ttl, { interactionUid });
        await deps.mail().enqueue({
          organizationId: org.id, to: user.email, template: 'magic_link', locale: user.locale,
          data: { link: link(org, 'magic-link', issued.token), minutes: Math.round(ttl / 60), userName: user.givenName, organizationName: org.companyName ?? org.name },
        });
        await record(accountActor(user, from, 'account'), org.id, user.id, 'user.magic_link.sent');
      });
    },

    /**
     * `GET /{org}/auth/magic-link/{token}`: uses the link (once) and marks the address verified. The
     * sign-in itself completes only where the interaction lives (the edge's hand-off cookie).
     */
    async useMagicLink(org: FlowOrganization, token: string, from: RequestOrigin): Promise<MagicLinkUse | null> {
      return db.transaction(async () => {
        const used = isTokenShaped(token) ? await tokens.consume('magic_link', org.id, token, now()) : null;
        const user = used ? await repo.findById(org.id, used.userId) : null;
        if (!used || !user || user.status !== 'active') {
          await record(anonymousActor(from, 'login'), org.id, used?.userId ?? null, 'user.magic_link.failed', { reason: used ? `status_${user?.status ?? 'missing'}` : 'invalid_token' });
          return null;
        }
        if (!user.emailVerified) await repo.update(org.id, user.id, { emailVerified: true });
        await record(accountActor(user, from, 'login'), org.id, user.id, 'user.magic_link.used');
        return { userId: user.id, interactionUid: used.interactionUid };
      });
    },
  };
}

export type AccountFlows = ReturnType<typeof createAccountFlows>;
