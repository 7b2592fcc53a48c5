import type { Queryable } from '../platform/db/index.js';
import { ADMIN_CONSOLE_CLIENT_ID, ADMIN_PERMISSIONS, ADMIN_ROLES, permissionDisplayName } from '../actors/index.js';

/** Writes the admin application's 43 permissions and 5 built-in roles; existing rows are kept (idempotent). */
export function createBootstrapRepo(db: Queryable) {
  return {
    async seedAdminCatalog(applicationId: string): Promise<void> {
      for (const perm of ADMIN_PERMISSIONS) {
        await db.query(
          `INSERT INTO permissions (application_id, name, slug, description) VALUES ($1, $2, $3, $4)
           ON CONFLICT (application_id, slug) DO NOTHING`,
          [applicationId, permissionDisplayName(perm), perm, `Admin API: ${permissionDisplayName(perm)}`],
        );
      }
      for (const role of ADMIN_ROLES) {
        await db.query(
          `INSERT INTO roles (application_id, name, slug, description) VALUES ($1, $2, $3, $4)
           ON CONFLICT (application_id, slug) DO NOTHING`,
          [applicationId, role.name, role.slug, role.description],
        );
        await db.query(
          `INSERT INTO role_permissions (role_id, permission_id)
           SELECT r.id, p.id FROM roles r JOIN permissions p ON p.application_id = r.application_id
            WHERE r.application_id = $1 AND r.slug = $2 AND p.slug = ANY($3::text[])
           ON CONFLICT DO NOTHING`,
          [applicationId, role.slug, [...role.permissions]],
        );
      }
    },

    async grantRole(userId: string, applicationId: string, roleSlug: string): Promise<void> {
      await db.query(
        `INSERT INTO user_roles (user_id, role_id)
         SELECT $1, id FROM roles WHERE application_id = $2 AND slug = $3
         ON CONFLICT DO NOTHING`,
        [userId, applicationId, roleSlug],
      );
    },

    /**
     * The admin console's public client, the same row migration 026 adds to older installations. Its
     * redirect URIs are not stored: the engine derives them from ISSUER_BASE_URL when it loads the client,
     * which is also why this is not `clients.create` (that rule wants a stored redirect URI).
     */
    async ensureConsoleClient(organizationId: string, applicationId: string): Promise<void> {
      await db.query(
        `INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type, application_type,
                              redirect_uris, post_logout_redirect_uris, grant_types, response_types, scope,
                              token_endpoint_auth_method, require_pkce, require_consent, description)
         VALUES ($1, $2, $3, 'Porta Admin Console', 'public', 'spa', '{}', '{}', '{authorization_code,refresh_token}', '{code}',
                 'openid profile email offline_access', 'none', true, false, 'The admin console at /admin (built in).')
         ON CONFLICT (client_id) DO NOTHING`,
        [organizationId, applicationId, ADMIN_CONSOLE_CLIENT_ID],
      );
    },

    /** Serialises concurrent `porta init` runs (and first-run bootstraps of several processes). */
    async lock(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['porta:bootstrap']);
    },
  };
}
