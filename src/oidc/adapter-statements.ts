import type { AdapterPayload } from 'oidc-provider';
import { prepared } from '../platform/db/index.js';

/** The OIDC payload store's statements on `oidc_payloads`, prepared: every token request runs some. */

export interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

export interface FoundRow extends PayloadRow {
  id: string;
  type: string;
}

/** The engine's payload: a consumed row says when (seconds). */
export const payloadOf = (row: PayloadRow): AdapterPayload =>
  row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;

const LIVE = 'organization_id = $2 AND (expires_at IS NULL OR expires_at > $3::timestamptz)';
const findBy = (column: 'id' | 'uid' | 'user_code') => prepared(`oidc_find_by_${column}`,
  `SELECT payload, consumed_at FROM oidc_payloads WHERE ${column} = $1 AND ${LIVE} AND type = $4 ORDER BY created_at DESC LIMIT 1`);
/** $1 value, $2 organization, $3 now, $4 model. */
export const FIND = { id: findBy('id'), uid: findBy('uid'), user_code: findBy('user_code') };

/** Every live row with id $1 (any model) and the live grant of a token among them: one round trip. */
export const TOKEN_AND_GRANT = prepared('oidc_token_and_grant', `
  SELECT id, type, payload, consumed_at FROM oidc_payloads WHERE id = $1 AND ${LIVE}
  UNION ALL
  SELECT g.id, g.type, g.payload, g.consumed_at FROM oidc_payloads t
  JOIN oidc_payloads g ON g.id = t.grant_id AND g.type = 'Grant' AND g.organization_id = t.organization_id
  WHERE t.id = $1 AND t.organization_id = $2 AND t.type IN ('AccessToken', 'RefreshToken')
    AND (g.expires_at IS NULL OR g.expires_at > $3::timestamptz)`);

const COLUMNS = 'id, type, payload, grant_id, user_code, uid, organization_id, account_id, expires_at, consumed_at, created_at';
const VALUES = '$1, $2, $3::jsonb, $4, $5, $6, $7::uuid, $8::uuid, $9::timestamptz, $10::timestamptz, $11::timestamptz';
// A row of another organization is never overwritten: the update then changes nothing.
const ON_CONFLICT = `ON CONFLICT (id, type) DO UPDATE SET
    payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code, uid = EXCLUDED.uid,
    account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at, consumed_at = EXCLUDED.consumed_at
  WHERE oidc_payloads.organization_id = EXCLUDED.organization_id`;

/** $1–$11 as COLUMNS. */
export const UPSERT = prepared('oidc_upsert', `INSERT INTO oidc_payloads (${COLUMNS}) VALUES (${VALUES}) ${ON_CONFLICT}`);

/**
 * A rotation in one statement: consumes refresh token $12 of model $13 at $14 and, only if that consume
 * won, stores its successor ($1–$11 as UPSERT). The row lock makes concurrent rotations of one token
 * wait and then find it consumed, so exactly one stores a successor.
 */
export const CONSUME_AND_UPSERT = prepared('oidc_consume_and_upsert', `
  WITH consumed AS (
    UPDATE oidc_payloads SET consumed_at = $14::timestamptz
    WHERE id = $12 AND organization_id = $7::uuid AND type = $13 AND consumed_at IS NULL
    RETURNING 1
  ), stored AS (
    INSERT INTO oidc_payloads (${COLUMNS}) SELECT ${VALUES} WHERE EXISTS (SELECT 1 FROM consumed) ${ON_CONFLICT}
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM consumed)::int AS consumed, (SELECT count(*) FROM stored)::int AS stored`);

/** $1 id, $2 organization, $3 consumed at, $4 model. */
export const CONSUME = prepared('oidc_consume',
  'UPDATE oidc_payloads SET consumed_at = $3::timestamptz WHERE id = $1 AND organization_id = $2 AND type = $4 AND consumed_at IS NULL');
export const CONSUMED_PAYLOAD = prepared('oidc_consumed_payload', 'SELECT payload FROM oidc_payloads WHERE id = $1 AND organization_id = $2 AND type = $3');
export const DESTROY = prepared('oidc_destroy', 'DELETE FROM oidc_payloads WHERE id = $1 AND organization_id = $2 AND type = $3');
export const REVOKE_GRANT_TOKENS = prepared('oidc_revoke_grant_tokens', "DELETE FROM oidc_payloads WHERE grant_id = $1 AND organization_id = $2 AND type <> 'Grant'");
