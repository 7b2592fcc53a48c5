import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';

export interface PgAdapterDeps {
  db: Db;
  clock: Clock;
  organizationId: string;
  /** Told when `consume` loses: another caller consumed the artifact first, or it is gone. Throws. */
  onConsumeLost(payload: AdapterPayload | undefined): Promise<never>;
}

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

const LIVE = 'organization_id = $2 AND (expires_at IS NULL OR expires_at > $3::timestamptz)';

/** Durable models in `oidc_payloads`, always filtered by this organization. */
export function createPgAdapter(model: string, deps: PgAdapterDeps): Adapter {
  const { db, clock, organizationId } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();

  async function findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await db.maybeOne<PayloadRow>(
      `SELECT payload, consumed_at FROM oidc_payloads
       WHERE ${column} = $1 AND ${LIVE} AND type = $4
       ORDER BY created_at DESC LIMIT 1`,
      [value, organizationId, nowIso(), model],
    );
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }

  return {
    async upsert(id, payload, expiresIn) {
      const now = clock.now();
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(now + expiresIn * 1000).toISOString() : null;
      const consumedAt = typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000).toISOString() : null;
      const grantId = model === 'Grant' ? id : (payload.grantId ?? null);
      const accountId = typeof payload.accountId === 'string' && isUuid(payload.accountId) ? payload.accountId : null;
      const { rowCount } = await db.query(
        `INSERT INTO oidc_payloads (id, type, payload, grant_id, user_code, uid, organization_id, account_id, expires_at, consumed_at, created_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7::uuid, $8::uuid, $9::timestamptz, $10::timestamptz, $11::timestamptz)
         ON CONFLICT (id, type) DO UPDATE SET
           payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code, uid = EXCLUDED.uid,
           account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at, consumed_at = EXCLUDED.consumed_at
         WHERE oidc_payloads.organization_id = EXCLUDED.organization_id`,
        [
          id, model, JSON.stringify(payload), grantId, payload.userCode ?? null, payload.uid ?? null,
          organizationId, accountId, expiresAt, consumedAt, new Date(now).toISOString(),
        ],
      );
      if (rowCount === 0) throw new Error(`${model} ${id} belongs to another organization`);
    },

    find: (id) => findWhere('id', id),
    findByUid: (uid) => findWhere('uid', uid),
    findByUserCode: (userCode) => findWhere('user_code', userCode),

    // The engine checks `consumed` before calling this, so concurrent rotations all get here: the row
    // lock makes every UPDATE but the first see consumed_at set and change nothing.
    async consume(id) {
      const { rowCount } = await db.query(
        `UPDATE oidc_payloads SET consumed_at = $3::timestamptz
         WHERE id = $1 AND organization_id = $2 AND type = $4 AND consumed_at IS NULL`,
        [id, organizationId, nowIso(), model],
      );
      if (rowCount === 1) return;
      const row = await db.maybeOne<Pick<PayloadRow, 'payload'>>(
        'SELECT payload FROM oidc_payloads WHERE id = $1 AND organization_id = $2 AND type = $3',
        [id, organizationId, model],
      );
      await deps.onConsumeLost(row?.payload);
    },

    async destroy(id) {
      await db.query('DELETE FROM oidc_payloads WHERE id = $1 AND organization_id = $2 AND type = $3', [id, organizationId, model]);
    },

    // The grant's tokens, not the Grant itself: the engine destroys that separately when revokeGrantPolicy says so.
    async revokeByGrantId(grantId) {
      await db.query("DELETE FROM oidc_payloads WHERE grant_id = $1 AND organization_id = $2 AND type <> 'Grant'", [grantId, organizationId]);
    },
  };
}

/** Deletes every row of these grants in this organization (the grants, their access and refresh tokens). */
export async function deleteGrants(db: Db, organizationId: string, grantIds: string[]): Promise<number> {
  if (grantIds.length === 0) return 0;
  const { rowCount } = await db.query('DELETE FROM oidc_payloads WHERE grant_id = ANY($1::text[]) AND organization_id = $2', [grantIds, organizationId]);
  return rowCount;
}

/**
 * Spec 20 §5.5 client revocation: every grant and token of the client in this organization (all carry
 * `clientId` in the payload). Returns the rows deleted and the grant ids they belonged to.
 */
export async function deleteClientPayloads(db: Db, organizationId: string, clientId: string): Promise<{ deleted: number; grantIds: string[] }> {
  const rows = await db.many<{ grant_id: string | null }>(
    "DELETE FROM oidc_payloads WHERE organization_id = $1 AND payload->>'clientId' = $2 RETURNING grant_id",
    [organizationId, clientId],
  );
  const grantIds = [...new Set(rows.map((r) => r.grant_id).filter((id): id is string => id !== null))];
  return { deleted: rows.length, grantIds };
}

/** Every grant and token issued to the account in this organization (issue 9 item 13). */
export async function deleteAccountPayloads(db: Db, organizationId: string, accountId: string): Promise<{ deleted: number; grantIds: string[] }> {
  const rows = await db.many<{ grant_id: string | null }>(
    'DELETE FROM oidc_payloads WHERE organization_id = $1 AND account_id = $2 RETURNING grant_id',
    [organizationId, accountId],
  );
  const grantIds = [...new Set(rows.map((r) => r.grant_id).filter((id): id is string => id !== null))];
  return { deleted: rows.length, grantIds };
}

/** Spec 10 §9 point 3: rows past their expiry, of every organization. */
export async function deleteExpired(db: Db, clock: Clock): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < $1::timestamptz', [
    new Date(clock.now()).toISOString(),
  ]);
  return rowCount;
}
