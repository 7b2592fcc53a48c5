import { z } from 'zod';
import { forbidden, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { parseInput, userNotFound } from './errors.js';
import { passwordProblem, type PasswordProblem } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { User, UserRepo } from './repo.js';

const name = z.string().trim().max(255).transform((v) => (v === '' ? null : v));

/** What a user edits of their own profile in the account portal (spec 70 §2). */
export const OwnProfileInput = z.strictObject({
  givenName: name,
  familyName: name,
  middleName: name.optional(),
  nickname: name.optional(),
  /** A language tag (the portal offers the shipped page languages), or empty for the browser's. */
  locale: z.union([z.literal(''), z.string().max(10).regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/)]).transform((v) => (v === '' ? null : v)),
});
export type OwnProfileInput = z.input<typeof OwnProfileInput>;

export type OwnPasswordResult = { ok: true; user: User } | { ok: false; reason: 'wrong_password' | 'no_password' | 'mismatch' | PasswordProblem };

export interface SelfServiceDeps {
  db: Db;
  clock: Clock;
  repo: UserRepo;
  passwords: PasswordHasher;
  audit: Pick<AuditService, 'record'>;
  /** Ends every other session of the user and every grant and token of the account (sessions/account.ts). */
  sessions: () => { endAllOtherAccess(organizationId: string, userId: string, keepSessionId: string | null): Promise<{ sessions: number; tokens: number }> };
  organizationNames?: (organizationId: string) => Promise<Array<string | null | undefined>>;
  notifyPasswordChanged?: (user: User) => Promise<void>;
}

/** The user acting on their own account in `orgId`; anyone else is refused. */
export function ownAccount(actor: Actor, orgId: string): string {
  if (actor.kind !== 'account' || !actor.userId || actor.organizationId !== orgId) throw forbidden([]);
  return actor.userId;
}

/** The account portal's use cases on the user's own profile and password (spec 70 §2). */
export function createSelfService(deps: SelfServiceDeps) {
  const { db, clock, repo, passwords, audit } = deps;
  const now = () => new Date(clock.now());
  const record = (actor: Actor, user: User, eventType: string, metadata: Record<string, unknown>, eventCategory: 'admin' | 'security' = 'admin') =>
    audit.record(actor, { eventType, eventCategory, targetType: 'user', targetId: user.id, organizationId: user.organizationId, userId: user.id, metadata });

  return {
    /** Name fields and page language; audited `user.updated` with the fields that changed. */
    async updateOwnProfile(actor: Actor, orgId: string, input: OwnProfileInput): Promise<User> {
      const userId = ownAccount(actor, orgId);
      const data = parseInput(OwnProfileInput, input);
      return db.transaction(async () => {
        const current = await repo.findById(orgId, userId);
        if (!current) throw userNotFound();
        const values = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as Partial<Record<keyof typeof data, string | null>>;
        const fields = Object.keys(values).filter((k) => current[k as keyof User] !== values[k as keyof typeof values]);
        const user = (await repo.update(orgId, userId, values)) ?? current;
        await record(actor, user, 'user.updated', { fields });
        return user;
      });
    },

    /**
     * The current password must be right and the new one pass the policy (spec 60 §5); then, in one
     * transaction, the password changes, every other session and every grant and token of the account end
     * (`keepSessionId`, the session the change is made from, stays), the password-changed e-mail is queued
     * and the change audited. A wrong current password counts no sign-in failure: the user is signed in.
     */
    async changeOwnPassword(actor: Actor, orgId: string, input: { currentPassword: string; newPassword: string; confirmPassword: string }, keepSessionId: string | null): Promise<OwnPasswordResult> {
      const userId = ownAccount(actor, orgId);
      const current = await repo.findById(orgId, userId);
      if (!current) throw userNotFound();
      const hash = await repo.findPasswordHash(orgId, userId);
      if (hash === null) return { ok: false, reason: 'no_password' };
      if (!(await passwords.verify(hash, input.currentPassword))) {
        await audit.record(actor, { eventType: 'user.password_change_failed', eventCategory: 'security', targetType: 'user', targetId: userId, organizationId: orgId, userId, metadata: { reason: 'wrong_password' } });
        return { ok: false, reason: 'wrong_password' };
      }
      if (input.newPassword !== input.confirmPassword) return { ok: false, reason: 'mismatch' };
      const problem = passwordProblem(input.newPassword, { email: current.email, organizationNames: await deps.organizationNames?.(orgId) });
      if (problem) return { ok: false, reason: problem };
      const passwordHash = await passwords.hash(input.newPassword);
      return db.transaction(async (): Promise<OwnPasswordResult> => {
        const user = await repo.update(orgId, userId, { passwordHash, passwordChangedAt: now() });
        if (!user) throw userNotFound();
        const ended = await deps.sessions().endAllOtherAccess(orgId, userId, keepSessionId);
        await deps.notifyPasswordChanged?.(user);
        await record(actor, user, 'user.password_changed', { endedSessions: ended.sessions, revokedTokens: ended.tokens }, 'security');
        return { ok: true, user };
      });
    },
  };
}
