import type { Queryable } from '../platform/db/index.js';
import { ADMIN_PERMISSIONS, ADMIN_ROLES, permissionDisplayName } from '../actors/index.js';

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

    /** Serialises concurrent `porta init` runs (and first-run bootstraps of several processes). */
    async lock(): Promise<void> {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['porta:bootstrap']);
    },
  };
}
