import { keysetPage, keysetSql, type KeysetPage, type KeysetRow, type KeysetWindow } from '../platform/db/keyset.js';
import { escapeLike, isUniqueViolation } from '../platform/db/sql.js';
import type { Queryable } from '../platform/db/index.js';
import { applicationSlugTaken } from './errors.js';
import type { Application, ApplicationStatus } from './schema.js';

interface ApplicationRow {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: ApplicationStatus;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, slug, description, status, created_at, updated_at';
const SORT_COLUMNS = { name: 'name', slug: 'slug', created_at: 'created_at', updated_at: 'updated_at' } as const;

export interface ApplicationFields {
  name: string;
  slug: string;
  description: string | null;
}

export interface ApplicationSearch {
  status?: ApplicationStatus;
  search?: string;
  sort: keyof typeof SORT_COLUMNS;
}

export interface ApplicationFilter extends ApplicationSearch {
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export function createApplicationRepo(db: Queryable) {
  return {
    async findById(id: string): Promise<Application | null> {
      const row = await db.maybeOne<ApplicationRow>(`SELECT ${COLUMNS} FROM applications WHERE id = $1`, [id]);
      return row && toApplication(row);
    },

    async findBySlug(slug: string): Promise<Application | null> {
      const row = await db.maybeOne<ApplicationRow>(`SELECT ${COLUMNS} FROM applications WHERE slug = $1`, [slug]);
      return row && toApplication(row);
    },

    /** For a write: the row stays locked until the transaction ends, so checks and change see one version. */
    async lockById(id: string): Promise<Application | null> {
      const row = await db.maybeOne<ApplicationRow>(`SELECT ${COLUMNS} FROM applications WHERE id = $1 FOR UPDATE`, [id]);
      return row && toApplication(row);
    },

    async lockBySlug(slug: string): Promise<Application | null> {
      const row = await db.maybeOne<ApplicationRow>(`SELECT ${COLUMNS} FROM applications WHERE slug = $1 FOR UPDATE`, [slug]);
      return row && toApplication(row);
    },

    async isSlugTaken(slug: string): Promise<boolean> {
      return (await db.maybeOne('SELECT 1 FROM applications WHERE slug = $1', [slug])) !== null;
    },

    /** Throws `application_slug_taken` when the slug is in use. */
    async insert(fields: ApplicationFields): Promise<Application> {
      try {
        const row = await db.one<ApplicationRow>(
          `INSERT INTO applications (name, slug, description) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
          [fields.name, fields.slug, fields.description],
        );
        return toApplication(row);
      } catch (err) {
        throw isUniqueViolation(err) ? applicationSlugTaken(fields.slug) : err;
      }
    },

    /** Null when no application has the id; throws `application_slug_taken` on a slug clash. */
    async update(id: string, patch: Partial<ApplicationFields>): Promise<Application | null> {
      try {
        const row = await db.maybeOne<ApplicationRow>(
          `UPDATE applications SET
             name = CASE WHEN $2::boolean THEN $3 ELSE name END,
             slug = CASE WHEN $4::boolean THEN $5 ELSE slug END,
             description = CASE WHEN $6::boolean THEN $7 ELSE description END
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [
            id,
            patch.name !== undefined, patch.name ?? null,
            patch.slug !== undefined, patch.slug ?? null,
            patch.description !== undefined, patch.description ?? null,
          ],
        );
        return row && toApplication(row);
      } catch (err) {
        throw isUniqueViolation(err) ? applicationSlugTaken(patch.slug ?? '') : err;
      }
    },

    /** Moves to `to` only from one of `from`; null when the row is missing or in another state. */
    async transition(id: string, from: readonly ApplicationStatus[], to: ApplicationStatus): Promise<Application | null> {
      const row = await db.maybeOne<ApplicationRow>(
        `UPDATE applications SET status = $2 WHERE id = $1 AND status = ANY($3::text[]) RETURNING ${COLUMNS}`,
        [id, to, from],
      );
      return row && toApplication(row);
    },

    async list(filter: ApplicationFilter): Promise<{ rows: Application[]; total: number }> {
      const { where, params } = filterSql(filter);
      const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const { total } = await db.one<{ total: number }>(`SELECT count(*)::int AS total FROM applications ${whereSql}`, params);
      const order = filter.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.many<ApplicationRow>(
        `SELECT ${COLUMNS} FROM applications ${whereSql}
         ORDER BY ${SORT_COLUMNS[filter.sort]} ${order}, id ${order}
         LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, filter.limit, filter.offset],
      );
      return { rows: rows.map(toApplication), total };
    },

    /** The cursor form of `list`: one keyset window over (sort column, id). */
    async listKeyset(filter: ApplicationSearch, window: KeysetWindow): Promise<KeysetPage<Application>> {
      const { where, params } = filterSql(filter);
      const keyset = keysetSql(SORT_COLUMNS[filter.sort], false, window, params);
      if (keyset.where) where.push(keyset.where);
      const rows = await db.many<ApplicationRow & KeysetRow>(
        `SELECT ${COLUMNS}, ${keyset.select} FROM applications ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
        params,
      );
      return keysetPage(rows, window, toApplication);
    },
  };
}

function filterSql(filter: Omit<ApplicationSearch, 'sort'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    params.push(filter.status);
    where.push(`status = $${params.length}`);
  }
  if (filter.search) {
    params.push(`%${escapeLike(filter.search)}%`);
    where.push(`(name ILIKE $${params.length} ESCAPE '\\' OR slug ILIKE $${params.length} ESCAPE '\\')`);
  }
  return { where, params };
}

export type ApplicationRepo = ReturnType<typeof createApplicationRepo>;


function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
