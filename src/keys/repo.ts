import type { Queryable } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import type { KeyMaterial, SigningAlgorithm } from './key-material.js';

export type SigningKeyStatus = 'active' | 'retired' | 'revoked';

export interface SigningKey {
  id: string;
  kid: string;
  algorithm: string;
  status: SigningKeyStatus;
  activatedAt: string;
  retiredAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface ActiveKeyMaterial {
  kid: string;
  algorithm: string;
  privateKeyPem: string;
}

interface SigningKeyRow {
  id: string;
  kid: string;
  algorithm: string;
  status: SigningKeyStatus;
  activated_at: Date;
  retired_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, kid, algorithm, status, activated_at, retired_at, revoked_at, created_at';
/** Newest first, with a total order so every process picks the same signer. */
const NEWEST_FIRST = 'activated_at DESC, created_at DESC, kid DESC';
/** Serialises key creation and revocation across processes sharing one PostgreSQL. */
const KEYS_LOCK = 7_301_202_612;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function toSigningKey(row: SigningKeyRow): SigningKey {
  return {
    id: row.id,
    kid: row.kid,
    algorithm: row.algorithm,
    status: row.status,
    activatedAt: row.activated_at.toISOString(),
    retiredAt: iso(row.retired_at),
    revokedAt: iso(row.revoked_at),
    createdAt: row.created_at.toISOString(),
  };
}

/** Held until the surrounding transaction ends. */
export async function lockSigningKeys(q: Queryable): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
}

export async function listSigningKeys(q: Queryable): Promise<SigningKey[]> {
  const rows = await q.many<SigningKeyRow>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY ${NEWEST_FIRST}`);
  return rows.map(toSigningKey);
}

/** Active keys per algorithm; an algorithm without one is absent. */
export async function countActiveKeys(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.many<{ algorithm: string; count: number }>(
    "SELECT algorithm, count(*)::int AS count FROM signing_keys WHERE status = 'active' GROUP BY algorithm",
  );
  return new Map(rows.map((r) => [r.algorithm, r.count]));
}

/** Private keys of the active set, newest first: the first one of each algorithm signs. */
export async function listActiveKeyMaterial(q: Queryable): Promise<ActiveKeyMaterial[]> {
  const rows = await q.many<{ kid: string; algorithm: string; private_key: string }>(
    `SELECT kid, algorithm, private_key FROM signing_keys WHERE status = 'active' ORDER BY ${NEWEST_FIRST}`,
  );
  return rows.map((r) => ({ kid: r.kid, algorithm: r.algorithm, privateKeyPem: r.private_key }));
}

/** Activation times strictly increase, so the key inserted last is the newest even within one clock tick. */
export async function insertActiveKey(q: Queryable, material: KeyMaterial, now: Date): Promise<SigningKey> {
  const row = await q.one<SigningKeyRow>(
    `WITH at AS (
       SELECT GREATEST($5::timestamptz, (SELECT max(activated_at) + interval '1 millisecond' FROM signing_keys)) AS t
     )
     INSERT INTO signing_keys (kid, algorithm, public_key, private_key, status, activated_at, created_at, encrypted)
     SELECT $1, $2, $3, $4, 'active', at.t, at.t, false FROM at
     RETURNING ${COLUMNS}`,
    [material.kid, material.algorithm, material.publicKeyPem, material.privateKeyPem, now.toISOString()],
  );
  return toSigningKey(row);
}

/** Retires every active key except the newest of its algorithm (of `algorithm` only, when given); returns the retired kids. */
export async function retireAllButNewest(q: Queryable, now: Date, algorithm: SigningAlgorithm | null): Promise<string[]> {
  const rows = await q.many<{ kid: string }>(
    `UPDATE signing_keys SET status = 'retired', retired_at = $1::timestamptz
     WHERE status = 'active'
       AND ($2::text IS NULL OR algorithm = $2::text)
       AND id NOT IN (
         SELECT DISTINCT ON (algorithm) id FROM signing_keys WHERE status = 'active' ORDER BY algorithm, ${NEWEST_FIRST}
       )
     RETURNING kid`,
    [now.toISOString(), algorithm],
  );
  return rows.map((r) => r.kid).sort();
}

/** By kid, or by id when given a UUID. */
export async function findSigningKey(q: Queryable, kidOrId: string): Promise<SigningKey | null> {
  const row = isUuid(kidOrId)
    ? await q.maybeOne<SigningKeyRow>(`SELECT ${COLUMNS} FROM signing_keys WHERE id = $1::uuid OR kid = $2`, [kidOrId, kidOrId])
    : await q.maybeOne<SigningKeyRow>(`SELECT ${COLUMNS} FROM signing_keys WHERE kid = $1`, [kidOrId]);
  return row ? toSigningKey(row) : null;
}

export async function markRevoked(q: Queryable, id: string, now: Date): Promise<SigningKey> {
  const row = await q.one<SigningKeyRow>(
    `UPDATE signing_keys SET status = 'revoked', revoked_at = $2::timestamptz WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, now.toISOString()],
  );
  return toSigningKey(row);
}
