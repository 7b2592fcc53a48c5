import { z } from 'zod';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db, Queryable } from '../platform/db/index.js';
import { isUniqueViolation } from '../platform/db/sql.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import { parseInput, type Application } from './schema.js';

/**
 * API resources (spec 70 §5): what an application's clients may ask tokens for with RFC 8707's
 * `resource` parameter. A token for a resource has the indicator as its audience and only the
 * resource's scopes; in the `jwt` format it is an RFC 9068 JWT that the API verifies from the JWKS.
 */
export interface ApiResource {
  id: string;
  applicationId: string;
  /** RFC 8707 §2: an absolute URI without a fragment, unique across Porta. */
  indicator: string;
  name: string;
  scopes: string[];
  accessTokenFormat: AccessTokenFormat;
  /** Seconds; null = the system's `access_token_ttl`. */
  accessTokenTtl: number | null;
  createdAt: string;
  updatedAt: string;
}

export const ACCESS_TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

/** OpenID Connect's own scopes name claims of the user, never permissions at an API. */
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email', 'address', 'phone']);

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const ScopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'a scope is 1–100 printable ASCII characters without spaces, " or \\')
  .refine((s) => !OIDC_SCOPES.has(s), 'OpenID Connect scopes (openid, profile, email…) cannot be resource scopes');

/** RFC 8707 §2: absolute, no fragment; `https` (or `urn:`), `http` only on loopback hosts. */
const Indicator = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .superRefine((value, ctx) => {
    const problem = indicatorProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${value} ${problem}` });
  });

export function indicatorProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI (RFC 8707 §2)';
  }
  if (value.includes('#')) return 'must not contain a fragment (RFC 8707 §2)';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'urn:') return null;
  if (url.protocol === 'https:') return url.hostname ? null : 'must name a host';
  if (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return null;
  return 'must use https or urn: (http only for localhost, 127.0.0.1 or [::1])';
}

const resourceFields = {
  name: z.string().trim().min(1).max(255),
  scopes: z.array(ScopeToken).max(100).transform((s) => [...new Set(s)]),
  accessTokenFormat: z.enum(ACCESS_TOKEN_FORMATS),
  accessTokenTtl: z.number().int().min(60).max(86_400).nullable(),
};

export const CreateResourceInput = z.strictObject({
  indicator: Indicator,
  ...resourceFields,
  scopes: resourceFields.scopes.optional(),
  accessTokenFormat: resourceFields.accessTokenFormat.optional(),
  accessTokenTtl: resourceFields.accessTokenTtl.optional(),
});
export type CreateResourceInput = z.input<typeof CreateResourceInput>;

/** The indicator is the resource's identity (it is in every token's `aud`): fixed after creation. */
export const UpdateResourceInput = z.strictObject(resourceFields).partial();
export type UpdateResourceInput = z.input<typeof UpdateResourceInput>;

export const resourceNotFound = () => new AppError('not_found', 'resource_not_found', 'API resource not found in this application.');
const indicatorTaken = (indicator: string) =>
  new AppError('conflict', 'resource_indicator_taken', `The resource indicator ${indicator} is already in use.`, { indicator });

interface ResourceRow {
  id: string;
  application_id: string;
  indicator: string;
  name: string;
  scopes: string[];
  access_token_format: AccessTokenFormat;
  access_token_ttl: number | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = 'id, application_id, indicator, name, scopes, access_token_format, access_token_ttl, created_at, updated_at';
const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

function toResource(r: ResourceRow): ApiResource {
  return {
    id: r.id,
    applicationId: r.application_id,
    indicator: r.indicator,
    name: r.name,
    scopes: [...r.scopes],
    accessTokenFormat: r.access_token_format,
    accessTokenTtl: r.access_token_ttl === null ? null : Number(r.access_token_ttl),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function createResourceRepo(db: Queryable) {
  return {
    async list(applicationId: string): Promise<ApiResource[]> {
      const rows = await db.many<ResourceRow>(`SELECT ${COLUMNS} FROM api_resources WHERE application_id = $1 ORDER BY indicator`, [applicationId]);
      return rows.map(toResource);
    },
    async findById(applicationId: string, id: string): Promise<ApiResource | null> {
      const row = await db.maybeOne<ResourceRow>(`SELECT ${COLUMNS} FROM api_resources WHERE application_id = $1 AND id = $2`, [applicationId, id]);
      return row && toResource(row);
    },
    async findByIndicator(applicationId: string, indicator: string): Promise<ApiResource | null> {
      const row = await db.maybeOne<ResourceRow>(
        `SELECT ${COLUMNS} FROM api_resources WHERE application_id = $1 AND indicator = $2`,
        [applicationId, indicator],
      );
      return row && toResource(row);
    },
    async insert(applicationId: string, r: Omit<ApiResource, 'id' | 'applicationId' | 'createdAt' | 'updatedAt'>): Promise<ApiResource> {
      try {
        const row = await db.one<ResourceRow>(
          `INSERT INTO api_resources (application_id, indicator, name, scopes, access_token_format, access_token_ttl)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [applicationId, r.indicator, r.name, r.scopes, r.accessTokenFormat, r.accessTokenTtl],
        );
        return toResource(row);
      } catch (err) {
        throw isUniqueViolation(err) ? indicatorTaken(r.indicator) : err;
      }
    },
    async update(applicationId: string, id: string, r: Omit<ApiResource, 'id' | 'applicationId' | 'indicator' | 'createdAt' | 'updatedAt'>): Promise<ApiResource | null> {
      const row = await db.maybeOne<ResourceRow>(
        `UPDATE api_resources SET name = $3, scopes = $4, access_token_format = $5, access_token_ttl = $6
          WHERE application_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [applicationId, id, r.name, r.scopes, r.accessTokenFormat, r.accessTokenTtl],
      );
      return row && toResource(row);
    },
    async delete(applicationId: string, id: string): Promise<ApiResource | null> {
      const row = await db.maybeOne<ResourceRow>(`DELETE FROM api_resources WHERE application_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [applicationId, id]);
      return row && toResource(row);
    },
  };
}

interface ResourceOperationsDeps {
  db: Db;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** Throws `application_not_found`. */
  getApplication(id: string): Promise<Application>;
  /** The application (id or slug) locked for a change by this actor. */
  loadWritable(actor: Actor, idOrSlug: string): Promise<Application>;
}

/** Resource methods of the application service: each write needs `app:update` and is audited with the change. */
export function createResourceOperations({ db, log, audit, getApplication, loadWritable }: ResourceOperationsDeps) {
  const repo = createResourceRepo(db);

  async function writableApplication(actor: Actor, appIdOrSlug: string): Promise<Application> {
    authorize(actor, 'admin:app:update');
    return loadWritable(actor, appIdOrSlug);
  }

  const record = (actor: Actor, r: ApiResource, eventType: string, metadata: Record<string, unknown> = {}) =>
    audit.record(actor, { eventType, targetType: 'api_resource', targetId: r.id, metadata: { applicationId: r.applicationId, indicator: r.indicator, ...metadata } });

  return {
    async createResource(actor: Actor, appIdOrSlug: string, input: CreateResourceInput): Promise<ApiResource> {
      const parsed = parseInput(CreateResourceInput, input);
      const created = await db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const resource = await repo.insert(app.id, {
          indicator: parsed.indicator,
          name: parsed.name,
          scopes: parsed.scopes ?? [],
          accessTokenFormat: parsed.accessTokenFormat ?? 'jwt',
          accessTokenTtl: parsed.accessTokenTtl ?? null,
        });
        await record(actor, resource, 'api_resource.created', { scopes: resource.scopes, accessTokenFormat: resource.accessTokenFormat });
        return resource;
      });
      log.info({ applicationId: created.applicationId, resourceId: created.id }, 'application.resource_created');
      return created;
    },

    /** Throws `application_not_found` for an unknown application. */
    async listResources(applicationId: string): Promise<ApiResource[]> {
      const app = await getApplication(applicationId);
      return repo.list(app.id);
    },

    /** Throws `resource_not_found` when the resource is missing or belongs to another application. */
    async getResource(applicationId: string, resourceId: string): Promise<ApiResource> {
      const found = isUuid(applicationId) && isUuid(resourceId) ? await repo.findById(applicationId, resourceId) : null;
      if (!found) throw resourceNotFound();
      return found;
    },

    /** The resource a client of `applicationId` names with `resource=`; null when the application declares none such. */
    async findResourceByIndicator(applicationId: string, indicator: string): Promise<ApiResource | null> {
      if (!isUuid(applicationId) || indicator.length > 2048) return null;
      return repo.findByIndicator(applicationId, indicator);
    },

    async updateResource(actor: Actor, appIdOrSlug: string, resourceId: string, input: UpdateResourceInput): Promise<ApiResource> {
      const parsed = parseInput(UpdateResourceInput, input);
      return db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const current = isUuid(resourceId) ? await repo.findById(app.id, resourceId) : null;
        if (!current) throw resourceNotFound();
        const updated = await repo.update(app.id, current.id, {
          name: parsed.name ?? current.name,
          scopes: parsed.scopes ?? current.scopes,
          accessTokenFormat: parsed.accessTokenFormat ?? current.accessTokenFormat,
          accessTokenTtl: parsed.accessTokenTtl === undefined ? current.accessTokenTtl : parsed.accessTokenTtl,
        });
        if (!updated) throw resourceNotFound();
        await record(actor, updated, 'api_resource.updated', { fields: Object.keys(parsed) });
        return updated;
      });
    },

    /** Tokens already issued for it stay valid until they expire; new requests naming it get `invalid_target`. */
    async deleteResource(actor: Actor, appIdOrSlug: string, resourceId: string): Promise<void> {
      await db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const deleted = isUuid(resourceId) ? await repo.delete(app.id, resourceId) : null;
        if (!deleted) throw resourceNotFound();
        await record(actor, deleted, 'api_resource.deleted');
      });
    },
  };
}
