import { prepared, type Queryable } from '../platform/db/index.js';

export interface UserAccess {
  roles: string[];
  permissions: string[];
}

export interface UserClaimValue {
  claimName: string;
  value: unknown;
  includeInIdToken: boolean;
  includeInAccessToken: boolean;
  includeInUserinfo: boolean;
}

/** Read for every token issued to a user: prepared once per connection. */
const SNAPSHOT = prepared('rbac_snapshot', `SELECT
           (SELECT coalesce(json_agg(DISTINCT r.slug ORDER BY r.slug), '[]'::json)
              FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.application_id = $2
             WHERE ur.user_id = $1) AS roles,
           (SELECT coalesce(json_agg(DISTINCT p.slug ORDER BY p.slug), '[]'::json)
              FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.application_id = $2
              JOIN role_permissions rp ON rp.role_id = r.id JOIN permissions p ON p.id = rp.permission_id
             WHERE ur.user_id = $1) AS permissions,
           (SELECT coalesce(json_agg(json_build_object(
                     'claimName', d.claim_name, 'value', v.value, 'includeInIdToken', d.include_in_id_token,
                     'includeInAccessToken', d.include_in_access_token, 'includeInUserinfo', d.include_in_userinfo)
                   ORDER BY d.claim_name), '[]'::json)
              FROM custom_claim_values v JOIN custom_claim_definitions d ON d.id = v.claim_id AND d.application_id = $2
             WHERE v.user_id = $1) AS claims`);

/** What tokens and admin authorization read: a user's roles, permissions and custom claims in one application. */
export function createAccessService(db: Queryable) {
  return {
    async accessOf(userId: string, applicationId: string): Promise<UserAccess> {
      const rows = await db.many<{ slug: string; permission: string | null }>(
        `SELECT r.slug, p.slug AS permission
           FROM user_roles ur
           JOIN roles r ON r.id = ur.role_id AND r.application_id = $2
           LEFT JOIN role_permissions rp ON rp.role_id = r.id
           LEFT JOIN permissions p ON p.id = rp.permission_id
          WHERE ur.user_id = $1
          ORDER BY r.slug, p.slug`,
        [userId, applicationId],
      );
      const roles = new Set<string>();
      const permissions = new Set<string>();
      for (const row of rows) {
        roles.add(row.slug);
        if (row.permission !== null) permissions.add(row.permission);
      }
      return { roles: [...roles], permissions: [...permissions].sort() };
    },

    async claimsOf(userId: string, applicationId: string): Promise<UserClaimValue[]> {
      const rows = await db.many<{
        claim_name: string;
        value: unknown;
        include_in_id_token: boolean;
        include_in_access_token: boolean;
        include_in_userinfo: boolean;
      }>(
        `SELECT d.claim_name, v.value, d.include_in_id_token, d.include_in_access_token, d.include_in_userinfo
           FROM custom_claim_values v
           JOIN custom_claim_definitions d ON d.id = v.claim_id AND d.application_id = $2
          WHERE v.user_id = $1
          ORDER BY d.claim_name`,
        [userId, applicationId],
      );
      return rows.map((r) => ({
        claimName: r.claim_name,
        value: r.value,
        includeInIdToken: r.include_in_id_token,
        includeInAccessToken: r.include_in_access_token,
        includeInUserinfo: r.include_in_userinfo,
      }));
    },

    /**
     * Roles, permissions and custom claims of one application in a single round trip: what each token
     * issuance reads (spec 10 §4).
     */
    async snapshotOf(userId: string, applicationId: string): Promise<UserAccess & { claims: UserClaimValue[] }> {
      const row = await db.one<{ roles: string[]; permissions: string[]; claims: UserClaimValue[] }>(
        SNAPSHOT,
        [userId, applicationId],
      );
      return row;
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
