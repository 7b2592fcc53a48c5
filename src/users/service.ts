import type { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { emptyKeysetPage, type KeysetPage, type KeysetWindow } from '../platform/db/keyset.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import { createAuthenticator, type UserSettings } from './authenticate.js';
import { invalidTransition, organizationNotFound, parseInput, reservedLockReason, userEmailTaken, userNotFound } from './errors.js';
import type { PasswordHasher } from './passwords.js';
import { createUserRepo, type User, type UserColumnValues } from './repo.js';
import {
  CreateUserInput,
  ListUsersInput,
  LockReason,
  UpdateUserInput,
  UserPassword,
  type UserStatus,
} from './schema.js';

export interface UserServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  passwords: PasswordHasher;
  settings: UserSettings;
}

export interface UserPage {
  data: User[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

export interface TwoFactorSummary {
  totalUsers: number;
  enabledCount: number;
  disabledCount: number;
  totpCount: number;
  emailCount: number;
  complianceRate: number;
}

export type UserStatusAction = 'deactivate' | 'activate' | 'suspend' | 'unsuspend' | 'lock' | 'unlock';

const UserSearchInput = ListUsersInput.pick({ status: true, search: true, sortBy: true });

/** Admin API 20 §5.6: each action from exactly these states; anything else is `invalid_transition`. */
const TRANSITIONS: Record<UserStatusAction, { from: readonly UserStatus[]; to: UserStatus }> = {
  deactivate: { from: ['active'], to: 'inactive' },
  activate: { from: ['inactive'], to: 'active' },
  suspend: { from: ['active'], to: 'suspended' },
  unsuspend: { from: ['suspended'], to: 'active' },
  lock: { from: ['active'], to: 'locked' },
  unlock: { from: ['locked'], to: 'active' },
};

export const DEFAULT_ADMIN_LOCK_REASON = 'admin_lock';

export type UserService = ReturnType<typeof createUserService>;

export function createUserService({ db, clock, log, passwords, settings }: UserServiceDeps) {
  const repo = createUserRepo(db);
  const now = () => new Date(clock.now());

  async function findById(orgId: string, id: string): Promise<User | null> {
    if (!isUuid(orgId) || !isUuid(id)) return null;
    return repo.findById(orgId, id);
  }

  async function getById(orgId: string, id: string): Promise<User> {
    const user = await findById(orgId, id);
    if (!user) throw userNotFound();
    return user;
  }

  async function changeStatus(orgId: string, id: string, action: UserStatusAction, lock?: { reason: string; at: Date }): Promise<User> {
    const current = await getById(orgId, id);
    const rule = TRANSITIONS[action];
    if (!rule.from.includes(current.status)) throw invalidTransition(action, current.status);
    const updated = await repo.transition(orgId, id, rule.from, rule.to, lock);
    if (updated) return updated;
    // The status moved between our read and the guarded update.
    throw invalidTransition(action, (await getById(orgId, id)).status);
  }

  async function updateOrThrow(orgId: string, id: string, values: UserColumnValues): Promise<User> {
    if (!isUuid(orgId) || !isUuid(id)) throw userNotFound();
    const user = await repo.update(orgId, id, values);
    if (!user) throw userNotFound();
    return user;
  }

  return {
    authenticate: createAuthenticator({ repo, clock, log, passwords, settings }),

    async create(orgId: string, input: CreateUserInput): Promise<User> {
      const data = parseInput(CreateUserInput, input);
      if (!isUuid(orgId)) throw organizationNotFound();
      const passwordHash = data.password !== undefined ? await passwords.hash(data.password) : undefined;
      try {
        return await repo.insert(orgId, {
          email: data.email,
          status: data.status,
          ...profileColumns(data),
          ...(passwordHash !== undefined ? { passwordHash, passwordChangedAt: now() } : {}),
        });
      } catch (err) {
        throw mapWriteError(err);
      }
    },

    findById,
    getById,

    /** The user whatever its organization (`/api/admin/users/:userId/…`). */
    async findInAnyOrg(id: string): Promise<User | null> {
      return isUuid(id) ? repo.findAnyById(id) : null;
    },

    async getInAnyOrg(id: string): Promise<User> {
      const user = isUuid(id) ? await repo.findAnyById(id) : null;
      if (!user) throw userNotFound();
      return user;
    },

    async findByEmail(orgId: string, email: string): Promise<User | null> {
      const address = typeof email === 'string' ? email.trim() : '';
      if (!isUuid(orgId) || address === '' || address.length > 320) return null;
      return repo.findByEmail(orgId, address);
    },

    async list(orgId: string, query: ListUsersInput = {}): Promise<UserPage> {
      const f = parseInput(ListUsersInput, query);
      if (!isUuid(orgId)) return { data: [], total: 0, page: f.page, pageSize: f.pageSize, totalPages: 0 };
      const { rows, total } = await repo.list(orgId, { ...f, search: f.search || undefined });
      return { data: rows, total, page: f.page, pageSize: f.pageSize, totalPages: Math.ceil(total / f.pageSize) };
    },

    /** The cursor form of `list` (spec 20 §1 Cursor lists); the window comes from the cursor route. */
    async listKeyset(orgId: string, query: Pick<ListUsersInput, 'status' | 'search' | 'sortBy'>, window: KeysetWindow): Promise<KeysetPage<User>> {
      const f = parseInput(UserSearchInput, query);
      if (!isUuid(orgId)) return emptyKeysetPage();
      return repo.listKeyset(orgId, { ...f, search: f.search || undefined }, window);
    },

    /** Profile fields only; null clears a field, an address object replaces the whole address. */
    async update(orgId: string, id: string, patch: UpdateUserInput): Promise<User> {
      const data = parseInput(UpdateUserInput, patch);
      return updateOrThrow(orgId, id, profileColumns(data));
    },

    /** With `clearLockout` (password reset) the failure counter and an automatic lock are cleared too. */
    async setPassword(orgId: string, id: string, password: string, options: { clearLockout?: boolean } = {}): Promise<User> {
      const plain = parseInput(UserPassword, password);
      await getById(orgId, id);
      const passwordHash = await passwords.hash(plain);
      const user = await updateOrThrow(orgId, id, { passwordHash, passwordChangedAt: now() });
      if (!options.clearLockout) return user;
      await repo.clearFailures(orgId, id, true);
      return getById(orgId, id);
    },

    /** An administrator vouches for the address. */
    verifyEmail: (orgId: string, id: string) => updateOrThrow(orgId, id, { emailVerified: true }),

    /** Makes the account passwordless (magic link only). */
    clearPassword: (orgId: string, id: string) => updateOrThrow(orgId, id, { passwordHash: null, passwordChangedAt: now() }),

    /** Step 9 of spec 60 §2 (also magic-link and 2FA completion): `last_login_at` = now, `login_count` + 1. */
    async recordLogin(orgId: string, id: string): Promise<User> {
      const user = isUuid(orgId) && isUuid(id) ? await repo.recordLogin(orgId, id, now()) : null;
      if (!user) throw userNotFound();
      return user;
    },

    deactivate: (orgId: string, id: string) => changeStatus(orgId, id, 'deactivate'),
    activate: (orgId: string, id: string) => changeStatus(orgId, id, 'activate'),
    suspend: (orgId: string, id: string) => changeStatus(orgId, id, 'suspend'),
    unsuspend: (orgId: string, id: string) => changeStatus(orgId, id, 'unsuspend'),
    /** Admin lock: never lifted by the cooldown. `reason` (≤500) is stored as `locked_reason`. */
    async lock(orgId: string, id: string, reason?: string): Promise<User> {
      const text = reason === undefined ? DEFAULT_ADMIN_LOCK_REASON : parseInput(LockReason, reason);
      if (text === 'auto_lockout') throw reservedLockReason();
      return changeStatus(orgId, id, 'lock', { reason: text, at: now() });
    },
    /** Resets the failure counter too. */
    unlock: (orgId: string, id: string) => changeStatus(orgId, id, 'unlock'),

    /** Spec 20 §5.2 enrolment summary; complianceRate = enabled / total to 4 decimals (0 without users). */
    async twoFactorSummary(orgId: string): Promise<TwoFactorSummary> {
      const c = await repo.countTwoFactor(orgId);
      return {
        totalUsers: c.total,
        enabledCount: c.enabled,
        disabledCount: c.total - c.enabled,
        totpCount: c.totp,
        emailCount: c.email,
        complianceRate: c.total === 0 ? 0 : Math.round((c.enabled / c.total) * 10_000) / 10_000,
      };
    },
  };
}

const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === '' ? null : v);

function profileColumns(data: z.output<typeof UpdateUserInput>): UserColumnValues {
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
  if (e.code === '23505' && e.constraint === 'users_organization_id_email_key') return userEmailTaken();
  if (e.code === '23503' && e.constraint === 'users_organization_id_fkey') return organizationNotFound();
  return err;
}
