import type { Queryable } from '../platform/db/index.js';
import { forgetUserInRequest } from './user-memo.js';

/** Spec 50 §11 export: one role assignment of the user. */
export interface ExportedRole {
  roleId: string;
  roleName: string;
  roleSlug: string;
  applicationId: string;
  applicationSlug: string;
  assignedAt: string;
}

export interface ExportedClaim {
  applicationId: string;
  claimName: string;
  value: unknown;
}

export interface ExportedGrant {
  clientId: string;
  clientName: string | null;
  scope: string;
  createdAt: string;
}

export interface PurgedRows {
  deletedTokens: number;
  deletedClaims: number;
  deletedRoles: number;
}

const iso = (v: Date | string) => new Date(v).toISOString();

/**
 * The GDPR reads and deletes span the RBAC and OIDC tables because they are about one person's
 * data (spec 50 §11); every function takes the Queryable so the purge runs in one transaction.
 */
export async function listRoles(q: Queryable, userId: string): Promise<ExportedRole[]> {
  const rows = await q.many<{ id: string; name: string; slug: string; application_id: string; application_slug: string; created_at: Date }>(
    `SELECT r.id, r.name, r.slug, r.application_id, a.slug AS application_slug, ur.created_at
       FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN applications a ON a.id = r.application_id
      WHERE ur.user_id = $1 ORDER BY a.slug, r.slug`,
    [userId],
  );
  return rows.map((r) => ({
    roleId: r.id, roleName: r.name, roleSlug: r.slug, applicationId: r.application_id, applicationSlug: r.application_slug,
    assignedAt: iso(r.created_at),
  }));
}

export async function listClaims(q: Queryable, userId: string): Promise<ExportedClaim[]> {
  const rows = await q.many<{ application_id: string; claim_name: string; value: unknown }>(
    `SELECT d.application_id, d.claim_name, v.value
       FROM custom_claim_values v JOIN custom_claim_definitions d ON d.id = v.claim_id
      WHERE v.user_id = $1 ORDER BY d.application_id, d.claim_name`,
    [userId],
  );
  return rows.map((r) => ({ applicationId: r.application_id, claimName: r.claim_name, value: r.value }));
}

/** Live grants of the account in its organization, with the client's display name. */
export async function listActiveGrants(q: Queryable, orgId: string, userId: string, now: Date): Promise<ExportedGrant[]> {
  const rows = await q.many<{ client_id: string | null; client_name: string | null; scope: string | null; created_at: Date }>(
    `SELECT p.payload->>'clientId' AS client_id, c.client_name, p.payload->'openid'->>'scope' AS scope, p.created_at
       FROM oidc_payloads p
       LEFT JOIN clients c ON c.organization_id = p.organization_id AND c.client_id = p.payload->>'clientId'
      WHERE p.organization_id = $1 AND p.account_id = $2 AND p.type = 'Grant'
        AND (p.expires_at IS NULL OR p.expires_at > $3::timestamptz)
      ORDER BY p.created_at DESC`,
    [orgId, userId, now.toISOString()],
  );
  return rows.map((r) => ({ clientId: r.client_id ?? '', clientName: r.client_name, scope: r.scope ?? '', createdAt: iso(r.created_at) }));
}

export async function holdsRole(q: Queryable, userId: string, applicationSlug: string, roleSlug: string): Promise<boolean> {
  const row = await q.maybeOne(
    `SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN applications a ON a.id = r.application_id
      WHERE ur.user_id = $1 AND a.slug = $2 AND r.slug = $3`,
    [userId, applicationSlug, roleSlug],
  );
  return row !== null;
}

/** Grants and tokens of the account, its claim values and role assignments. */
export async function deleteAccountData(q: Queryable, orgId: string, userId: string): Promise<PurgedRows> {
  const tokens = await q.query('DELETE FROM oidc_payloads WHERE organization_id = $1 AND account_id = $2', [orgId, userId]);
  const claims = await q.query('DELETE FROM custom_claim_values WHERE user_id = $1', [userId]);
  const roles = await q.query('DELETE FROM user_roles WHERE user_id = $1', [userId]);
  await q.query('DELETE FROM admin_sessions WHERE user_id = $1', [userId]);
  return { deletedTokens: tokens.rowCount, deletedClaims: claims.rowCount, deletedRoles: roles.rowCount };
}

/** Spec 50 §11: placeholder e-mail, profile and password gone, inactive, 2FA off; null when the user is missing. */
export async function anonymizeUser(q: Queryable, orgId: string, userId: string): Promise<string | null> {
  const row = await q.maybeOne<{ email: string }>(
    `UPDATE users SET
       email = 'purged-' || id::text || '@purged.invalid', email_verified = false,
       password_hash = NULL, password_changed_at = NULL,
       given_name = NULL, family_name = NULL, middle_name = NULL, nickname = NULL, preferred_username = NULL,
       profile_url = NULL, picture_url = NULL, website_url = NULL, gender = NULL, birthdate = NULL, zoneinfo = NULL,
       locale = NULL, phone_number = NULL, phone_number_verified = false,
       address_street = NULL, address_locality = NULL, address_region = NULL, address_postal_code = NULL, address_country = NULL,
       status = 'inactive', locked_at = NULL, locked_reason = NULL, failed_login_count = 0, last_failed_login_at = NULL,
       two_factor_enabled = false, two_factor_method = NULL
     WHERE organization_id = $1 AND id = $2
     RETURNING email::text AS email`,
    [orgId, userId],
  );
  forgetUserInRequest(orgId, userId);
  return row?.email ?? null;
}
