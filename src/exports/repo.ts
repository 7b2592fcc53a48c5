import type { Queryable } from '../platform/db/index.js';
import type { ExportEntityType, ExportRow } from './schema.js';

interface Source {
  table: string;
  /** Output columns in order; `expr` when the select differs from the bare column. */
  columns: ReadonlyArray<string | { name: string; expr: string }>;
  /** Audit exports keep the newest rows; the others list oldest first. */
  order: 'asc' | 'desc';
}

/** Each type's non-secret columns (spec 20 §5.9): no hashes, secrets, keys or one-time tokens. */
const SOURCES: Record<ExportEntityType, Source> = {
  organizations: {
    table: 'organizations',
    columns: [
      'id', 'name', 'slug', 'status', 'is_super_admin', 'default_locale', 'default_login_methods', 'two_factor_policy',
      'branding_logo_url', 'branding_favicon_url', 'branding_primary_color', 'branding_company_name', 'branding_custom_css',
      'dynamic_registration', 'passkey_enrolment_prompt', 'account_portal_enabled', 'created_at', 'updated_at',
    ],
    order: 'asc',
  },
  applications: { table: 'applications', columns: ['id', 'name', 'slug', 'description', 'status', 'created_at', 'updated_at'], order: 'asc' },
  users: {
    table: 'users',
    columns: [
      'id', { name: 'email', expr: 'email::text' }, 'status', 'given_name', 'family_name', 'nickname', 'locale', 'email_verified',
      'phone_number', 'created_at', 'updated_at', 'last_login_at', 'login_count',
    ],
    order: 'asc',
  },
  clients: {
    table: 'clients',
    columns: [
      'id', 'organization_id', 'application_id', 'client_id', 'client_name', 'client_type', 'application_type', 'redirect_uris',
      'post_logout_redirect_uris', 'grant_types', 'response_types', 'scope', 'token_endpoint_auth_method', 'allowed_origins',
      'require_pkce', 'require_consent', 'login_methods', 'id_token_signed_response_alg', 'id_token_claims', 'backchannel_logout_uri',
      'backchannel_logout_session_required', 'jwks', 'jwks_uri', 'status', 'created_at', 'updated_at',
    ],
    order: 'asc',
  },
  roles: { table: 'roles', columns: ['id', 'application_id', 'name', 'slug', 'description', 'created_at', 'updated_at'], order: 'asc' },
  permissions: { table: 'permissions', columns: ['id', 'application_id', 'module_id', 'name', 'slug', 'description', 'created_at'], order: 'asc' },
  audit: {
    table: 'audit_log',
    columns: [
      'id', 'event_type', 'event_category', 'actor_id', 'organization_id', 'user_id', 'target_type', 'target_id', 'description',
      'metadata', { name: 'ip_address', expr: 'host(ip_address)' }, 'user_agent', 'created_at',
    ],
    order: 'desc',
  },
};

export const exportColumns = (type: ExportEntityType): string[] => SOURCES[type].columns.map((c) => (typeof c === 'string' ? c : c.name));

export interface ExportFilter {
  organizationId?: string;
  applicationId?: string;
  since?: Date;
  until?: Date;
  /** Strictly earlier than this. */
  before?: Date;
}

/** Keyset position: the last row's `created_at` as text (full microsecond precision) and id. */
export interface ExportCursor {
  createdAt: string;
  id: string;
}

export function createExportRepo(db: Queryable) {
  function where(filter: ExportFilter): { clauses: string[]; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      clauses.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.organizationId !== undefined) add('organization_id = ?', filter.organizationId);
    if (filter.applicationId !== undefined) add('application_id = ?', filter.applicationId);
    if (filter.since !== undefined) add('created_at >= ?', filter.since);
    if (filter.until !== undefined) add('created_at <= ?', filter.until);
    if (filter.before !== undefined) add('created_at < ?', filter.before);
    return { clauses, params };
  }

  return {
    async count(type: ExportEntityType, filter: ExportFilter): Promise<number> {
      const { clauses, params } = where(filter);
      const row = await db.one<{ n: string }>(
        `SELECT count(*) AS n FROM ${SOURCES[type].table} ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}`,
        params,
      );
      return Number(row.n);
    },

    /** One batch in export order after `cursor`; the cursor of its last row comes back with it. */
    async batch(type: ExportEntityType, filter: ExportFilter, cursor: ExportCursor | null, limit: number): Promise<{ rows: ExportRow[]; next: ExportCursor | null }> {
      const source = SOURCES[type];
      const { clauses, params } = where(filter);
      const comparison = source.order === 'asc' ? '>' : '<';
      if (cursor) {
        params.push(cursor.createdAt, cursor.id);
        clauses.push(`(created_at, id) ${comparison} ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      params.push(limit);
      const select = source.columns.map((c) => (typeof c === 'string' ? c : `${c.expr} AS ${c.name}`)).join(', ');
      const direction = source.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.many<ExportRow & { cursor_created_at: string }>(
        `SELECT ${select}, created_at::text AS cursor_created_at FROM ${source.table}
          ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
          ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.length}`,
        params,
      );
      const last = rows.at(-1);
      return {
        rows: rows.map(({ cursor_created_at: _cursor, ...row }) => row),
        next: last ? { createdAt: last.cursor_created_at, id: String(last.id) } : null,
      };
    },
  };
}

export type ExportRepo = ReturnType<typeof createExportRepo>;
