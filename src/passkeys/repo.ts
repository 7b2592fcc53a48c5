import type { Db } from '../platform/db/index.js';
import { isUniqueViolation } from '../platform/db/sql.js';
import type { Passkey } from './schema.js';

/** A stored credential with what verification needs: its public key and signature counter. */
export interface StoredCredential extends Passkey {
  organizationId: string;
  userId: string;
  credentialId: Buffer;
  publicKey: Buffer;
  signCount: number;
}

export interface NewCredential {
  credentialId: Buffer;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
  aaguid: string | null;
  isBackedUp: boolean;
  name: string | null;
}

interface CredentialRow {
  id: string;
  organization_id: string;
  user_id: string;
  name: string | null;
  aaguid: string | null;
  backed_up: boolean;
  transports: string[] | null;
  created_at: Date;
  last_used_at: Date | null;
}

interface SecretRow extends CredentialRow {
  credential_id_hex: string;
  public_key_hex: string;
  sign_count: string | number;
}

// Bytes travel as hex text both ways, so `pg` (Buffer) and PGlite (Uint8Array) read and write alike.
const LISTED = 'id, organization_id, user_id, name, aaguid::text AS aaguid, backed_up, transports, created_at, last_used_at';
const WITH_KEYS = `${LISTED}, encode(credential_id, 'hex') AS credential_id_hex, encode(public_key, 'hex') AS public_key_hex, sign_count`;

function toPasskey(r: CredentialRow): Passkey {
  return {
    id: r.id, name: r.name, aaguid: r.aaguid, isBackedUp: r.backed_up === true, transports: r.transports ?? [],
    createdAt: new Date(r.created_at).toISOString(), lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  };
}

function toStored(r: SecretRow): StoredCredential {
  return {
    ...toPasskey(r), organizationId: r.organization_id, userId: r.user_id,
    credentialId: Buffer.from(r.credential_id_hex, 'hex'), publicKey: Buffer.from(r.public_key_hex, 'hex'), signCount: Number(r.sign_count),
  };
}

export type PasskeyRepo = ReturnType<typeof createPasskeyRepo>;

/**
 * SQL of `webauthn_credentials` and of `users.webauthn_user_handle`, the one users column this domain
 * owns. Every statement names the organization first: a credential is only ever found in its own.
 */
export function createPasskeyRepo(db: Db) {
  return {
    async listForUser(orgId: string, userId: string): Promise<Passkey[]> {
      const rows = await db.many<CredentialRow>(
        `SELECT ${LISTED} FROM webauthn_credentials WHERE organization_id = $1 AND user_id = $2 ORDER BY created_at, id`,
        [orgId, userId],
      );
      return rows.map(toPasskey);
    },

    /** The raw credential ids of a user's passkeys (exclude and allow lists), with their transports. */
    async credentialIdsOf(orgId: string, userId: string): Promise<Array<{ credentialId: Buffer; transports: string[] }>> {
      const rows = await db.many<{ credential_id_hex: string; transports: string[] | null }>(
        `SELECT encode(credential_id, 'hex') AS credential_id_hex, transports FROM webauthn_credentials
          WHERE organization_id = $1 AND user_id = $2 ORDER BY created_at, id`,
        [orgId, userId],
      );
      return rows.map((r) => ({ credentialId: Buffer.from(r.credential_id_hex, 'hex'), transports: r.transports ?? [] }));
    },

    async countForUser(orgId: string, userId: string): Promise<number> {
      const row = await db.one<{ n: string | number }>('SELECT count(*) AS n FROM webauthn_credentials WHERE organization_id = $1 AND user_id = $2', [orgId, userId]);
      return Number(row.n);
    },

    async find(orgId: string, userId: string, passkeyId: string): Promise<Passkey | null> {
      const row = await db.maybeOne<CredentialRow>(
        `SELECT ${LISTED} FROM webauthn_credentials WHERE organization_id = $1 AND user_id = $2 AND id = $3`,
        [orgId, userId, passkeyId],
      );
      return row && toPasskey(row);
    },

    /** The credential with its public key, found by the id the authenticator presented, in this organization only. */
    async findByCredentialId(orgId: string, credentialId: Buffer): Promise<StoredCredential | null> {
      const row = await db.maybeOne<SecretRow>(
        `SELECT ${WITH_KEYS} FROM webauthn_credentials WHERE organization_id = $1 AND credential_id = decode($2, 'hex')`,
        [orgId, credentialId.toString('hex')],
      );
      return row && toStored(row);
    },

    /** Null when this organization already holds the credential id (the same authenticator key registered twice). */
    async insert(orgId: string, userId: string, c: NewCredential, now: Date): Promise<Passkey | null> {
      try {
        const row = await db.one<CredentialRow>(
          `INSERT INTO webauthn_credentials (organization_id, user_id, credential_id, public_key, sign_count, transports, aaguid, backed_up, name, created_at)
           VALUES ($1, $2, decode($3, 'hex'), decode($4, 'hex'), $5, $6::text[], $7::uuid, $8, $9, $10)
           RETURNING ${LISTED}`,
          [orgId, userId, c.credentialId.toString('hex'), c.publicKey.toString('hex'), c.signCount, c.transports, c.aaguid, c.isBackedUp, c.name, now],
        );
        return toPasskey(row);
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    },

    /**
     * Records a verified assertion: the new counter, backup state and time of use. A compare-and-set on the
     * counter read before verifying, so of two concurrent assertions carrying the same counter (a cloned
     * authenticator) only one is accepted; false for the other.
     */
    async recordUse(orgId: string, passkeyId: string, expectedCount: number, newCount: number, isBackedUp: boolean, now: Date): Promise<boolean> {
      const result = await db.query(
        `UPDATE webauthn_credentials SET sign_count = $4, backed_up = $5, last_used_at = $6
          WHERE organization_id = $1 AND id = $2 AND sign_count = $3`,
        [orgId, passkeyId, expectedCount, newCount, isBackedUp, now],
      );
      return result.rowCount > 0;
    },

    async rename(orgId: string, userId: string, passkeyId: string, name: string | null): Promise<Passkey | null> {
      const row = await db.maybeOne<CredentialRow>(
        `UPDATE webauthn_credentials SET name = $4 WHERE organization_id = $1 AND user_id = $2 AND id = $3 RETURNING ${LISTED}`,
        [orgId, userId, passkeyId, name],
      );
      return row && toPasskey(row);
    },

    async remove(orgId: string, userId: string, passkeyId: string): Promise<Passkey | null> {
      const row = await db.maybeOne<CredentialRow>(
        `DELETE FROM webauthn_credentials WHERE organization_id = $1 AND user_id = $2 AND id = $3 RETURNING ${LISTED}`,
        [orgId, userId, passkeyId],
      );
      return row && toPasskey(row);
    },

    /** Every passkey of the user and their user handle (GDPR purge); returns how many passkeys went. */
    async removeAllForUser(orgId: string, userId: string): Promise<number> {
      const result = await db.query('DELETE FROM webauthn_credentials WHERE organization_id = $1 AND user_id = $2', [orgId, userId]);
      await db.query('UPDATE users SET webauthn_user_handle = NULL WHERE organization_id = $1 AND id = $2', [orgId, userId]);
      return result.rowCount;
    },

    async findUserHandle(orgId: string, userId: string): Promise<Buffer | null> {
      const row = await db.maybeOne<{ handle: string | null }>(
        `SELECT encode(webauthn_user_handle, 'hex') AS handle FROM users WHERE organization_id = $1 AND id = $2`,
        [orgId, userId],
      );
      return row?.handle ? Buffer.from(row.handle, 'hex') : null;
    },

    /** Sets the handle unless the user has one already (concurrent first registrations keep the first); returns the one in force. */
    async ensureUserHandle(orgId: string, userId: string, candidate: Buffer): Promise<Buffer | null> {
      await db.query(
        `UPDATE users SET webauthn_user_handle = decode($3, 'hex') WHERE organization_id = $1 AND id = $2 AND webauthn_user_handle IS NULL`,
        [orgId, userId, candidate.toString('hex')],
      );
      return this.findUserHandle(orgId, userId);
    },

    async findUserIdByHandle(orgId: string, handle: Buffer): Promise<string | null> {
      const row = await db.maybeOne<{ id: string }>(
        `SELECT id FROM users WHERE organization_id = $1 AND webauthn_user_handle = decode($2, 'hex')`,
        [orgId, handle.toString('hex')],
      );
      return row?.id ?? null;
    },
  };
}
