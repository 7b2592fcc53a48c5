import type { Queryable } from '../platform/db/index.js';
import type { RegistrationToken, RegistrationTokenStatus } from './schema.js';

interface TokenRow {
  id: string;
  organization_id: string;
  application_id: string;
  label: string | null;
  expires_at: Date;
  max_uses: number | null;
  use_count: number;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

export interface NewRegistrationToken {
  applicationId: string;
  tokenSha256: string;
  label: string | null;
  expiresAt: Date;
  maxUses: number | null;
  createdAt: Date;
}

const COLUMNS = 'id, organization_id, application_id, label, expires_at, max_uses, use_count, last_used_at, revoked_at, created_at';

/** A token that can still register a client at `now` (a timestamptz parameter). */
const USABLE = (now: string) => `revoked_at IS NULL AND expires_at > ${now} AND (max_uses IS NULL OR use_count < max_uses)`;

/** Status filters (precedence: revoked, expired, used up, active); `now()` adds the time parameter when needed. */
const STATUS_SQL: Record<RegistrationTokenStatus, (now: () => string) => string> = {
  revoked: () => 'revoked_at IS NOT NULL',
  expired: (now) => `revoked_at IS NULL AND expires_at <= ${now()}`,
  used_up: (now) => `revoked_at IS NULL AND expires_at > ${now()} AND max_uses IS NOT NULL AND use_count >= max_uses`,
  active: (now) => USABLE(now()),
};

export interface RegistrationTokenFilter {
  applicationId?: string;
  status?: RegistrationTokenStatus;
  limit: number;
  offset: number;
}

export function createRegistrationTokenRepo(db: Queryable) {
  return {
    async insert(orgId: string, t: NewRegistrationToken, now: Date): Promise<RegistrationToken> {
      const row = await db.one<TokenRow>(
        `INSERT INTO registration_tokens (organization_id, application_id, token_sha256, label, expires_at, max_uses, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [orgId, t.applicationId, t.tokenSha256, t.label, t.expiresAt, t.maxUses, t.createdAt],
      );
      return toToken(row, now);
    },

    async list(orgId: string, filter: RegistrationTokenFilter, now: Date): Promise<{ rows: RegistrationToken[]; total: number }> {
      const params: unknown[] = [orgId];
      const where = ['organization_id = $1'];
      if (filter.applicationId !== undefined) {
        params.push(filter.applicationId);
        where.push(`application_id = $${params.length}`);
      }
      if (filter.status !== undefined) {
        where.push(STATUS_SQL[filter.status](() => {
          params.push(now);
          return `$${params.length}::timestamptz`;
        }));
      }
      const whereSql = where.join(' AND ');
      const { total } = await db.one<{ total: number }>(`SELECT count(*)::int AS total FROM registration_tokens WHERE ${whereSql}`, params);
      const rows = await db.many<TokenRow>(
        `SELECT ${COLUMNS} FROM registration_tokens WHERE ${whereSql}
         ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, filter.limit, filter.offset],
      );
      return { rows: rows.map((r) => toToken(r, now)), total };
    },

    async findById(orgId: string, id: string, now: Date): Promise<RegistrationToken | null> {
      const row = await db.maybeOne<TokenRow>(`SELECT ${COLUMNS} FROM registration_tokens WHERE organization_id = $1 AND id = $2`, [orgId, id]);
      return row && toToken(row, now);
    },

    /** The token of this organization with this digest, if it can still register a client. */
    async findUsable(orgId: string, tokenSha256: string, now: Date): Promise<RegistrationToken | null> {
      const row = await db.maybeOne<TokenRow>(
        `SELECT ${COLUMNS} FROM registration_tokens WHERE organization_id = $1 AND token_sha256 = $2 AND ${USABLE('$3::timestamptz')}`,
        [orgId, tokenSha256, now],
      );
      return row && toToken(row, now);
    },

    /** Spends one use in a single conditional update: of concurrent registrations, only `maxUses` get one. */
    async consume(orgId: string, id: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE registration_tokens SET use_count = use_count + 1, last_used_at = $3
         WHERE organization_id = $1 AND id = $2 AND ${USABLE('$3::timestamptz')}`,
        [orgId, id, now],
      );
      return rowCount === 1;
    },

    /** Revokes the token; true also when it already was (revoking is idempotent). */
    async revoke(orgId: string, id: string, now: Date): Promise<boolean> {
      const { rowCount } = await db.query(
        'UPDATE registration_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE organization_id = $1 AND id = $2',
        [orgId, id, now],
      );
      return rowCount === 1;
    },
  };
}

export type RegistrationTokenRepo = ReturnType<typeof createRegistrationTokenRepo>;

function statusOf(row: TokenRow, now: Date): RegistrationTokenStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at.getTime() <= now.getTime()) return 'expired';
  if (row.max_uses !== null && row.use_count >= row.max_uses) return 'used_up';
  return 'active';
}

function toToken(row: TokenRow, now: Date): RegistrationToken {
  return {
    id: row.id,
    organizationId: row.organization_id,
    applicationId: row.application_id,
    label: row.label,
    status: statusOf(row, now),
    expiresAt: row.expires_at.toISOString(),
    maxUses: row.max_uses,
    useCount: row.use_count,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}
