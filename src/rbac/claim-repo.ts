import { isUniqueViolation } from '../platform/db/sql.js';
import type { Queryable } from '../platform/db/index.js';
import { claimNameTaken } from './errors.js';
import type { ClaimDefinition, ClaimType, ClaimValue } from './schema.js';

interface DefinitionRow {
  id: string;
  application_id: string;
  claim_name: string;
  claim_type: ClaimType;
  description: string | null;
  include_in_id_token: boolean;
  include_in_access_token: boolean;
  include_in_userinfo: boolean;
  created_at: Date;
  updated_at: Date;
}

interface ValueRow {
  id: string;
  user_id: string;
  claim_id: string;
  claim_name: string;
  value: unknown;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `d.id, d.application_id, d.claim_name, d.claim_type, d.description, d.include_in_id_token,
  d.include_in_access_token, d.include_in_userinfo, d.created_at, d.updated_at`;
const VALUE_COLUMNS = 'v.id, v.user_id, v.claim_id, d.claim_name, v.value, v.created_at, v.updated_at';

export interface ClaimFlags {
  description: string | null;
  includeInIdToken: boolean;
  includeInAccessToken: boolean;
  includeInUserinfo: boolean;
}

/** Claim definitions and values; definition functions take the application id first. */
export function createClaimRepo(db: Queryable) {
  return {
    async findById(applicationId: string, id: string): Promise<ClaimDefinition | null> {
      const row = await db.maybeOne<DefinitionRow>(
        `SELECT ${COLUMNS} FROM custom_claim_definitions d WHERE d.application_id = $1 AND d.id = $2`,
        [applicationId, id],
      );
      return row && toDefinition(row);
    },

    async list(applicationId: string): Promise<ClaimDefinition[]> {
      const rows = await db.many<DefinitionRow>(
        `SELECT ${COLUMNS} FROM custom_claim_definitions d WHERE d.application_id = $1 ORDER BY d.claim_name`,
        [applicationId],
      );
      return rows.map(toDefinition);
    },

    /** Every claim name defined in any application. */
    async listAllNames(): Promise<string[]> {
      const rows = await db.many<{ claim_name: string }>('SELECT DISTINCT claim_name FROM custom_claim_definitions ORDER BY claim_name');
      return rows.map((r) => r.claim_name);
    },

    /** Throws `claim_slug_taken` when the application already defines the name. */
    async insert(applicationId: string, fields: ClaimFlags & { claimName: string; claimType: ClaimType }): Promise<ClaimDefinition> {
      try {
        const row = await db.one<DefinitionRow>(
          `INSERT INTO custom_claim_definitions AS d
             (application_id, claim_name, claim_type, description, include_in_id_token, include_in_access_token, include_in_userinfo)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [
            applicationId, fields.claimName, fields.claimType, fields.description,
            fields.includeInIdToken, fields.includeInAccessToken, fields.includeInUserinfo,
          ],
        );
        return toDefinition(row);
      } catch (err) {
        throw isUniqueViolation(err) ? claimNameTaken(fields.claimName) : err;
      }
    },

    async update(applicationId: string, id: string, patch: Partial<ClaimFlags>): Promise<ClaimDefinition | null> {
      const row = await db.maybeOne<DefinitionRow>(
        `UPDATE custom_claim_definitions AS d SET
           description = CASE WHEN $3::boolean THEN $4 ELSE d.description END,
           include_in_id_token = COALESCE($5::boolean, d.include_in_id_token),
           include_in_access_token = COALESCE($6::boolean, d.include_in_access_token),
           include_in_userinfo = COALESCE($7::boolean, d.include_in_userinfo)
         WHERE d.application_id = $1 AND d.id = $2 RETURNING ${COLUMNS}`,
        [
          applicationId, id, patch.description !== undefined, patch.description ?? null,
          patch.includeInIdToken ?? null, patch.includeInAccessToken ?? null, patch.includeInUserinfo ?? null,
        ],
      );
      return row && toDefinition(row);
    },

    /** Values go with it (foreign key cascades). */
    async delete(applicationId: string, id: string): Promise<boolean> {
      const result = await db.query('DELETE FROM custom_claim_definitions WHERE application_id = $1 AND id = $2', [applicationId, id]);
      return result.rowCount > 0;
    },

    async findValue(claimId: string, userId: string): Promise<ClaimValue | null> {
      const row = await db.maybeOne<ValueRow>(
        `SELECT ${VALUE_COLUMNS} FROM custom_claim_values v JOIN custom_claim_definitions d ON d.id = v.claim_id
          WHERE v.claim_id = $1 AND v.user_id = $2`,
        [claimId, userId],
      );
      return row && toValue(row);
    },

    /** The user's values for claims of the application. */
    async listValues(applicationId: string, userId: string): Promise<ClaimValue[]> {
      const rows = await db.many<ValueRow>(
        `SELECT ${VALUE_COLUMNS} FROM custom_claim_values v JOIN custom_claim_definitions d ON d.id = v.claim_id
          WHERE d.application_id = $1 AND v.user_id = $2 ORDER BY d.claim_name`,
        [applicationId, userId],
      );
      return rows.map(toValue);
    },

    async upsertValue(claimId: string, userId: string, value: unknown): Promise<ClaimValue> {
      const row = await db.one<ValueRow>(
        `WITH saved AS (
           INSERT INTO custom_claim_values (user_id, claim_id, value) VALUES ($1, $2, $3::jsonb)
           ON CONFLICT (user_id, claim_id) DO UPDATE SET value = EXCLUDED.value
           RETURNING id, user_id, claim_id, value, created_at, updated_at)
         SELECT v.id, v.user_id, v.claim_id, d.claim_name, v.value, v.created_at, v.updated_at
           FROM saved v JOIN custom_claim_definitions d ON d.id = v.claim_id`,
        [userId, claimId, JSON.stringify(value)],
      );
      return toValue(row);
    },

    async deleteValue(claimId: string, userId: string): Promise<boolean> {
      const result = await db.query('DELETE FROM custom_claim_values WHERE claim_id = $1 AND user_id = $2', [claimId, userId]);
      return result.rowCount > 0;
    },

    /** The organization of a user of any organization; null when there is no such user. */
    async organizationOfUser(userId: string): Promise<string | null> {
      const row = await db.maybeOne<{ organization_id: string }>('SELECT organization_id FROM users WHERE id = $1', [userId]);
      return row?.organization_id ?? null;
    },
  };
}

export type ClaimRepo = ReturnType<typeof createClaimRepo>;

function toDefinition(row: DefinitionRow): ClaimDefinition {
  return {
    id: row.id,
    applicationId: row.application_id,
    claimName: row.claim_name,
    claimType: row.claim_type,
    description: row.description,
    includeInIdToken: row.include_in_id_token,
    includeInAccessToken: row.include_in_access_token,
    includeInUserinfo: row.include_in_userinfo,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toValue(row: ValueRow): ClaimValue {
  return {
    id: row.id,
    userId: row.user_id,
    claimId: row.claim_id,
    claimName: row.claim_name,
    value: row.value,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
