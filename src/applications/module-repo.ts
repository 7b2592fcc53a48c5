import type { Queryable } from '../platform/db/index.js';
import { moduleSlugTaken } from './errors.js';
import { isUniqueViolation } from '../platform/db/sql.js';
import type { Module, ModuleStatus } from './schema.js';

interface ModuleRow {
  id: string;
  application_id: string;
  name: string;
  slug: string;
  description: string | null;
  status: ModuleStatus;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, application_id, name, slug, description, status, created_at, updated_at';

export interface ModuleFields {
  name: string;
  slug: string;
  description: string | null;
  status: ModuleStatus;
}

/** Every function takes the application id first: a module is only ever reached through its application. */
export function createModuleRepo(db: Queryable) {
  return {
    async findById(applicationId: string, id: string): Promise<Module | null> {
      const row = await db.maybeOne<ModuleRow>(
        `SELECT ${COLUMNS} FROM application_modules WHERE application_id = $1 AND id = $2`,
        [applicationId, id],
      );
      return row && toModule(row);
    },

    async findBySlug(applicationId: string, slug: string): Promise<Module | null> {
      const row = await db.maybeOne<ModuleRow>(
        `SELECT ${COLUMNS} FROM application_modules WHERE application_id = $1 AND slug = $2`,
        [applicationId, slug],
      );
      return row && toModule(row);
    },

    async isSlugTaken(applicationId: string, slug: string): Promise<boolean> {
      const row = await db.maybeOne('SELECT 1 FROM application_modules WHERE application_id = $1 AND slug = $2', [applicationId, slug]);
      return row !== null;
    },

    async list(applicationId: string): Promise<Module[]> {
      const rows = await db.many<ModuleRow>(
        `SELECT ${COLUMNS} FROM application_modules WHERE application_id = $1 ORDER BY name, slug`,
        [applicationId],
      );
      return rows.map(toModule);
    },

    /** Throws `module_slug_taken` when the application already has the slug. */
    async insert(applicationId: string, fields: Omit<ModuleFields, 'status'>): Promise<Module> {
      try {
        const row = await db.one<ModuleRow>(
          `INSERT INTO application_modules (application_id, name, slug, description) VALUES ($1, $2, $3, $4)
           RETURNING ${COLUMNS}`,
          [applicationId, fields.name, fields.slug, fields.description],
        );
        return toModule(row);
      } catch (err) {
        throw isUniqueViolation(err) ? moduleSlugTaken(fields.slug) : err;
      }
    },

    /** Null when the application has no such module; throws `module_slug_taken` on a slug clash. */
    async update(applicationId: string, id: string, patch: Partial<ModuleFields>): Promise<Module | null> {
      try {
        const row = await db.maybeOne<ModuleRow>(
          `UPDATE application_modules SET
             name = CASE WHEN $3::boolean THEN $4 ELSE name END,
             slug = CASE WHEN $5::boolean THEN $6 ELSE slug END,
             description = CASE WHEN $7::boolean THEN $8 ELSE description END,
             status = CASE WHEN $9::boolean THEN $10 ELSE status END
           WHERE application_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
          [
            applicationId, id,
            patch.name !== undefined, patch.name ?? null,
            patch.slug !== undefined, patch.slug ?? null,
            patch.description !== undefined, patch.description ?? null,
            patch.status !== undefined, patch.status ?? null,
          ],
        );
        return row && toModule(row);
      } catch (err) {
        throw isUniqueViolation(err) ? moduleSlugTaken(patch.slug ?? '') : err;
      }
    },
    /** Moves to `to` only from `from`; null when the module is missing or in another state. */
    async transition(applicationId: string, id: string, from: ModuleStatus, to: ModuleStatus): Promise<Module | null> {
      const row = await db.maybeOne<ModuleRow>(
        `UPDATE application_modules SET status = $4 WHERE application_id = $1 AND id = $2 AND status = $3 RETURNING ${COLUMNS}`,
        [applicationId, id, from, to],
      );
      return row && toModule(row);
    },
  };
}

export type ModuleRepo = ReturnType<typeof createModuleRepo>;

function toModule(row: ModuleRow): Module {
  return {
    id: row.id,
    applicationId: row.application_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
