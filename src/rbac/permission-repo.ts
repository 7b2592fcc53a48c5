import { isUniqueViolation } from '../platform/db/sql.js';
import type { Queryable } from '../platform/db/index.js';
import { permissionSlugTaken } from './errors.js';
import type { Permission } from './schema.js';

interface PermissionRow {
  id: string;
  application_id: string;
  module_id: string | null;
  name: string;
  slug: string;
  description: string | null;
  created_at: Date;
}

const COLUMNS = 'p.id, p.application_id, p.module_id, p.name, p.slug, p.description, p.created_at';

export interface PermissionFields {
  name: string;
  slug: string;
  moduleId: string | null;
  description: string | null;
}

/** Every function takes the application id first: a permission is only reached through its application. */
export function createPermissionRepo(db: Queryable) {
  return {
    async findById(applicationId: string, id: string): Promise<Permission | null> {
      const row = await db.maybeOne<PermissionRow>(
        `SELECT ${COLUMNS} FROM permissions p WHERE p.application_id = $1 AND p.id = $2`,
        [applicationId, id],
      );
      return row && toPermission(row);
    },

    /** The ids among `ids` that are permissions of the application. */
    async existingIds(applicationId: string, ids: readonly string[]): Promise<Set<string>> {
      const rows = await db.many<{ id: string }>(
        'SELECT id FROM permissions WHERE application_id = $1 AND id = ANY($2::uuid[])',
        [applicationId, ids],
      );
      return new Set(rows.map((r) => r.id));
    },

    async list(applicationId: string, filter: { moduleId?: string } = {}): Promise<Permission[]> {
      const rows = await db.many<PermissionRow>(
        `SELECT ${COLUMNS} FROM permissions p
          WHERE p.application_id = $1 AND ($2::uuid IS NULL OR p.module_id = $2::uuid) ORDER BY p.slug`,
        [applicationId, filter.moduleId ?? null],
      );
      return rows.map(toPermission);
    },

    async listByRole(applicationId: string, roleId: string): Promise<Permission[]> {
      const rows = await db.many<PermissionRow>(
        `SELECT ${COLUMNS} FROM permissions p JOIN role_permissions rp ON rp.permission_id = p.id
          WHERE p.application_id = $1 AND rp.role_id = $2 ORDER BY p.slug`,
        [applicationId, roleId],
      );
      return rows.map(toPermission);
    },

    /** The distinct permissions the user holds through roles, in every application or in one. */
    async listForUser(userId: string, applicationId: string | null): Promise<Permission[]> {
      const rows = await db.many<PermissionRow>(
        `SELECT DISTINCT ${COLUMNS} FROM permissions p
           JOIN role_permissions rp ON rp.permission_id = p.id
           JOIN user_roles ur ON ur.role_id = rp.role_id
          WHERE ur.user_id = $1 AND ($2::uuid IS NULL OR p.application_id = $2::uuid)
          ORDER BY p.application_id, p.slug`,
        [userId, applicationId],
      );
      return rows.map(toPermission);
    },

    /** Throws `permission_slug_taken`. */
    async insert(applicationId: string, fields: PermissionFields): Promise<Permission> {
      try {
        const row = await db.one<PermissionRow>(
          `INSERT INTO permissions AS p (application_id, module_id, name, slug, description) VALUES ($1, $2, $3, $4, $5)
           RETURNING ${COLUMNS}`,
          [applicationId, fields.moduleId, fields.name, fields.slug, fields.description],
        );
        return toPermission(row);
      } catch (err) {
        throw isUniqueViolation(err) ? permissionSlugTaken(fields.slug) : err;
      }
    },

    async update(applicationId: string, id: string, patch: { name?: string; description?: string | null }): Promise<Permission | null> {
      const row = await db.maybeOne<PermissionRow>(
        `UPDATE permissions AS p SET
           name = CASE WHEN $3::boolean THEN $4 ELSE p.name END,
           description = CASE WHEN $5::boolean THEN $6 ELSE p.description END
         WHERE p.application_id = $1 AND p.id = $2 RETURNING ${COLUMNS}`,
        [applicationId, id, patch.name !== undefined, patch.name ?? null, patch.description !== undefined, patch.description ?? null],
      );
      return row && toPermission(row);
    },

    /** Role links go with it (foreign keys cascade). */
    async delete(applicationId: string, id: string): Promise<boolean> {
      const result = await db.query('DELETE FROM permissions WHERE application_id = $1 AND id = $2', [applicationId, id]);
      return result.rowCount > 0;
    },

    async countRoles(permissionId: string): Promise<number> {
      const { count } = await db.one<{ count: number }>(
        'SELECT count(*)::int AS count FROM role_permissions WHERE permission_id = $1',
        [permissionId],
      );
      return count;
    },
  };
}

export type PermissionRepo = ReturnType<typeof createPermissionRepo>;

function toPermission(row: PermissionRow): Permission {
  return {
    id: row.id,
    applicationId: row.application_id,
    moduleId: row.module_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    createdAt: row.created_at.toISOString(),
  };
}
