import { keysetPage, keysetSql, type KeysetPage, type KeysetRow, type KeysetWindow } from '../platform/db/keyset.js';
import { escapeLike, isUniqueViolation } from '../platform/db/sql.js';
import type { Queryable } from '../platform/db/index.js';
import { organizationSlugTaken } from './errors.js';
import type { Branding, Organization, OrganizationStatus, LoginMethod, TwoFactorPolicy } from './schema.js';

interface OrganizationRow {
  id: string;
  name: string;
  slug: string;
  status: OrganizationStatus;
  is_super_admin: boolean;
  branding_logo_url: string | null;
  branding_favicon_url: string | null;
  branding_primary_color: string | null;
  branding_company_name: string | null;
  branding_custom_css: string | null;
  default_locale: string;
  default_login_methods: LoginMethod[];
  two_factor_policy: TwoFactorPolicy;
  dynamic_registration: boolean;
  passkey_enrolment_prompt: boolean;
  account_portal_enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, name, slug, status, is_super_admin, branding_logo_url, branding_favicon_url,
  branding_primary_color, branding_company_name, branding_custom_css, default_locale,
  default_login_methods, two_factor_policy, dynamic_registration, passkey_enrolment_prompt, account_portal_enabled, created_at, updated_at`;

/** Writable fields and their columns; the only names that reach SQL text. */
const FIELD_COLUMNS = {
  name: 'name',
  slug: 'slug',
  defaultLocale: 'default_locale',
  defaultLoginMethods: 'default_login_methods',
  twoFactorPolicy: 'two_factor_policy',
  dynamicRegistration: 'dynamic_registration',
  passkeyEnrolmentPrompt: 'passkey_enrolment_prompt',
  accountPortalEnabled: 'account_portal_enabled',
  logoUrl: 'branding_logo_url',
  faviconUrl: 'branding_favicon_url',
  primaryColor: 'branding_primary_color',
  companyName: 'branding_company_name',
  customCss: 'branding_custom_css',
} as const;

export type OrganizationFields = {
  name: string;
  slug: string;
  defaultLocale: string;
  defaultLoginMethods: LoginMethod[];
  twoFactorPolicy: TwoFactorPolicy;
  dynamicRegistration: boolean;
  passkeyEnrolmentPrompt: boolean;
  accountPortalEnabled: boolean;
} & Branding;

const SORT_COLUMNS = { name: 'name', slug: 'slug', created_at: 'created_at', updated_at: 'updated_at' } as const;

export interface OrganizationSearch {
  status?: OrganizationStatus;
  search?: string;
  sort: keyof typeof SORT_COLUMNS;
}

export interface OrganizationFilter extends OrganizationSearch {
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export function createOrganizationRepo(db: Queryable) {
  return {
    async findById(id: string): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations WHERE id = $1`, [id]);
      return row && toOrganization(row);
    },

    async findBySlug(slug: string): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations WHERE slug = $1`, [slug]);
      return row && toOrganization(row);
    },

    /** For a write: the row stays locked until the transaction ends, so checks and change see one version. */
    async lockById(id: string): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations WHERE id = $1 FOR UPDATE`, [id]);
      return row && toOrganization(row);
    },

    async lockBySlug(slug: string): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations WHERE slug = $1 FOR UPDATE`, [slug]);
      return row && toOrganization(row);
    },

    async findSuperAdmin(): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations WHERE is_super_admin`);
      return row && toOrganization(row);
    },

    async isSlugTaken(slug: string): Promise<boolean> {
      return (await db.maybeOne('SELECT 1 FROM organizations WHERE slug = $1', [slug])) !== null;
    },

    /** Throws `organization_slug_taken` when the slug is in use. */
    async insert(fields: OrganizationFields): Promise<Organization> {
      const entries = Object.entries(FIELD_COLUMNS) as [keyof OrganizationFields, string][];
      const columns = entries.map(([, column]) => column).join(', ');
      const placeholders = entries.map(([field], i) => placeholder(field, i + 1)).join(', ');
      try {
        const row = await db.one<OrganizationRow>(
          `INSERT INTO organizations (${columns}) VALUES (${placeholders}) RETURNING ${COLUMNS}`,
          entries.map(([field]) => fields[field]),
        );
        return toOrganization(row);
      } catch (err) {
        throw isUniqueViolation(err) ? organizationSlugTaken(fields.slug) : err;
      }
    },

    /** Returns null when no organization has the id; throws `organization_slug_taken` on a slug clash. */
    async update(id: string, patch: Partial<OrganizationFields>): Promise<Organization | null> {
      const fields = (Object.keys(FIELD_COLUMNS) as (keyof OrganizationFields)[]).filter((f) => patch[f] !== undefined);
      if (fields.length === 0) return this.findById(id);
      const sets = fields.map((field, i) => `${FIELD_COLUMNS[field]} = ${placeholder(field, i + 2)}`).join(', ');
      try {
        const row = await db.maybeOne<OrganizationRow>(
          `UPDATE organizations SET ${sets} WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, ...fields.map((field) => patch[field])],
        );
        return row && toOrganization(row);
      } catch (err) {
        throw isUniqueViolation(err) ? organizationSlugTaken(patch.slug ?? '') : err;
      }
    },

    /** Moves to `to` only from one of `from`; null when the row is missing or in another state. */
    async transition(id: string, from: readonly OrganizationStatus[], to: OrganizationStatus): Promise<Organization | null> {
      const row = await db.maybeOne<OrganizationRow>(
        `UPDATE organizations SET status = $2 WHERE id = $1 AND status = ANY($3::text[])
         RETURNING ${COLUMNS}`,
        [id, to, from],
      );
      return row && toOrganization(row);
    },

    async list(filter: OrganizationFilter): Promise<{ rows: Organization[]; total: number }> {
      const { where, params } = filterSql(filter);
      const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const { total } = await db.one<{ total: number }>(`SELECT count(*)::int AS total FROM organizations ${whereSql}`, params);
      const order = filter.order === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.many<OrganizationRow>(
        `SELECT ${COLUMNS} FROM organizations ${whereSql}
         ORDER BY ${SORT_COLUMNS[filter.sort]} ${order}, id ${order}
         LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, filter.limit, filter.offset],
      );
      return { rows: rows.map(toOrganization), total };
    },

    /** The cursor form of `list`: one keyset window over (sort column, id). */
    async listKeyset(filter: OrganizationSearch, window: KeysetWindow): Promise<KeysetPage<Organization>> {
      const { where, params } = filterSql(filter);
      const keyset = keysetSql(SORT_COLUMNS[filter.sort], false, window, params);
      if (keyset.where) where.push(keyset.where);
      const rows = await db.many<OrganizationRow & KeysetRow>(
        `SELECT ${COLUMNS}, ${keyset.select} FROM organizations ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
        params,
      );
      return keysetPage(rows, window, toOrganization);
    },
  };
}

function filterSql(filter: Omit<OrganizationSearch, 'sort'>): { where: string[]; params: unknown[] } {
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

export type OrganizationRepo = ReturnType<typeof createOrganizationRepo>;

/** Spec 20 §5.1 DELETE: what destroying an organization removes with it. */
export interface CascadeCounts {
  clients: number;
  users: number;
  roleAssignments: number;
  claimValues: number;
  brandingAssets: number;
  /** Tracked sessions still active at `now` (they are ended first). */
  sessions: number;
}

/** The destroy cascade, across the tenant-owned tables the organization's row anchors. */
export function createOrganizationDestroyRepo(db: Queryable) {
  return {
    async cascadeCounts(orgId: string, now: Date): Promise<CascadeCounts> {
      const row = await db.one<{ [K in keyof CascadeCounts]: number }>(
        `SELECT
           (SELECT count(*)::int FROM clients WHERE organization_id = $1) AS "clients",
           (SELECT count(*)::int FROM users WHERE organization_id = $1) AS "users",
           (SELECT count(*)::int FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.organization_id = $1) AS "roleAssignments",
           (SELECT count(*)::int FROM custom_claim_values v JOIN users u ON u.id = v.user_id WHERE u.organization_id = $1) AS "claimValues",
           (SELECT count(*)::int FROM branding_assets WHERE organization_id = $1) AS "brandingAssets",
           (SELECT count(*)::int FROM admin_sessions WHERE organization_id = $1 AND revoked_at IS NULL AND expires_at > $2) AS "sessions"`,
        [orgId, now],
      );
      return {
        clients: row.clients,
        users: row.users,
        roleAssignments: row.roleAssignments,
        claimValues: row.claimValues,
        brandingAssets: row.brandingAssets,
        sessions: row.sessions,
      };
    },

    /**
     * Deletes the organization's durable OIDC artifacts, then its row: clients, secrets, users and
     * their data, branding assets and session rows cascade; audit rows keep their entries with
     * `organization_id` null (migrations 002-005). False when no such ordinary organization exists.
     */
    async destroy(orgId: string): Promise<boolean> {
      await db.query('DELETE FROM oidc_payloads WHERE organization_id = $1', [orgId]);
      const result = await db.query('DELETE FROM organizations WHERE id = $1 AND NOT is_super_admin', [orgId]);
      return result.rowCount > 0;
    },
  };
}

function placeholder(field: keyof OrganizationFields, n: number): string {
  return field === 'defaultLoginMethods' ? `$${n}::text[]` : `$${n}`;
}

function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    isSuperAdmin: row.is_super_admin,
    branding: {
      logoUrl: row.branding_logo_url,
      faviconUrl: row.branding_favicon_url,
      primaryColor: row.branding_primary_color,
      companyName: row.branding_company_name,
      customCss: row.branding_custom_css,
    },
    defaultLocale: row.default_locale,
    defaultLoginMethods: row.default_login_methods,
    twoFactorPolicy: row.two_factor_policy,
    dynamicRegistration: row.dynamic_registration === true,
    passkeyEnrolmentPrompt: row.passkey_enrolment_prompt === true,
    accountPortalEnabled: row.account_portal_enabled !== false,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
