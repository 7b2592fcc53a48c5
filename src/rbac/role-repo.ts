import { isUniqueViolation } from '../platform/db/sql.js';
import type { Queryable } from '../platform/db/index.js';
import { roleSlugTaken } from './errors.js';
import type { Role, RoleAssignment } from './schema.js';

interface RoleRow {
  id: string;
  application_id: string;
  name: string;
  slug: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'r.id, r.application_id, r.name, r.slug, r.description, r.created_at, r.updated_at';

export interface RoleFields {
  name: string;
  slug: string;
  description: string | null;
}

/** Roles and their links to permissions and users; role functions take the application id first. */
export function createRoleRepo(db: Queryable) {
  return {
    async findById(applicationId: string, id: string): Promise<Role | null> {
      const row = await db.maybeOne<RoleRow>(`SELECT ${COLUMNS} FROM roles r WHERE r.application_id = $1 AND r.id = $2`, [applicationId, id]);
      return row && toRole(row);
    },

    async list(applicationId: string): Promise<Role[]> {
      const rows = await db.many<RoleRow>(`SELECT ${COLUMNS} FROM roles r WHERE r.application_id = $1 ORDER BY r.slug`, [applicationId]);
      return rows.map(toRole);
    },

    /** Roles by id in any application (assignment input); unknown ids are simply absent. */
    async findMany(ids: readonly string[]): Promise<Role[]> {
      const rows = await db.many<RoleRow>(`SELECT ${COLUMNS} FROM roles r WHERE r.id = ANY($1::uuid[])`, [ids]);
      return rows.map(toRole);
    },

    /** Throws `role_slug_taken`. */
    async insert(applicationId: string, fields: RoleFields): Promise<Role> {
      try {
        const row = await db.one<RoleRow>(
          `INSERT INTO roles AS r (application_id, name, slug, description) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
          [applicationId, fields.name, fields.slug, fields.description],
        );
        return toRole(row);
      } catch (err) {
        throw isUniqueViolation(err) ? roleSlugTaken(fields.slug) : err;
      }
    },

    /** Null when the role is not in the application; throws `role_slug_taken`. */
    async update(applicationId: string, id: string, patch: Partial<RoleFields>): Promise<Role | null> {
      try {
        const row = await db.maybeOne<RoleRow>(
          `UPDATE roles AS r SET
             name = CASE WHEN $3::boolean THEN $4 ELSE r.name END,
             slug = CASE WHEN $5::boolean THEN $6 ELSE r.slug END,
             description = CASE WHEN $7::boolean THEN $8 ELSE r.description END
           WHERE r.application_id = $1 AND r.id = $2 RETURNING ${COLUMNS}`,
          [
            applicationId, id,
            patch.name !== undefined, patch.name ?? null,
            patch.slug !== undefined, patch.slug ?? null,
            patch.description !== undefined, patch.description ?? null,
          ],
        );
        return row && toRole(row);
      } catch (err) {
        throw isUniqueViolation(err) ? roleSlugTaken(patch.slug ?? '') : err;
      }
    },

    /** Assignments and permission links go with it (foreign keys cascade). */
    async delete(applicationId: string, id: string): Promise<boolean> {
      const result = await db.query('DELETE FROM roles WHERE application_id = $1 AND id = $2', [applicationId, id]);
      return result.rowCount > 0;
    },

    async countHolders(roleId: string): Promise<number> {
      const { count } = await db.one<{ count: number }>('SELECT count(*)::int AS count FROM user_roles WHERE role_id = $1', [roleId]);
      return count;
    },

    /** Adds links; existing ones are kept. */
    async addPermissions(roleId: string, permissionIds: readonly string[]): Promise<number> {
      const result = await db.query(
        `INSERT INTO role_permissions (role_id, permission_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
        [roleId, permissionIds],
      );
      return result.rowCount;
    },

    async removePermissions(roleId: string, permissionIds: readonly string[]): Promise<number> {
      const result = await db.query('DELETE FROM role_permissions WHERE role_id = $1 AND permission_id = ANY($2::uuid[])', [roleId, permissionIds]);
      return result.rowCount;
    },

    /** Roles holding the permission (both in `applicationId`). */
    async listByPermission(applicationId: string, permissionId: string): Promise<Role[]> {
      const rows = await db.many<RoleRow>(
        `SELECT ${COLUMNS} FROM roles r JOIN role_permissions rp ON rp.role_id = r.id
          WHERE r.application_id = $1 AND rp.permission_id = $2 ORDER BY r.slug`,
        [applicationId, permissionId],
      );
      return rows.map(toRole);
    },

    /** The role's holders among users of `orgId`, oldest assignment first. */
    async listHolders(orgId: string, roleId: string, page: { limit: number; offset: number }): Promise<{ rows: RoleAssignment[]; total: number }> {
      const from = 'FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.organization_id = $1 AND ur.role_id = $2';
      const { total } = await db.one<{ total: number }>(`SELECT count(*)::int AS total ${from}`, [orgId, roleId]);
      const rows = await db.many<{ user_id: string; role_id: string; assigned_by: string | null; created_at: Date }>(
        `SELECT ur.user_id, ur.role_id, ur.assigned_by, ur.created_at ${from}
          ORDER BY ur.created_at, ur.user_id LIMIT $3 OFFSET $4`,
        [orgId, roleId, page.limit, page.offset],
      );
      return {
        rows: rows.map((r) => ({ userId: r.user_id, roleId: r.role_id, assignedBy: r.assigned_by, createdAt: r.created_at.toISOString() })),
        total,
      };
    },

    /** The user's roles, in every application or in one. */
    async listForUser(userId: string, applicationId: string | null): Promise<Role[]> {
      const rows = await db.many<RoleRow>(
        `SELECT ${COLUMNS} FROM roles r JOIN user_roles ur ON ur.role_id = r.id
          WHERE ur.user_id = $1 AND ($2::uuid IS NULL OR r.application_id = $2::uuid)
          ORDER BY r.application_id, r.slug`,
        [userId, applicationId],
      );
      return rows.map(toRole);
    },

    async assign(userId: string, roleIds: readonly string[], assignedBy: string | null): Promise<number> {
      const result = await db.query(
        `INSERT INTO user_roles (user_id, role_id, assigned_by) SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING`,
        [userId, roleIds, assignedBy],
      );
      return result.rowCount;
    },

    async unassign(userId: string, roleIds: readonly string[]): Promise<number> {
      const result = await db.query('DELETE FROM user_roles WHERE user_id = $1 AND role_id = ANY($2::uuid[])', [userId, roleIds]);
      return result.rowCount;
    },
  };
}

export type RoleRepo = ReturnType<typeof createRoleRepo>;

function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    applicationId: row.application_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
