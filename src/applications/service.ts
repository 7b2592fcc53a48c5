import { ADMIN_APPLICATION_SLUG, authorize, requireSuperAdmin, type Actor, type AdminPermission } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { createJsonCache } from '../platform/cache.js';
import { createLocalCache } from '../platform/local-cache.js';
import { isUuid } from '../platform/ids.js';
import { slugCandidates, validateSlug } from '../organizations/index.js';
import type { KeysetPage, KeysetWindow } from '../platform/db/keyset.js';
import { createApplicationRepo, type ApplicationFields } from './repo.js';
import { adminApplicationProtected, applicationNotFound, invalidSlug, invalidTransition } from './errors.js';
import { createModuleOperations } from './modules.js';
import { createResourceOperations } from './resources.js';
import {
  CreateApplicationInput,
  ListApplicationsQuery,
  UpdateApplicationInput,
  parseInput,
  type Application,
  type ApplicationStatus,
  type Page,
} from './schema.js';

export interface ApplicationServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
}

export interface ApplicationStatusChange {
  application: Application;
  previousStatus: ApplicationStatus;
}

/** The admin console's own application (spec 20 §3.3): never deactivated, archived or re-slugged. */
export { ADMIN_APPLICATION_SLUG };

/** Checks the current state before a change (the admin API's If-Match); throws to refuse it. */
export type ApplicationPrecondition = (current: Application) => void;

const CACHE_TTL_SECONDS = 300;
const MAX_DERIVED_SLUG_ATTEMPTS = 1000;

/** Spec 20 §5.3: the states each status may be reached from, the permission and the audit event. */
const STATUS_RULES: Record<ApplicationStatus, { from: readonly ApplicationStatus[]; permission: AdminPermission; eventType: string }> = {
  active: { from: ['inactive', 'archived'], permission: 'admin:app:update', eventType: 'application.activated' },
  inactive: { from: ['active'], permission: 'admin:app:update', eventType: 'application.deactivated' },
  archived: { from: ['active', 'inactive'], permission: 'admin:app:archive', eventType: 'application.archived' },
};
const ADMIN_ONLY = 'Only a super admin may change the admin application.';

const cacheKey = (id: string) => `cache:app:${id}`;
/** Bumped by every application write: other processes drop their copies within a second. */
export const APPLICATIONS_VERSION_KEY = 'cache:applications:version';
const ApplicationSearchQuery = ListApplicationsQuery.pick({ status: true, search: true, sort: true });

export function createApplicationService({ db, kv, clock, log, audit }: ApplicationServiceDeps) {
  const repo = createApplicationRepo(db);
  const cache = createJsonCache(kv, log);
  // Every token request checks its client's application: a per-process copy in front of the shared cache.
  const local = createLocalCache<Application>({ kv, clock, log, counterKey: APPLICATIONS_VERSION_KEY, name: 'applications' });
  const forget = async (id: string) => {
    await cache.delete(cacheKey(id));
    await local.invalidate();
  };

  async function insertWithDerivedSlug(fields: Omit<ApplicationFields, 'slug'>): Promise<Application> {
    let attempts = 0;
    for (const slug of slugCandidates(fields.name, 'application', { allowReserved: true })) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(slug)) continue;
      try {
        // A savepoint: the use case's transaction survives a lost race for the slug.
        return await db.transaction(() => repo.insert({ ...fields, slug }));
      } catch (err) {
        if (err instanceof AppError && err.code === 'application_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'application_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  /** The addressed application (id or slug), locked until the transaction ends. */
  async function loadForWrite(idOrSlug: string): Promise<Application> {
    const current = isUuid(idOrSlug) ? await repo.lockById(idOrSlug) : idOrSlug.length <= 100 ? await repo.lockBySlug(idOrSlug) : null;
    if (!current) throw applicationNotFound();
    return current;
  }

  /** Issue 9 item 8: only super admins change `porta-admin`. */
  async function loadWritable(actor: Actor, idOrSlug: string): Promise<Application> {
    const current = await loadForWrite(idOrSlug);
    if (current.slug === ADMIN_APPLICATION_SLUG) requireSuperAdmin(actor, ADMIN_ONLY);
    return current;
  }

  const record = (actor: Actor, app: Application, eventType: string, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'application', targetId: app.id, metadata });

  async function findById(id: string): Promise<Application | null> {
    if (!isUuid(id)) return null;
    return local.get(id, () => cache.getOrLoad(cacheKey(id), CACHE_TTL_SECONDS, () => repo.findById(id)));
  }

  async function getById(id: string): Promise<Application> {
    return (await findById(id)) ?? throwNotFound();
  }

  const service = {
    async create(actor: Actor, input: CreateApplicationInput): Promise<Application> {
      const parsed = parseInput(CreateApplicationInput, input);
      if (parsed.slug !== undefined) assertSlug(parsed.slug);
      const fields = { name: parsed.name, description: parsed.description ?? null };
      const application = await db.transaction(async () => {
        authorize(actor, 'admin:app:create');
        if (parsed.slug === ADMIN_APPLICATION_SLUG) requireSuperAdmin(actor, ADMIN_ONLY);
        const app = parsed.slug === undefined ? await insertWithDerivedSlug(fields) : await repo.insert({ ...fields, slug: parsed.slug });
        await record(actor, app, 'application.created', { name: app.name, slug: app.slug });
        return app;
      });
      log.info({ applicationId: application.id, slug: application.slug }, 'application.created');
      return application;
    },

    findById,

    async findBySlug(slug: string): Promise<Application | null> {
      if (slug.length > 100) return null;
      return repo.findBySlug(slug);
    },

    /** A UUID is looked up as an id, anything else as a slug. */
    async findByIdOrSlug(idOrSlug: string): Promise<Application | null> {
      return isUuid(idOrSlug) ? findById(idOrSlug) : service.findBySlug(idOrSlug);
    },

    getById,

    async getByIdOrSlug(idOrSlug: string): Promise<Application> {
      return (await service.findByIdOrSlug(idOrSlug)) ?? throwNotFound();
    },

    async list(query: ListApplicationsQuery = {}): Promise<Page<Application>> {
      const q = parseInput(ListApplicationsQuery, query);
      const { rows, total } = await repo.list({
        status: q.status,
        search: q.search || undefined,
        sort: q.sort,
        order: q.order,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { data: rows, total, page: q.page, pageSize: q.pageSize, totalPages: Math.ceil(total / q.pageSize) };
    },

    /** The cursor form of `list` (spec 20 §1 Cursor lists); the window comes from the cursor route. */
    async listKeyset(query: Pick<ListApplicationsQuery, 'status' | 'search' | 'sort'>, window: KeysetWindow): Promise<KeysetPage<Application>> {
      const q = parseInput(ApplicationSearchQuery, query);
      return repo.listKeyset({ status: q.status, search: q.search || undefined, sort: q.sort }, window);
    },

    /** Name, description and slug; `porta-admin` only by a super admin, and never re-slugged. */
    async update(actor: Actor, idOrSlug: string, input: UpdateApplicationInput, precondition?: ApplicationPrecondition): Promise<Application> {
      const parsed = parseInput(UpdateApplicationInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:app:update');
        const current = await loadWritable(actor, idOrSlug);
        precondition?.(current);
        if (parsed.slug !== undefined && parsed.slug !== current.slug) {
          if (current.slug === ADMIN_APPLICATION_SLUG) throw adminApplicationProtected();
          if (parsed.slug === ADMIN_APPLICATION_SLUG) requireSuperAdmin(actor, ADMIN_ONLY);
          assertSlug(parsed.slug);
        }
        const updated = (await repo.update(current.id, parsed)) ?? throwNotFound();
        await forget(current.id);
        await record(actor, updated, 'application.updated', { fields: Object.keys(parsed) });
        return updated;
      });
    },

    /**
     * Spec 20 §5.3: active ⇄ inactive, either → archived, archived → active; the current state again is
     * `invalid_transition`. `porta-admin` is never deactivated or archived (§3.3).
     */
    async setStatus(actor: Actor, idOrSlug: string, status: ApplicationStatus): Promise<ApplicationStatusChange> {
      const rule = STATUS_RULES[status];
      if (!rule) throw new AppError('invalid', 'validation_failed', `Unknown application status "${String(status)}".`);
      const change = await db.transaction(async () => {
        authorize(actor, rule.permission);
        const current = await loadForWrite(idOrSlug);
        if (current.slug === ADMIN_APPLICATION_SLUG) {
          if (status !== 'active') throw adminApplicationProtected();
          requireSuperAdmin(actor, ADMIN_ONLY);
        }
        if (!rule.from.includes(current.status)) throw invalidTransition(current.status, status);
        const application = await repo.transition(current.id, rule.from, status);
        if (!application) throw invalidTransition((await loadForWrite(current.id)).status, status);
        await forget(current.id);
        await record(actor, application, rule.eventType, { previousStatus: current.status, status: application.status });
        return { application, previousStatus: current.status };
      });
      log.info({ applicationId: change.application.id, from: change.previousStatus, to: status }, 'application.status_changed');
      return change;
    },

    ...createModuleOperations({ db, log, audit, getApplication: getById, loadWritable }),
    ...createResourceOperations({ db, log, audit, getApplication: getById, loadWritable }),
  };
  return service;
}

export type ApplicationService = ReturnType<typeof createApplicationService>;

function assertSlug(slug: string): void {
  if (!validateSlug(slug, { allowReserved: true }).isValid) throw invalidSlug(slug);
}

function throwNotFound(): never {
  throw applicationNotFound();
}
