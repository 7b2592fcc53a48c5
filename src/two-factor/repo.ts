import { prepared, type Db } from '../platform/db/index.js';
import { forgetUserInRequest } from '../users/index.js';
import type { SealedSecret } from './crypto.js';
import type { EnrolledMethod } from './policy.js';

/** A user's authenticator-app enrolment, without its secret. */
export interface TotpEnrolment {
  isVerified: boolean;
  lastUsedStep: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the GDPR export shows of one e-mailed code (never the code or its hash). */
export interface OtpCodeMetadata {
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  attempts: number;
}

export interface RecoveryCodeCounts {
  remaining: number;
  used: number;
}

/** What a sign-in decides its second factor on, besides the user row. */
export interface FactorState {
  /** null without an authenticator-app secret. */
  totp: { isVerified: boolean } | null;
  recoveryCodesRemaining: number;
  passkeys: number;
}

export interface DeletedFactors {
  totp: number;
  otpCodes: number;
  recoveryCodes: number;
}

// The factor tables reach the organization through users: every statement names both ids.
const OWNED = (alias: string) => `EXISTS (SELECT 1 FROM users u WHERE u.id = ${alias}.user_id AND u.organization_id = $1) AND ${alias}.user_id = $2`;

const stepOf = (v: string | number | null) => (v === null ? null : Number(v));

/**
 * Read at every sign-in: one round trip for the three tables. The passkey count reads the passkeys domain's
 * table (read only, as its `countForUser` does) so that it is not a statement of its own.
 */
const FACTOR_STATE = prepared('two_factor_state', `SELECT
  (SELECT t.verified FROM user_totp t WHERE ${OWNED('t')}) AS totp_verified,
  (SELECT count(*) FROM two_factor_recovery_codes c WHERE ${OWNED('c')} AND c.used_at IS NULL)::int AS recovery_remaining,
  (SELECT count(*) FROM webauthn_credentials w WHERE w.organization_id = $1 AND w.user_id = $2)::int AS passkeys`);

export type TwoFactorRepo = ReturnType<typeof createTwoFactorRepo>;

/**
 * SQL of the second factors (spec 40 §2): `user_totp`, `two_factor_otp_codes`, `two_factor_recovery_codes`
 * and the two `users.two_factor_*` columns, which only this domain writes. One-time values are consumed by a
 * single guarded UPDATE, so concurrent uses of one code or TOTP step have exactly one winner.
 */
export function createTwoFactorRepo(db: Db) {
  return {
    async factorState(orgId: string, userId: string): Promise<FactorState> {
      const row = await db.one<{ totp_verified: boolean | null; recovery_remaining: number; passkeys: number }>(FACTOR_STATE, [orgId, userId]);
      return {
        totp: row.totp_verified === null ? null : { isVerified: row.totp_verified },
        recoveryCodesRemaining: Number(row.recovery_remaining),
        passkeys: Number(row.passkeys),
      };
    },

    async findTotp(orgId: string, userId: string): Promise<TotpEnrolment | null> {
      const row = await db.maybeOne<{ verified: boolean; last_used_step: string | null; created_at: Date; updated_at: Date }>(
        `SELECT t.verified, t.last_used_step, t.created_at, t.updated_at FROM user_totp t WHERE ${OWNED('t')}`,
        [orgId, userId],
      );
      return row && { isVerified: row.verified, lastUsedStep: stepOf(row.last_used_step), createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
    },

    /** The sealed secret too: for verification only. */
    async findTotpSecret(orgId: string, userId: string): Promise<(TotpEnrolment & { sealed: SealedSecret }) | null> {
      const row = await db.maybeOne<{
        verified: boolean; last_used_step: string | null; created_at: Date; updated_at: Date; encrypted_secret: string; encryption_iv: string; encryption_tag: string;
      }>(
        `SELECT t.verified, t.last_used_step, t.created_at, t.updated_at, t.encrypted_secret, t.encryption_iv, t.encryption_tag
           FROM user_totp t WHERE ${OWNED('t')}`,
        [orgId, userId],
      );
      if (!row) return null;
      return {
        isVerified: row.verified, lastUsedStep: stepOf(row.last_used_step), createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at),
        sealed: { ciphertext: row.encrypted_secret, iv: row.encryption_iv, tag: row.encryption_tag },
      };
    },

    /** A new, unverified secret replacing any earlier one of the user; false when the user is not in the org. */
    async saveTotp(orgId: string, userId: string, sealed: SealedSecret, now: Date): Promise<boolean> {
      const result = await db.query(
        `INSERT INTO user_totp (user_id, encrypted_secret, encryption_iv, encryption_tag, verified, last_used_step, created_at, updated_at)
         SELECT u.id, $3, $4, $5, false, NULL::bigint, $6::timestamptz, $6::timestamptz FROM users u WHERE u.organization_id = $1 AND u.id = $2
         ON CONFLICT (user_id) DO UPDATE SET encrypted_secret = EXCLUDED.encrypted_secret, encryption_iv = EXCLUDED.encryption_iv,
           encryption_tag = EXCLUDED.encryption_tag, verified = false, last_used_step = NULL, created_at = EXCLUDED.created_at`,
        [orgId, userId, sealed.ciphertext, sealed.iv, sealed.tag, now],
      );
      return result.rowCount > 0;
    },

    /**
     * Marks the pending secret verified with its first step used. Guarded by the ciphertext the code was
     * checked against, so a secret replaced meanwhile by a new enrolment is never the one enabled.
     */
    async verifyTotp(orgId: string, userId: string, ciphertext: string, step: number): Promise<boolean> {
      const result = await db.query(
        `UPDATE user_totp t SET verified = true, last_used_step = $4
          WHERE ${OWNED('t')} AND NOT t.verified AND t.encrypted_secret = $3`,
        [orgId, userId, ciphertext, step],
      );
      return result.rowCount === 1;
    },

    /** The replay guard: true for exactly one caller per step, and never for a step at or before the last used. */
    async claimTotpStep(orgId: string, userId: string, step: number): Promise<boolean> {
      const result = await db.query(
        `UPDATE user_totp t SET last_used_step = $3
          WHERE ${OWNED('t')} AND t.verified AND (t.last_used_step IS NULL OR t.last_used_step < $3)`,
        [orgId, userId, step],
      );
      return result.rowCount === 1;
    },

    /**
     * Stores a new code and keeps at most `maxLive` live ones (the oldest go); used and expired codes of
     * the user are swept at the same time. Runs in the caller's transaction.
     */
    async insertOtpCode(orgId: string, userId: string, codeHash: string, now: Date, expiresAt: Date, maxLive: number): Promise<boolean> {
      await db.query(`DELETE FROM two_factor_otp_codes c WHERE ${OWNED('c')} AND (c.used_at IS NOT NULL OR c.expires_at <= $3)`, [orgId, userId, now]);
      const inserted = await db.query(
        `INSERT INTO two_factor_otp_codes (user_id, code_hash, expires_at, created_at)
         SELECT u.id, $3, $4::timestamptz, $5::timestamptz FROM users u WHERE u.organization_id = $1 AND u.id = $2`,
        [orgId, userId, codeHash, expiresAt, now],
      );
      await db.query(
        `DELETE FROM two_factor_otp_codes WHERE id IN (
           SELECT c.id FROM two_factor_otp_codes c WHERE ${OWNED('c')} AND c.used_at IS NULL
            ORDER BY c.created_at DESC, c.id DESC OFFSET $3)`,
        [orgId, userId, maxLive],
      );
      return inserted.rowCount === 1;
    },

    /** Uses the live code with this hash once; false for a wrong, used, expired or exhausted code. */
    async consumeOtpCode(orgId: string, userId: string, codeHash: string, now: Date, maxAttempts: number): Promise<boolean> {
      const result = await db.query(
        `UPDATE two_factor_otp_codes c SET used_at = $4
          WHERE ${OWNED('c')} AND c.code_hash = $3 AND c.used_at IS NULL AND c.expires_at > $4 AND c.attempts < $5`,
        [orgId, userId, codeHash, now, maxAttempts],
      );
      return result.rowCount > 0;
    },

    /** A wrong code counts against every live code of the user (the guess could have been any of them). */
    async countOtpFailure(orgId: string, userId: string, now: Date): Promise<void> {
      await db.query(`UPDATE two_factor_otp_codes c SET attempts = c.attempts + 1 WHERE ${OWNED('c')} AND c.used_at IS NULL AND c.expires_at > $3`, [orgId, userId, now]);
    },

    /** Why a code was refused, for the audit entry. */
    async otpRefusal(orgId: string, userId: string, codeHash: string, now: Date, maxAttempts: number): Promise<'used' | 'expired' | 'too_many_attempts' | 'invalid_code'> {
      const row = await db.maybeOne<{ used_at: Date | null; expires_at: Date; attempts: number }>(
        `SELECT c.used_at, c.expires_at, c.attempts FROM two_factor_otp_codes c WHERE ${OWNED('c')} AND c.code_hash = $3 ORDER BY c.created_at DESC LIMIT 1`,
        [orgId, userId, codeHash],
      );
      if (!row) return 'invalid_code';
      if (row.used_at !== null) return 'used';
      if (new Date(row.expires_at) <= now) return 'expired';
      return row.attempts >= maxAttempts ? 'too_many_attempts' : 'invalid_code';
    },

    async listOtpCodes(orgId: string, userId: string): Promise<OtpCodeMetadata[]> {
      const rows = await db.many<{ created_at: Date; expires_at: Date; used_at: Date | null; attempts: number }>(
        `SELECT c.created_at, c.expires_at, c.used_at, c.attempts FROM two_factor_otp_codes c WHERE ${OWNED('c')} ORDER BY c.created_at DESC`,
        [orgId, userId],
      );
      return rows.map((r) => ({ createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at), usedAt: r.used_at && new Date(r.used_at), attempts: r.attempts }));
    },

    /** The user's recovery codes become exactly these Argon2id hashes (earlier ones, used or not, go). */
    async replaceRecoveryCodes(orgId: string, userId: string, hashes: readonly string[], now: Date): Promise<void> {
      await db.query(`DELETE FROM two_factor_recovery_codes c WHERE ${OWNED('c')}`, [orgId, userId]);
      await db.query(
        `INSERT INTO two_factor_recovery_codes (user_id, code_hash, created_at)
         SELECT u.id, h.code_hash, $4::timestamptz FROM users u CROSS JOIN unnest($3::text[]) AS h(code_hash)
          WHERE u.organization_id = $1 AND u.id = $2`,
        [orgId, userId, [...hashes], now],
      );
    },

    /** The unused codes' hashes: for verification only. */
    async findUnusedRecoveryHashes(orgId: string, userId: string): Promise<Array<{ id: string; hash: string }>> {
      const rows = await db.many<{ id: string; code_hash: string }>(
        `SELECT c.id, c.code_hash FROM two_factor_recovery_codes c WHERE ${OWNED('c')} AND c.used_at IS NULL ORDER BY c.created_at, c.id`,
        [orgId, userId],
      );
      return rows.map((r) => ({ id: r.id, hash: r.code_hash }));
    },

    /** Uses one recovery code; true for exactly one of concurrent uses. */
    async consumeRecoveryCode(orgId: string, userId: string, id: string, now: Date): Promise<boolean> {
      const result = await db.query(
        `UPDATE two_factor_recovery_codes c SET used_at = $4 WHERE ${OWNED('c')} AND c.id = $3 AND c.used_at IS NULL`,
        [orgId, userId, id, now],
      );
      return result.rowCount === 1;
    },

    async countRecoveryCodes(orgId: string, userId: string): Promise<RecoveryCodeCounts> {
      const row = await db.one<{ remaining: number; used: number }>(
        `SELECT count(*) FILTER (WHERE c.used_at IS NULL)::int AS remaining, count(*) FILTER (WHERE c.used_at IS NOT NULL)::int AS used
           FROM two_factor_recovery_codes c WHERE ${OWNED('c')}`,
        [orgId, userId],
      );
      return { remaining: row.remaining, used: row.used };
    },

    /** `users.two_factor_enabled` / `two_factor_method`; false when the user is not in the org. */
    async setUserMethod(orgId: string, userId: string, method: EnrolledMethod | null): Promise<boolean> {
      const result = await db.query(
        'UPDATE users SET two_factor_enabled = $3, two_factor_method = $4 WHERE organization_id = $1 AND id = $2',
        [orgId, userId, method !== null, method],
      );
      forgetUserInRequest(orgId, userId);
      return result.rowCount === 1;
    },

    /** The TOTP secret, every e-mailed code and every recovery code of the user. */
    async deleteFactors(orgId: string, userId: string): Promise<DeletedFactors> {
      const totp = await db.query(`DELETE FROM user_totp t WHERE ${OWNED('t')}`, [orgId, userId]);
      const otp = await db.query(`DELETE FROM two_factor_otp_codes c WHERE ${OWNED('c')}`, [orgId, userId]);
      const recovery = await db.query(`DELETE FROM two_factor_recovery_codes c WHERE ${OWNED('c')}`, [orgId, userId]);
      return { totp: totp.rowCount, otpCodes: otp.rowCount, recoveryCodes: recovery.rowCount };
    },

    async deleteTotp(orgId: string, userId: string): Promise<void> {
      await db.query(`DELETE FROM user_totp t WHERE ${OWNED('t')}`, [orgId, userId]);
    },
  };
}
