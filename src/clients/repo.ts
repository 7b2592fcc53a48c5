import { keysetPage, keysetSql, type KeysetPage, type KeysetRow, type KeysetWindow } from '../platform/db/keyset.js';
import { escapeLike } from '../platform/db/sql.js';
import type { Db, Queryable } from '../platform/db/index.js';
import type { ClientSettings } from './rules.js';
import type {
  ApplicationType, ClientJwks, ClientSortBy, ClientStatus, ClientType, GrantType, IdTokenClaims, IdTokenSigningAlg, LoginMethod, TokenEndpointAuthMethod,
} from './schema.js';

/** An OIDC client as the admin API shows it (20 §4, less `effectiveLoginMethods`, which needs the org). */
export interface Client {
  /** internal UUID */
  id: string;
  organizationId: string;
  applicationId: string;
  /** OIDC client_id */
  clientId: string;
  clientName: string;
  clientType: ClientType;
  applicationType: ApplicationType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  responseTypes: string[];
  scope: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  allowedOrigins: string[];
  requirePkce: boolean;
  requireConsent: boolean;
  loginMethods: LoginMethod[] | null;
  idTokenSignedResponseAlg: IdTokenSigningAlg;
  idTokenClaims: IdTokenClaims;
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  jwks: ClientJwks | null;
  jwksUri: string | null;
  status: ClientStatus;
  /** Spec 70 §4: a client-credentials client of the admin organization holding admin roles itself. */
  isServiceAccount: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ClientSecret {
  id: string;
  /** internal client UUID */
  clientId: string;
  label: string | null;
  status: 'active' | 'revoked';
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface ActiveSecretDigest {
  id: string;
  sha256: string;
  /** Epoch ms; null never expires. */
  expiresAt: number | null;
  lastUsedAt: Date | null;
}

export interface ClientSearch {
  applicationId?: string;
  status?: ClientStatus;
  search?: string;
  sortBy: ClientSortBy;
}

export interface ClientListFilter extends ClientSearch {
  page: number;
  pageSize: number;
  sortOrder: 'asc' | 'desc';
}

type Row = Record<string, unknown>;

const SORT_COLUMNS: Record<ClientSortBy, string> = { client_name: 'client_name', created_at: 'created_at' };
const SECRET_COLUMNS = 'id, client_id, label, status, expires_at, last_used_at, created_at, revoked_at';

const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v == null ? null : new Date(String(v)).toISOString());
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function rowToClient(r: Row): Client {
  return {
    id: String(r.id),
    organizationId: String(r.organization_id),
    applicationId: String(r.application_id),
    clientId: String(r.client_id),
    clientName: String(r.client_name),
    clientType: r.client_type as ClientType,
    applicationType: r.application_type as ApplicationType,
    redirectUris: strings(r.redirect_uris),
    postLogoutRedirectUris: strings(r.post_logout_redirect_uris),
    grantTypes: strings(r.grant_types) as GrantType[],
    responseTypes: strings(r.response_types),
    scope: String(r.scope),
    tokenEndpointAuthMethod: r.token_endpoint_auth_method as TokenEndpointAuthMethod,
    allowedOrigins: strings(r.allowed_origins),
    requirePkce: r.require_pkce === true,
    requireConsent: r.require_consent === true,
    loginMethods: r.login_methods == null ? null : (strings(r.login_methods) as LoginMethod[]),
    idTokenSignedResponseAlg: r.id_token_signed_response_alg as IdTokenSigningAlg,
    idTokenClaims: r.id_token_claims as IdTokenClaims,
    backchannelLogoutUri: r.backchannel_logout_uri == null ? null : String(r.backchannel_logout_uri),
    backchannelLogoutSessionRequired: r.backchannel_logout_session_required !== false,
    jwks: r.jwks == null ? null : ((typeof r.jwks === 'string' ? JSON.parse(r.jwks) : r.jwks) as ClientJwks),
    jwksUri: r.jwks_uri == null ? null : String(r.jwks_uri),
    status: r.status as ClientStatus,
    isServiceAccount: r.is_service_account === true,
    description: r.description == null ? null : String(r.description),
    createdAt: iso(r.created_at) as string,
    updatedAt: iso(r.updated_at) as string,
  };
}

function rowToSecret(r: Row): ClientSecret {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    label: r.label == null ? null : String(r.label),
    status: r.status as ClientSecret['status'],
    expiresAt: iso(r.expires_at),
    lastUsedAt: iso(r.last_used_at),
    createdAt: iso(r.created_at) as string,
    revokedAt: iso(r.revoked_at),
  };
}

const SETTINGS_COLUMNS: Record<Exclude<keyof ClientSettings, 'clientType'>, string> = {
  applicationType: 'application_type',
  redirectUris: 'redirect_uris',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
  grantTypes: 'grant_types',
  responseTypes: 'response_types',
  scope: 'scope',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  allowedOrigins: 'allowed_origins',
  requireConsent: 'require_consent',
  loginMethods: 'login_methods',
  requirePkce: 'require_pkce',
  idTokenSignedResponseAlg: 'id_token_signed_response_alg',
  idTokenClaims: 'id_token_claims',
  backchannelLogoutUri: 'backchannel_logout_uri',
  backchannelLogoutSessionRequired: 'backchannel_logout_session_required',
  jwks: 'jwks',
  jwksUri: 'jwks_uri',
};
const SETTINGS_KEYS = Object.keys(SETTINGS_COLUMNS) as (keyof typeof SETTINGS_COLUMNS)[];
/** A setting as a query parameter: the JWK Set goes as JSON text (jsonb), arrays as PostgreSQL arrays. */
const settingValue = (settings: ClientSettings, key: (typeof SETTINGS_KEYS)[number]): unknown =>
  key === 'jwks' ? (settings.jwks === null ? null : JSON.stringify(settings.jwks)) : settings[key];

export interface NewClient {
  applicationId: string;
  clientId: string;
  clientName: string;
  settings: ClientSettings;
  isServiceAccount?: boolean;
  description?: string | null;
}

export interface NewSecret {
  secretHash: string;
  secretSha256: string;
  label: string | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export type ClientRepo = ReturnType<typeof createClientRepo>;

export function createClientRepo(db: Db) {
  return {
    /** Status of a (global) application, read here so clients need not depend on the applications domain. */
    async findApplicationStatus(applicationId: string): Promise<string | null> {
      const row = await db.maybeOne<{ status: string }>('SELECT status FROM applications WHERE id = $1', [applicationId]);
      return row?.status ?? null;
    },

    async insertClient(q: Queryable, orgId: string, c: NewClient): Promise<Client> {
      const columns = [
        'organization_id', 'application_id', 'client_id', 'client_name', 'client_type', 'is_service_account', 'description',
        ...SETTINGS_KEYS.map((k) => SETTINGS_COLUMNS[k]),
      ];
      const params = [
        orgId, c.applicationId, c.clientId, c.clientName, c.settings.clientType, c.isServiceAccount ?? false, c.description ?? null,
        ...SETTINGS_KEYS.map((k) => settingValue(c.settings, k)),
      ];
      const row = await q.one<Row>(
        `INSERT INTO clients (${columns.join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
        params,
      );
      return rowToClient(row);
    },

    async findById(orgId: string, id: string): Promise<Client | null> {
      const row = await db.maybeOne<Row>('SELECT * FROM clients WHERE organization_id = $1 AND id = $2', [orgId, id]);
      return row ? rowToClient(row) : null;
    },

    async findByClientId(orgId: string, clientId: string): Promise<Client | null> {
      const row = await db.maybeOne<Row>('SELECT * FROM clients WHERE organization_id = $1 AND client_id = $2', [orgId, clientId]);
      return row ? rowToClient(row) : null;
    },

    /** Cross-tenant lookup by internal id or client_id (super-admin routes without an org in the path). */
    async findAnyByIdOrClientId(ref: string, isRefUuid: boolean): Promise<Client | null> {
      const row = isRefUuid
        ? await db.maybeOne<Row>('SELECT * FROM clients WHERE id = $1 OR client_id = $2', [ref, ref])
        : await db.maybeOne<Row>('SELECT * FROM clients WHERE client_id = $1', [ref]);
      return row ? rowToClient(row) : null;
    },

    /** `orgId` null lists every organization's clients (super-admin listing). */
    async list(orgId: string | null, f: ClientListFilter): Promise<{ rows: Client[]; total: number }> {
      const { where, params } = filterSql(orgId, f);
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const total = await db.one<{ n: string | number }>(`SELECT count(*) AS n FROM clients ${clause}`, params);
      const dir = f.sortOrder === 'asc' ? 'ASC' : 'DESC';
      const rows = await db.many<Row>(
        `SELECT * FROM clients ${clause} ORDER BY ${SORT_COLUMNS[f.sortBy]} ${dir}, id ${dir} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, f.pageSize, (f.page - 1) * f.pageSize],
      );
      return { rows: rows.map(rowToClient), total: Number(total.n) };
    },

    /** The cursor form of `list`: one keyset window over (sort column, id); `orgId` null as there. */
    async listKeyset(orgId: string | null, f: ClientSearch, window: KeysetWindow): Promise<KeysetPage<Client>> {
      const { where, params } = filterSql(orgId, f);
      const keyset = keysetSql(SORT_COLUMNS[f.sortBy], false, window, params);
      if (keyset.where) where.push(keyset.where);
      const rows = await db.many<Row & KeysetRow>(
        `SELECT *, ${keyset.select} FROM clients ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${keyset.orderBy} LIMIT ${keyset.limit}`,
        params,
      );
      return keysetPage(rows, window, rowToClient);
    },

    /** Service accounts of the organization, by name. */
    async listServiceAccounts(orgId: string): Promise<Client[]> {
      const rows = await db.many<Row>('SELECT * FROM clients WHERE organization_id = $1 AND is_service_account ORDER BY client_name, id', [orgId]);
      return rows.map(rowToClient);
    },

    async updateDescription(orgId: string, id: string, name: string, description: string | null): Promise<Client | null> {
      const row = await db.maybeOne<Row>(
        'UPDATE clients SET client_name = $3, description = $4 WHERE organization_id = $1 AND id = $2 RETURNING *',
        [orgId, id, name, description],
      );
      return row ? rowToClient(row) : null;
    },

    /** The roles a client holds itself (service accounts), by slug, in one application. */
    async clientRoles(clientUuid: string, applicationId: string): Promise<Array<{ id: string; slug: string }>> {
      return db.many<{ id: string; slug: string }>(
        `SELECT r.id, r.slug FROM client_roles cr JOIN roles r ON r.id = cr.role_id
          WHERE cr.client_id = $1 AND r.application_id = $2 ORDER BY r.slug`,
        [clientUuid, applicationId],
      );
    },

    /** Roles of an application by slug (unknown slugs are simply absent). */
    async rolesBySlug(applicationId: string, slugs: readonly string[]): Promise<Array<{ id: string; slug: string }>> {
      return db.many<{ id: string; slug: string }>('SELECT id, slug FROM roles WHERE application_id = $1 AND slug = ANY($2::text[])', [applicationId, [...slugs]]);
    },

    /** Replaces the roles a client holds in one application. */
    async replaceClientRoles(clientUuid: string, applicationId: string, roleIds: readonly string[], assignedBy: string | null): Promise<void> {
      await db.query('DELETE FROM client_roles WHERE client_id = $1 AND role_id IN (SELECT id FROM roles WHERE application_id = $2)', [clientUuid, applicationId]);
      if (roleIds.length === 0) return;
      await db.query(
        'INSERT INTO client_roles (client_id, role_id, assigned_by) SELECT $1, unnest($2::uuid[]), $3',
        [clientUuid, [...roleIds], assignedBy],
      );
    },

    async updateSettings(orgId: string, id: string, clientName: string, settings: ClientSettings): Promise<Client | null> {
      const set = ['client_name = $3', ...SETTINGS_KEYS.map((k, i) => `${SETTINGS_COLUMNS[k]} = $${i + 4}`)].join(', ');
      const row = await db.maybeOne<Row>(
        `UPDATE clients SET ${set} WHERE organization_id = $1 AND id = $2 RETURNING *`,
        [orgId, id, clientName, ...SETTINGS_KEYS.map((k) => settingValue(settings, k))],
      );
      return row ? rowToClient(row) : null;
    },

    /** Guarded status change; null when the client is missing or its status is not `from`. */
    async setStatus(orgId: string, id: string, from: ClientStatus, to: ClientStatus): Promise<Client | null> {
      const row = await db.maybeOne<Row>(
        'UPDATE clients SET status = $4 WHERE organization_id = $1 AND id = $2 AND status = $3 RETURNING *',
        [orgId, id, from, to],
      );
      return row ? rowToClient(row) : null;
    },

    async insertSecret(q: Queryable, clientUuid: string, s: NewSecret): Promise<ClientSecret> {
      const row = await q.one<Row>(
        `INSERT INTO client_secrets (client_id, secret_hash, secret_sha256, label, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SECRET_COLUMNS}`,
        [clientUuid, s.secretHash, s.secretSha256, s.label, s.expiresAt, s.createdAt],
      );
      return rowToSecret(row);
    },

    async listSecrets(clientUuid: string): Promise<ClientSecret[]> {
      const rows = await db.many<Row>(
        `SELECT ${SECRET_COLUMNS} FROM client_secrets WHERE client_id = $1 ORDER BY created_at DESC, id DESC`,
        [clientUuid],
      );
      return rows.map(rowToSecret);
    },

    /** Revokes one secret of the client; false when the client has no such secret (revoking twice is fine). */
    async revokeSecret(clientUuid: string, secretId: string, at: Date): Promise<boolean> {
      const row = await db.maybeOne<{ id: string }>(
        `UPDATE client_secrets SET status = 'revoked', revoked_at = COALESCE(revoked_at, $3)
         WHERE client_id = $1 AND id = $2 RETURNING id`,
        [clientUuid, secretId, at],
      );
      return row !== null;
    },

    /** SHA-256 digests of the secrets that may authenticate at `at`. */
    /** Every active secret's digest with its expiry, expired ones included: the caller compares with its clock. */
    async activeSecretDigests(clientUuid: string): Promise<ActiveSecretDigest[]> {
      const rows = await db.many<{ id: string; secret_sha256: string; expires_at: Date | null; last_used_at: Date | null }>(
        "SELECT id, secret_sha256, expires_at, last_used_at FROM client_secrets WHERE client_id = $1 AND status = 'active'",
        [clientUuid],
      );
      return rows.map((r) => ({ id: r.id, sha256: r.secret_sha256, expiresAt: r.expires_at?.getTime() ?? null, lastUsedAt: r.last_used_at }));
    },

    /** Sets `last_used_at` unless another request already did within the last minute. */
    async touchSecret(secretId: string, at: Date, notSince: Date): Promise<void> {
      await db.query(
        'UPDATE client_secrets SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)',
        [secretId, at, notSince],
      );
    },
  };
}

function filterSql(orgId: string | null, f: Omit<ClientSearch, 'sortBy'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (orgId !== null) add((p) => `organization_id = ${p}`, orgId);
  if (f.applicationId) add((p) => `application_id = ${p}`, f.applicationId);
  if (f.status) add((p) => `status = ${p}`, f.status);
  if (f.search) add((p) => `(client_name ILIKE ${p} OR client_id ILIKE ${p})`, `%${escapeLike(f.search)}%`);
  return { where, params };
}
