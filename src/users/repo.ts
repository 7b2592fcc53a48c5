import { keysetPage, keysetSql, type KeysetPage, type KeysetRow, type KeysetWindow } from '../platform/db/keyset.js';
import { escapeLike } from '../platform/db/sql.js';
import { prepared, type Db } from '../platform/db/index.js';
import type { UserSortBy, UserStatus } from './schema.js';
import { forgetUserInRequest, memoizedUser } from './user-memo.js';

export interface UserAddress {
  street: string | null;
  locality: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

/** A user without its password hash; timestamps are ISO-8601 strings. */
export interface User {
  id: string;
  organizationId: string;
  email: string;
  emailVerified: boolean;
  hasPassword: boolean;
  passwordChangedAt: string | null;
  givenName: string | null;
  familyName: string | null;
  middleName: string | null;
  nickname: string | null;
  preferredUsername: string | null;
  profileUrl: string | null;
  pictureUrl: string | null;
  websiteUrl: string | null;
  gender: string | null;
  /** YYYY-MM-DD */
  birthdate: string | null;
  zoneinfo: string | null;
  locale: string | null;
  phoneNumber: string | null;
  phoneNumberVerified: boolean;
  /** null when no part is set */
  address: UserAddress | null;
  status: UserStatus;
  lockedAt: string | null;
  lockedReason: string | null;
  failedLoginCount: number;
  lastFailedLoginAt: string | null;
  lastLoginAt: string | null;
  loginCount: number;
  twoFactorEnabled: boolean;
  twoFactorMethod: 'email' | 'totp' | null;
  createdAt: string;
  updatedAt: string;
  /** The last change of a claim (profile, e-mail, phone, address): the `updated_at` claim; never moved by sign-ins. */
  profileUpdatedAt: string;
}

/** Writable columns by field name; dynamic SET lists are built only from these. */
export const USER_COLUMNS = {
  email: 'email',
  emailVerified: 'email_verified',
  givenName: 'given_name',
  familyName: 'family_name',
  middleName: 'middle_name',
  nickname: 'nickname',
  preferredUsername: 'preferred_username',
  profileUrl: 'profile_url',
  pictureUrl: 'picture_url',
  websiteUrl: 'website_url',
  gender: 'gender',
  birthdate: 'birthdate',
  zoneinfo: 'zoneinfo',
  locale: 'locale',
  phoneNumber: 'phone_number',
  phoneNumberVerified: 'phone_number_verified',
  addressStreet: 'address_street',
  addressLocality: 'address_locality',
  addressRegion: 'address_region',
  addressPostalCode: 'address_postal_code',
  addressCountry: 'address_country',
  status: 'status',
  passwordHash: 'password_hash',
  passwordChangedAt: 'password_changed_at',
} as const;
export type UserColumnValues = Partial<Record<keyof typeof USER_COLUMNS, unknown>>;

const SORT_COLUMNS: Record<UserSortBy, string> = {
  email: 'lower(email)',
  given_name: 'given_name',
  family_name: 'family_name',
  created_at: 'created_at',
  last_login_at: 'last_login_at',
};
const NULLABLE_SORTS: ReadonlySet<UserSortBy> = new Set(['given_name', 'family_name', 'last_login_at']);

type Row = Record<string, unknown>;

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v == null ? null : new Date(String(v)).toISOString());
const str = (v: unknown): string | null => (v == null ? null : String(v));

export function rowToUser(r: Row): User {
  const address: UserAddress = {
    street: str(r.address_street),
    locality: str(r.address_locality),
    region: str(r.address_region),
    postalCode: str(r.address_postal_code),
    country: str(r.address_country),
  };
  return {
    id: String(r.id),
    organizationId: String(r.organization_id),
    email: String(r.email),
    emailVerified: r.email_verified === true,
    hasPassword: r.password_hash != null,
    passwordChangedAt: iso(r.password_changed_at),
    givenName: str(r.given_name),
    familyName: str(r.family_name),
    middleName: str(r.middle_name),
    nickname: str(r.nickname),
    preferredUsername: str(r.preferred_username),
    profileUrl: str(r.profile_url),
    pictureUrl: str(r.picture_url),
    websiteUrl: str(r.website_url),
    gender: str(r.gender),
    birthdate: str(r.birthdate),
    zoneinfo: str(r.zoneinfo),
    locale: str(r.locale),
    phoneNumber: str(r.phone_number),
    phoneNumberVerified: r.phone_number_verified === true,
    address: Object.values(address).some((v) => v !== null) ? address : null,
    status: r.status as UserStatus,
    lockedAt: iso(r.locked_at),
    lockedReason: str(r.locked_reason),
    failedLoginCount: Number(r.failed_login_count),
    lastFailedLoginAt: iso(r.last_failed_login_at),
    lastLoginAt: iso(r.last_login_at),
    loginCount: Number(r.login_count),
    twoFactorEnabled: r.two_factor_enabled === true,
    twoFactorMethod: (r.two_factor_method ?? null) as User['twoFactorMethod'],
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
    profileUpdatedAt: iso(r.profile_updated_at ?? r.updated_at) as string,
  };
}

export interface UserSearch {
  status?: UserStatus;
  search?: string;
  sortBy: UserSortBy;
}

export interface UserListFilter extends UserSearch {
  page: number;
  pageSize: number;
  sortOrder: 'asc' | 'desc';
}

function filterSql(orgId: string, f: Omit<UserSearch, 'sortBy'>): { where: string[]; params: unknown[] } {
  const where = ['organization_id = $1'];
  const params: unknown[] = [orgId];
  if (f.status) {
    params.push(f.status);
    where.push(`status = $${params.length}`);
  }
  if (f.search) {
    params.push(`%${escapeLike(f.search)}%`);
    const p = `$${params.length}`;
    where.push(`(email::text ILIKE ${p} OR given_name ILIKE ${p} OR family_name ILIKE ${p})`);
  }
  return { where, params };
}

export type UserRepo = ReturnType<typeof createUserRepo>;

/** Every token refresh and code exchange reads the account: prepared once per connection. */
const FIND_BY_ID = prepared('users_find_by_id', 'SELECT * FROM users WHERE organization_id = $1 AND id = $2');

/**
 * A reservation need not survive a crash, and waiting for the WAL flush would make a known account's failed
 * sign-in measurably slower than an unknown one's (which matches no row and writes nothing). `set_config(…,
 * true)` in RETURNING runs for the row it updates and holds until the end of the statement's own
 * transaction, so that commit does not wait; one round trip, where BEGIN, SET LOCAL and COMMIT took four.
 */
const RESERVE_PASSWORD_CHECK = prepared('users_reserve_password_check', `UPDATE users SET
             failed_login_count = failed_login_count + 1,
             last_failed_login_at = $3,
             status = CASE WHEN failed_login_count + 1 >= $4 THEN 'locked' ELSE status END,
             locked_reason = CASE WHEN failed_login_count + 1 >= $4 THEN 'auto_lockout' ELSE locked_reason END,
             locked_at = CASE WHEN failed_login_count + 1 >= $4 THEN $3 ELSE locked_at END
           WHERE organization_id = $1 AND id = $2 AND status = 'active'
           RETURNING failed_login_count, password_hash, set_config('synchronous_commit', 'off', true) AS synchronous_commit`);

export function createUserRepo(db: Db) {
  /** Once per HTTP request outside transactions (user-memo.ts); every write below forgets it. */
  async function findById(orgId: string, id: string): Promise<User | null> {
    return memoizedUser(orgId, id, async () => {
      const row = await db.maybeOne<Row>(FIND_BY_ID, [orgId, id]);
      return row ? rowToUser(row) : null;
    });
  }

  /** UPDATE … WHERE organization_id = $1 AND id = $2 [AND extra] RETURNING *; null when no row matched. */
  async function updateWhere(orgId: string, id: string, set: string, params: unknown[], extra = ''): Promise<User | null> {
    const row = await db.maybeOne<Row>(
      `UPDATE users SET ${set} WHERE organization_id = $1 AND id = $2 ${extra} RETURNING *`,
      [orgId, id, ...params],
    );
    const user = row ? rowToUser(row) : null;
    forgetUserInRequest(orgId, id, user);
    return user;
  }

  return {
    async insert(orgId: string, values: UserColumnValues): Promise<User> {
      const keys = Object.keys(values).filter((k) => values[k as keyof UserColumnValues] !== undefined) as (keyof typeof USER_COLUMNS)[];
      const columns = ['organization_id', ...keys.map((k) => USER_COLUMNS[k])];
      const params = [orgId, ...keys.map((k) => values[k])];
      const row = await db.one<Row>(
        `INSERT INTO users (${columns.join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
        params,
      );
      const user = rowToUser(row);
      forgetUserInRequest(orgId, user.id);
      return user;
    },

    findById,

    /** By id alone, for the admin routes without an organization in the path. */
    async findAnyById(id: string): Promise<User | null> {
      const row = await db.maybeOne<Row>('SELECT * FROM users WHERE id = $1', [id]);
      return row ? rowToUser(row) : null;
    },

    async findByEmail(orgId: string, email: string): Promise<User | null> {
      const row = await db.maybeOne<Row>('SELECT * FROM users WHERE organization_id = $1 AND lower(email) = lower($2)', [orgId, email]);
      return row ? rowToUser(row) : null;
    },

    async list(orgId: string, f: UserListFilter): Promise<{ rows: User[]; total: number }> {
      const { where, params } = filterSql(orgId, f);
      const clause = where.join(' AND ');
      const total = await db.one<{ n: string | number }>(`SELECT count(*) AS n FROM users WHERE ${clause}`, params);
      const order = `${SORT_COLUMNS[f.sortBy]} ${f.sortOrder === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, id ${f.sortOrder === 'asc' ? 'ASC' : 'DESC'}`;
      const rows = await db.many<Row>(
        `SELECT * FROM users WHERE ${clause} ORDER BY ${order} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, f.pageSize, (f.page - 1) * f.pageSize],
      );
      return { rows: rows.map(rowToUser), total: Number(total.n) };
    },

    /** The cursor form of `list`: one keyset window over (sort column, id), NULLs last as there. */
    async listKeyset(orgId: string, f: UserSearch, window: KeysetWindow): Promise<KeysetPage<User>> {
      const { where, params } = filterSql(orgId, f);
      const keyset = keysetSql(SORT_COLUMNS[f.sortBy], NULLABLE_SORTS.has(f.sortBy), window, params);
      if (keyset.where) where.push(keyset.where);
      const rows = await db.many<Row & KeysetRow>(
        `SELECT *, ${keyset.select} FROM users WHERE ${where.join(' AND ')} ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
        params,
      );
      return keysetPage(rows, window, rowToUser);
    },

    async update(orgId: string, id: string, values: UserColumnValues): Promise<User | null> {
      const keys = Object.keys(values).filter((k) => values[k as keyof UserColumnValues] !== undefined) as (keyof typeof USER_COLUMNS)[];
      if (keys.length === 0) return findById(orgId, id);
      const set = keys.map((k, i) => `${USER_COLUMNS[k]} = $${i + 3}`).join(', ');
      return updateWhere(orgId, id, set, keys.map((k) => values[k]));
    },

    /** Status change guarded by the allowed previous statuses; null when the user is missing or not in one of them. */
    async transition(orgId: string, id: string, from: readonly UserStatus[], to: UserStatus, lock?: { reason: string; at: Date }): Promise<User | null> {
      const set = lock
        ? 'status = $4, locked_reason = $5, locked_at = $6'
        : "status = $4, locked_reason = NULL, locked_at = NULL, failed_login_count = CASE WHEN status = 'locked' THEN 0 ELSE failed_login_count END";
      const params = lock ? [from, to, lock.reason, lock.at] : [from, to];
      return updateWhere(orgId, id, set, params, 'AND status = ANY($3::text[])');
    },

    /** Clears the failure counter and, when asked, an automatic lock (password reset). */
    async clearFailures(orgId: string, id: string, isAutoLockCleared: boolean): Promise<void> {
      await db.query(
        `UPDATE users SET failed_login_count = 0,
           status = CASE WHEN $3 AND status = 'locked' AND locked_reason = 'auto_lockout' THEN 'active' ELSE status END,
           locked_at = CASE WHEN $3 AND status = 'locked' AND locked_reason = 'auto_lockout' THEN NULL ELSE locked_at END,
           locked_reason = CASE WHEN $3 AND status = 'locked' AND locked_reason = 'auto_lockout' THEN NULL ELSE locked_reason END
         WHERE organization_id = $1 AND id = $2 AND (failed_login_count <> 0 OR ($3 AND status = 'locked' AND locked_reason = 'auto_lockout'))`,
        [orgId, id, isAutoLockCleared],
      );
      forgetUserInRequest(orgId, id);
    },

    /** The stored hash, for a check that counts no failure (the account portal's current password). */
    async findPasswordHash(orgId: string, id: string): Promise<string | null> {
      const row = await db.maybeOne<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE organization_id = $1 AND id = $2', [orgId, id]);
      return row ? str(row.password_hash) : null;
    },

    /**
     * Reserves one password check of an active user before it runs (spec 50 §10, issue 10): the counter
     * counts every check as failed until it succeeds, so no more than `threshold` run per lockout window
     * whatever the concurrency. The reservation that reaches the threshold locks the account in the same
     * statement (if its password is right, `confirmPasswordCheck` lifts that lock); one made past the
     * threshold (it was lowered) locks it without a check. Returns the count including this attempt and
     * the hash to check, or null when the user is not active. The row lock serialises concurrent reservations.
     */
    async reservePasswordCheck(orgId: string, id: string, at: Date, threshold: number): Promise<{ attempt: number; passwordHash: string | null } | null> {
      const row = await db.maybeOne<{ failed_login_count: number; password_hash: string | null }>(RESERVE_PASSWORD_CHECK, [orgId, id, at, threshold]);
      forgetUserInRequest(orgId, id);
      return row ? { attempt: Number(row.failed_login_count), passwordHash: str(row.password_hash) } : null;
    },

    /**
     * A reserved check (made `at`) found the password right: resets the counter and gives back the
     * failure time the reservation wrote, provided the account is still active, or still under the lock
     * this very reservation took (`isLockHolder`), which it lifts. Null otherwise: a concurrent failure
     * locked the account first, or an admin changed its status.
     */
    async confirmPasswordCheck(orgId: string, id: string, check: { at: Date; previousFailedAt: string | null; isLockHolder: boolean }): Promise<User | null> {
      return updateWhere(
        orgId, id,
        `failed_login_count = 0, status = 'active', locked_reason = NULL, locked_at = NULL,
         last_failed_login_at = CASE WHEN last_failed_login_at = $3 THEN $4::timestamptz ELSE last_failed_login_at END`,
        [check.at, check.previousFailedAt, check.isLockHolder],
        "AND (status = 'active' OR ($5 AND status = 'locked' AND locked_reason = 'auto_lockout' AND locked_at = $3))",
      );
    },

    /** Replaces a verified hash made with weaker parameters; false when the password changed in between (the new one stays). */
    async upgradePasswordHash(orgId: string, id: string, verified: string, upgraded: string): Promise<boolean> {
      const r = await db.query('UPDATE users SET password_hash = $4 WHERE organization_id = $1 AND id = $2 AND password_hash = $3', [orgId, id, verified, upgraded]);
      forgetUserInRequest(orgId, id);
      return r.rowCount === 1;
    },

    /** Lifts an automatic lock taken at or before `lockedBefore`; false when another request already did or it is an admin lock. */
    async unlockAfterCooldown(orgId: string, id: string, lockedBefore: Date): Promise<boolean> {
      const r = await db.query(
        `UPDATE users SET status = 'active', failed_login_count = 0, locked_at = NULL, locked_reason = NULL
         WHERE organization_id = $1 AND id = $2 AND status = 'locked' AND locked_reason = 'auto_lockout' AND locked_at <= $3`,
        [orgId, id, lockedBefore],
      );
      forgetUserInRequest(orgId, id);
      return r.rowCount === 1;
    },

    async recordLogin(orgId: string, id: string, at: Date): Promise<User | null> {
      return updateWhere(orgId, id, 'last_login_at = $3, login_count = login_count + 1', [at]);
    },

    /** Users of the organization, and those with two-factor enabled in total and per method. */
    async countTwoFactor(orgId: string): Promise<{ total: number; enabled: number; totp: number; email: number }> {
      return db.one(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE two_factor_enabled)::int AS enabled,
                count(*) FILTER (WHERE two_factor_enabled AND two_factor_method = 'totp')::int AS totp,
                count(*) FILTER (WHERE two_factor_enabled AND two_factor_method = 'email')::int AS email
           FROM users WHERE organization_id = $1`,
        [orgId],
      );
    },
  };
}
