import type { z } from 'zod';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { EndedAccess } from '../sessions/index.js';
import { invalidTransition, organizationNotFound, parseInput, reservedLockReason, userEmailTaken, userNotFound } from './errors.js';
import type { PasswordHasher } from './passwords.js';
import type { User, UserColumnValues, UserRepo } from './repo.js';
import { assertPasswordPolicy } from './password-policy.js';
import { CreateUserInput, LockReason, UpdateUserInput, UserPassword, type UserStatus } from './schema.js';

export type UserStatusAction = 'deactivate' | 'activate' | 'suspend' | 'unsuspend' | 'lock' | 'unlock';

/** Admin API 20 §5.6: each action from exactly these states; anything else is `invalid_transition`. */
const TRANSITIONS: Record<UserStatusAction, { from: readonly UserStatus[]; to: UserStatus; eventType: string; isProtected: boolean }> = {
  deactivate: { from: ['active'], to: 'inactive', eventType: 'user.deactivated', isProtected: true },
  activate: { from: ['inactive'], to: 'active', eventType: 'user.reactivated', isProtected: false },
  suspend: { from: ['active'], to: 'suspended', eventType: 'user.suspended', isProtected: true },
  unsuspend: { from: ['suspended'], to: 'active', eventType: 'user.unsuspended', isProtected: false },
  lock: { from: ['active'], to: 'locked', eventType: 'user.locked', isProtected: true },
  unlock: { from: ['locked'], to: 'active', eventType: 'user.unlocked', isProtected: false },
};

export const DEFAULT_ADMIN_LOCK_REASON = 'admin_lock';

export const superAdminProtected = (message: string) => new AppError('forbidden', 'super_admin_protected', message);

const emailImmutable = () =>
  new AppError('invalid', 'validation_failed', 'The e-mail address cannot be changed.', [{ path: 'email', message: 'The e-mail address is immutable.' }]);

/** What the user use cases consult in other domains; wired in services.ts. */
export interface UserWriteDeps {
  db: Db;
  clock: Clock;
  passwords: PasswordHasher;
  repo: UserRepo;
  audit: Pick<AuditService, 'record'>;
  /** Issue 9 item 7 and spec 20 §3.3 (src/rbac/admin-access.ts). */
  adminAccess: () => {
    assertMayManageUser(actor: Actor, user: Pick<User, 'id' | 'organizationId'>): Promise<void>;
    isSuperAdminUser(userId: string): Promise<boolean>;
  };
  /** Issue 9 item 13: ends every session, grant and token of the user. */
  sessions: () => { endAllForUser(organizationId: string, userId: string): Promise<EndedAccess> };
  /** Names a password may not be (spec 60 §5): the organization's name, company name and slug. */
  organizationNames?: (organizationId: string) => Promise<Array<string | null | undefined>>;
  /** The password-changed e-mail (spec 60 §8), queued in the use case's transaction. */
  notifyPasswordChanged?: (user: User) => Promise<void>;
}

export interface StatusInput {
  /** suspend and lock: ≤ 500 characters; a lock without one records `admin_lock`. */
  reason?: string;
}

/** Profile fields, plus `email` sent back unchanged (spec 20 §5.6: it never changes). */
export type UpdateUserCommand = UpdateUserInput & { email?: unknown };

/** Checks the current state before a change (the admin API's If-Match); throws to refuse it. */
export type Precondition = (current: User) => void;

/** The admin write use cases on users (spec 20 §5.6); each authorizes, changes, cascades and audits in one transaction. */
export function createUserWrites(deps: UserWriteDeps) {
  const { db, clock, passwords, repo, audit } = deps;
  const now = () => new Date(clock.now());

  /** `orgId` null: the user whatever its organization (`/api/admin/users/:userId/…`). */
  async function load(orgId: string | null, id: string): Promise<User> {
    if (!isUuid(id) || (orgId !== null && !isUuid(orgId))) throw userNotFound();
    const user = orgId === null ? await repo.findAnyById(id) : await repo.findById(orgId, id);
    if (!user) throw userNotFound();
    return user;
  }

  async function updateOrThrow(orgId: string, id: string, values: UserColumnValues): Promise<User> {
    const user = await repo.update(orgId, id, values);
    if (!user) throw userNotFound();
    return user;
  }

  const record = (actor: Actor, user: User, eventType: string, metadata?: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'user', targetId: user.id, organizationId: user.organizationId, userId: user.id, metadata });

  /** Loads the target and applies the protections every admin action on a user shares. */
  async function target(actor: Actor, orgId: string | null, id: string): Promise<User> {
    const user = await load(orgId, id);
    await deps.adminAccess().assertMayManageUser(actor, user);
    return user;
  }

  async function credentialChange(
    actor: Actor, orgId: string | null, id: string, passwordHash: string | null, eventType: string, clearLockout = false, plain?: string,
  ): Promise<User> {
    return db.transaction(async () => {
      authorize(actor, 'admin:user:update');
      const { organizationId, email } = await target(actor, orgId, id);
      if (plain !== undefined) assertPasswordPolicy(plain, { email, organizationNames: await deps.organizationNames?.(organizationId) });
      let user = await updateOrThrow(organizationId, id, { passwordHash, passwordChangedAt: now() });
      if (clearLockout) {
        await repo.clearFailures(organizationId, id, true);
        user = await load(organizationId, id);
      }
      const ended = await deps.sessions().endAllForUser(organizationId, id);
      if (passwordHash !== null) await deps.notifyPasswordChanged?.(user);
      await record(actor, user, eventType, { endedSessions: ended.sessions, revokedTokens: ended.tokens });
      return user;
    });
  }

  return {
    async create(actor: Actor, orgId: string, input: CreateUserInput): Promise<User> {
      authorize(actor, 'admin:user:create');
      const data = parseInput(CreateUserInput, input);
      if (!isUuid(orgId)) throw organizationNotFound();
      if (data.password !== undefined) assertPasswordPolicy(data.password, { email: data.email, organizationNames: await deps.organizationNames?.(orgId) });
      const passwordHash = data.password !== undefined ? await passwords.hash(data.password) : undefined;
      return db.transaction(async () => {
        let user: User;
        try {
          user = await repo.insert(orgId, {
            email: data.email,
            status: data.status,
            ...profileColumns(data),
            ...(passwordHash !== undefined ? { passwordHash, passwordChangedAt: now() } : {}),
          });
        } catch (err) {
          throw mapWriteError(err);
        }
        await record(actor, user, 'user.created', { hasPassword: user.hasPassword, status: user.status });
        return user;
      });
    },

    /** Profile fields only; null clears a field, an address object replaces the whole address. */
    async update(actor: Actor, orgId: string | null, id: string, command: UpdateUserCommand, precondition?: Precondition): Promise<User> {
      const { email, ...patch } = command;
      const data = parseInput(UpdateUserInput, patch);
      return db.transaction(async () => {
        authorize(actor, 'admin:user:update');
        const current = await target(actor, orgId, id);
        precondition?.(current);
        if (email !== undefined && (typeof email !== 'string' || email.trim().toLowerCase() !== current.email.toLowerCase())) throw emailImmutable();
        const user = await updateOrThrow(current.organizationId, id, profileColumns(data));
        await record(actor, user, 'user.updated', { fields: Object.keys(patch) });
        return user;
      });
    },

    /**
     * Spec 20 §5.6 status changes. The bootstrap super-admin is never deactivated, suspended or locked;
     * a user who may no longer sign in loses every session, grant and token at once (issue 9 item 13);
     * coming back (unsuspend, unlock, reactivate) restores none of them.
     */
    async setStatus(actor: Actor, orgId: string | null, id: string, action: UserStatusAction, input: StatusInput = {}): Promise<User> {
      const rule = TRANSITIONS[action];
      const reason = input.reason === undefined ? undefined : parseInput(LockReason, input.reason);
      if (action === 'lock' && reason === 'auto_lockout') throw reservedLockReason();
      return db.transaction(async () => {
        authorize(actor, 'admin:user:suspend');
        const current = await load(orgId, id);
        if (rule.isProtected && (await deps.adminAccess().isSuperAdminUser(id))) {
          throw superAdminProtected(`The super-admin user cannot be ${rule.eventType.slice('user.'.length)}.`);
        }
        await deps.adminAccess().assertMayManageUser(actor, current);
        if (!rule.from.includes(current.status)) throw invalidTransition(action, current.status);
        const lock = action === 'lock' ? { reason: reason ?? DEFAULT_ADMIN_LOCK_REASON, at: now() } : undefined;
        const user = await repo.transition(current.organizationId, id, rule.from, rule.to, lock);
        // The status moved between our read and the guarded update.
        if (!user) throw invalidTransition(action, (await load(orgId, id)).status);
        const ended = user.status === 'active' ? undefined : await deps.sessions().endAllForUser(user.organizationId, id);
        const detail = action === 'lock' ? { trigger: 'admin', reason: user.lockedReason } : reason ? { reason } : {};
        const cascade = ended ? { endedSessions: ended.sessions, revokedTokens: ended.tokens } : {};
        await record(actor, user, rule.eventType, { previousStatus: current.status, status: user.status, ...detail, ...cascade });
        return user;
      });
    },

    /**
     * An admin sets the password: every session, grant and token of the user ends (issue 9 item 13).
     * With `clearLockout` the failure counter and an automatic lock are cleared too.
     */
    async setPassword(actor: Actor, orgId: string | null, id: string, password: string, options: { clearLockout?: boolean } = {}): Promise<User> {
      authorize(actor, 'admin:user:update');
      const plain = parseInput(UserPassword, password);
      const hash = await passwords.hash(plain);
      return credentialChange(actor, orgId, id, hash, 'user.password_set', options.clearLockout, plain);
    },

    /** Makes the account passwordless (magic link only); its sessions end as with a new password. */
    clearPassword: (actor: Actor, orgId: string | null, id: string) => credentialChange(actor, orgId, id, null, 'user.password_cleared'),

    /** An administrator vouches for the address. */
    async verifyEmail(actor: Actor, orgId: string | null, id: string): Promise<User> {
      return db.transaction(async () => {
        authorize(actor, 'admin:user:update');
        const current = await target(actor, orgId, id);
        const user = await updateOrThrow(current.organizationId, id, { emailVerified: true });
        await record(actor, user, 'user.email_verified', { previouslyVerified: current.emailVerified });
        return user;
      });
    },

    /** Seed 002 `DELETE /users/:id/sessions`: n = the tracked sessions that were active. */
    async endSessions(actor: Actor, orgId: string | null, id: string): Promise<EndedAccess> {
      return db.transaction(async () => {
        authorize(actor, 'admin:session:revoke');
        const user = await target(actor, orgId, id);
        const ended = await deps.sessions().endAllForUser(user.organizationId, id);
        await audit.record(actor, {
          eventType: 'user.sessions_revoked', eventCategory: 'security', targetType: 'user', targetId: user.id,
          organizationId: user.organizationId, userId: user.id, metadata: { revoked: ended.sessions, revokedTokens: ended.tokens },
        });
        return ended;
      });
    },
  };
}

const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === '' ? null : v);

export function profileColumns(data: z.output<typeof UpdateUserInput>): UserColumnValues {
  const a = data.address;
  return {
    emailVerified: data.emailVerified,
    givenName: blankToNull(data.givenName),
    familyName: blankToNull(data.familyName),
    middleName: blankToNull(data.middleName),
    nickname: blankToNull(data.nickname),
    preferredUsername: blankToNull(data.preferredUsername),
    profileUrl: blankToNull(data.profileUrl),
    pictureUrl: blankToNull(data.pictureUrl),
    websiteUrl: blankToNull(data.websiteUrl),
    gender: blankToNull(data.gender),
    birthdate: data.birthdate,
    zoneinfo: blankToNull(data.zoneinfo),
    locale: blankToNull(data.locale),
    phoneNumber: blankToNull(data.phoneNumber),
    phoneNumberVerified: data.phoneNumberVerified,
    ...(a === undefined
      ? {}
      : {
          addressStreet: blankToNull(a?.street) ?? null,
          addressLocality: blankToNull(a?.locality) ?? null,
          addressRegion: blankToNull(a?.region) ?? null,
          addressPostalCode: blankToNull(a?.postalCode) ?? null,
          addressCountry: a?.country ?? null,
        }),
  };
}

function mapWriteError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'users_organization_lower_email_key') return userEmailTaken();
  if (e.code === '23503' && e.constraint === 'users_organization_id_fkey') return organizationNotFound();
  return err;
}
