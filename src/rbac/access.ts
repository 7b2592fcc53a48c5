import { prepared, type Queryable } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import { rowToUser, type User } from '../users/index.js';

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

/** Roles, permissions and custom claims of user `user` in application `app` (SQL expressions): three json columns. */
const snapshotColumns = (user: string, app: string, prefix = '') => `
           (SELECT coalesce(json_agg(DISTINCT r.slug ORDER BY r.slug), '[]'::json)
              FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.application_id = ${app}
             WHERE ur.user_id = ${user}) AS ${prefix}roles,
           (SELECT coalesce(json_agg(DISTINCT p.slug ORDER BY p.slug), '[]'::json)
              FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.application_id = ${app}
              JOIN role_permissions rp ON rp.role_id = r.id JOIN permissions p ON p.id = rp.permission_id
             WHERE ur.user_id = ${user}) AS ${prefix}permissions,
           (SELECT coalesce(json_agg(json_build_object(
                     'claimName', d.claim_name, 'value', v.value, 'includeInIdToken', d.include_in_id_token,
                     'includeInAccessToken', d.include_in_access_token, 'includeInUserinfo', d.include_in_userinfo)
                   ORDER BY d.claim_name), '[]'::json)
              FROM custom_claim_values v JOIN custom_claim_definitions d ON d.id = v.claim_id AND d.application_id = ${app}
             WHERE v.user_id = ${user}) AS ${prefix}claims`;

/** Read for every token issued to a user: prepared once per connection. */
const SNAPSHOT = prepared('rbac_snapshot', `SELECT${snapshotColumns('$1', '$2')}`);

/**
 * The engine's token and userinfo requests read the account and then its access: the user's row and the
 * snapshot in one round trip (`rbac_` keeps the snapshot's columns apart from the row's).
 */
const ACCOUNT_SNAPSHOT = prepared(
  'rbac_account_snapshot',
  `SELECT u.*,${snapshotColumns('u.id', '$3', 'rbac_')}
     FROM users u WHERE u.organization_id = $1 AND u.id = $2`,
);

type Snapshot = UserAccess & { claims: UserClaimValue[] };

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
    async snapshotOf(userId: string, applicationId: string): Promise<Snapshot> {
      const row = await db.one<{ roles: string[]; permissions: string[]; claims: UserClaimValue[] }>(
        SNAPSHOT,
        [userId, applicationId],
      );
      return row;
    },

    /** The user of the organization with `snapshotOf(userId, applicationId)`, in one round trip; null without that user. */
    async accountOf(orgId: string, userId: string, applicationId: string): Promise<{ user: User; access: Snapshot } | null> {
      if (!isUuid(orgId) || !isUuid(userId) || !isUuid(applicationId)) return null;
      const row = await db.maybeOne<Record<string, unknown> & { rbac_roles: string[]; rbac_permissions: string[]; rbac_claims: UserClaimValue[] }>(
        ACCOUNT_SNAPSHOT,
        [orgId, userId, applicationId],
      );
      if (!row) return null;
      const { rbac_roles: roles, rbac_permissions: permissions, rbac_claims: claims, ...userRow } = row;
      return { user: rowToUser(userRow), access: { roles, permissions, claims } };
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
