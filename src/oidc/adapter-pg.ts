import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import { TOKEN_MODELS, type HeldConsume, type RequestLookups } from './adapter-request.js';
import {
  CONSUME, CONSUME_AND_UPSERT, CONSUMED_PAYLOAD, DESTROY, FIND, REVOKE_GRANT_TOKENS, UPSERT, payloadOf, type PayloadRow,
} from './adapter-statements.js';

export interface PgAdapterDeps {
  db: Db;
  clock: Clock;
  organizationId: string;
  /** Told when `consume` loses: another caller consumed the artifact first, or it is gone. Throws. */
  onConsumeLost(payload: AdapterPayload | undefined): Promise<never>;
  /** What the engine's current request shares between models (adapter-request.ts); absent for other callers. */
  lookups?: RequestLookups;
}

/** Refresh tokens rotate: their consume is carried by the write of the successor (CONSUME_AND_UPSERT). */
const ROTATED_MODEL = 'RefreshToken';

/** Durable models in `oidc_payloads`, always filtered by this organization. */
export function createPgAdapter(model: string, deps: PgAdapterDeps): Adapter {
  const { db, clock, organizationId, lookups } = deps;
  const nowIso = () => new Date(clock.now()).toISOString();

  async function findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await db.maybeOne<PayloadRow>(FIND[column], [value, organizationId, nowIso(), model]);
    return row ? payloadOf(row) : undefined;
  }

  /** A consume of this request still held back runs before anything else this request does here. */
  async function settle(): Promise<void> {
    const held = await lookups?.claimConsume();
    if (held) await held.runAlone();
  }
  // Without a held consume nothing is awaited first: a lookup starts in the caller's tick, where the
  // engine's parallel finds of the same value (introspection) can join it.
  const settled = (): Promise<void> | undefined => (lookups?.isHolding() ? settle() : undefined);

  async function lost(id: string, heldModel: string): Promise<never> {
    const row = await db.maybeOne<Pick<PayloadRow, 'payload'>>(CONSUMED_PAYLOAD, [id, organizationId, heldModel]);
    return deps.onConsumeLost(row?.payload);
  }

  async function consumeNow(id: string, at: string): Promise<void> {
    const { rowCount } = await db.query(CONSUME, [id, organizationId, at, model]);
    if (rowCount !== 1) await lost(id, model);
  }

  function upsertParams(id: string, payload: AdapterPayload, expiresIn: number | undefined): unknown[] {
    const now = clock.now();
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? new Date(now + expiresIn * 1000).toISOString() : null;
    const consumedAt = typeof payload.consumed === 'number' ? new Date(payload.consumed * 1000).toISOString() : null;
    const grantId = model === 'Grant' ? id : (payload.grantId ?? null);
    const accountId = typeof payload.accountId === 'string' && isUuid(payload.accountId) ? payload.accountId : null;
    return [
      id, model, JSON.stringify(payload), grantId, payload.userCode ?? null, payload.uid ?? null,
      organizationId, accountId, expiresAt, consumedAt, new Date(now).toISOString(),
    ];
  }

  /** The successor of a held refresh token: its consume and this write in one statement. */
  async function rotate(held: HeldConsume, id: string, params: unknown[]): Promise<void> {
    const { consumed, stored } = await db.one<{ consumed: number; stored: number }>(CONSUME_AND_UPSERT, [...params, held.id, ROTATED_MODEL, held.at]);
    if (consumed !== 1) await lost(held.id, ROTATED_MODEL);
    if (stored !== 1) throw new Error(`${model} ${id} belongs to another organization`);
  }

  return {
    async upsert(id, payload, expiresIn) {
      lookups?.forget();
      const params = upsertParams(id, payload, expiresIn);
      const held = await lookups?.claimConsume();
      if (held && model === ROTATED_MODEL) return rotate(held, id, params);
      if (held) await held.runAlone();
      const { rowCount } = await db.query(UPSERT, params);
      if (rowCount === 0) throw new Error(`${model} ${id} belongs to another organization`);
    },

    async find(id) {
      const settling = settled();
      if (settling) await settling;
      const known = lookups?.take(model, id);
      if (known !== undefined) return known ? payloadOf(known) : undefined;
      const shared = TOKEN_MODELS.has(model) ? lookups?.rowsWithId(id) : undefined;
      if (!shared) return findWhere('id', id);
      const row = (await shared).find((r) => r.id === id && r.type === model);
      return row ? payloadOf(row) : undefined;
    },

    findByUid: async (uid) => {
      await settled();
      return findWhere('uid', uid);
    },
    findByUserCode: async (userCode) => {
      await settled();
      return findWhere('user_code', userCode);
    },

    // The engine checks `consumed` before calling this, so concurrent rotations all get here: the row
    // lock makes every UPDATE but the first see consumed_at set and change nothing. A refresh token's
    // consume waits for the successor's write in the same request and goes with it.
    async consume(id) {
      lookups?.forget();
      await settle();
      const at = nowIso();
      if (model === ROTATED_MODEL && lookups?.deferConsume({ id, at, runAlone: () => consumeNow(id, at) })) return;
      await consumeNow(id, at);
    },

    async destroy(id) {
      lookups?.forget();
      await settle();
      await db.query(DESTROY, [id, organizationId, model]);
    },

    // The grant's tokens, not the Grant itself: the engine destroys that separately when revokeGrantPolicy says so.
    async revokeByGrantId(grantId) {
      lookups?.forget();
      await settle();
      await db.query(REVOKE_GRANT_TOKENS, [grantId, organizationId]);
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

/** The grants the account holds in this organization (the account portal's connected apps), unexpired. */
export async function findAccountGrants(db: Db, organizationId: string, accountId: string, clock: Clock): Promise<Array<{ grantId: string; payload: Record<string, unknown> }>> {
  const rows = await db.many<{ id: string; payload: Record<string, unknown> }>(
    `SELECT id, payload FROM oidc_payloads
      WHERE organization_id = $1 AND account_id = $2 AND type = 'Grant' AND (expires_at IS NULL OR expires_at > $3::timestamptz)`,
    [organizationId, accountId, new Date(clock.now()).toISOString()],
  );
  return rows.map((r) => ({ grantId: r.id, payload: r.payload }));
}

/** Spec 10 §9 point 3: rows past their expiry, of every organization. */
export async function deleteExpired(db: Db, clock: Clock): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < $1::timestamptz', [
    new Date(clock.now()).toISOString(),
  ]);
  return rowCount;
}
