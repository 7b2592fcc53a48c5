import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { createJsonCache } from '../platform/cache.js';
import { isUuid } from '../platform/ids.js';
import { slugCandidates, validateSlug } from '../organizations/index.js';
import type { KeysetPage, KeysetWindow } from '../platform/db/keyset.js';
import { createApplicationRepo, type ApplicationFields } from './repo.js';
import { adminApplicationProtected, applicationNotFound, invalidSlug, invalidTransition } from './errors.js';
import { createModuleOperations } from './modules.js';
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
}

export interface ApplicationStatusChange {
  application: Application;
  previousStatus: ApplicationStatus;
}

/** The admin console's own application (spec 20 §3.3): never deactivated, archived or re-slugged. */
export const ADMIN_APPLICATION_SLUG = 'porta-admin';

const CACHE_TTL_SECONDS = 300;
const MAX_DERIVED_SLUG_ATTEMPTS = 1000;

/** Spec 20 §5.3: which states each status may be reached from. */
const ALLOWED_FROM: Record<ApplicationStatus, readonly ApplicationStatus[]> = {
  active: ['inactive', 'archived'],
  inactive: ['active'],
  archived: ['active', 'inactive'],
};

const cacheKey = (id: string) => `porta:cache:app:${id}`;
const ApplicationSearchQuery = ListApplicationsQuery.pick({ status: true, search: true, sort: true });

export function createApplicationService({ db, kv, log }: ApplicationServiceDeps) {
  const repo = createApplicationRepo(db);
  const cache = createJsonCache(kv, log);

  async function insertWithDerivedSlug(fields: Omit<ApplicationFields, 'slug'>): Promise<Application> {
    let attempts = 0;
    for (const slug of slugCandidates(fields.name, 'application', { allowReserved: true })) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(slug)) continue;
      try {
        return await repo.insert({ ...fields, slug });
      } catch (err) {
        if (err instanceof AppError && err.code === 'application_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'application_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  async function loadForWrite(id: string): Promise<Application> {
    const current = isUuid(id) ? await repo.findById(id) : null;
    if (!current) throw applicationNotFound();
    return current;
  }

  async function findById(id: string): Promise<Application | null> {
    if (!isUuid(id)) return null;
    return cache.getOrLoad(cacheKey(id), CACHE_TTL_SECONDS, () => repo.findById(id));
  }

  async function getById(id: string): Promise<Application> {
    return (await findById(id)) ?? throwNotFound();
  }

  const service = {
    async create(input: CreateApplicationInput): Promise<Application> {
      const parsed = parseInput(CreateApplicationInput, input);
      const fields = { name: parsed.name, description: parsed.description ?? null };
      let application: Application;
      if (parsed.slug === undefined) {
        application = await insertWithDerivedSlug(fields);
      } else {
        assertSlug(parsed.slug);
        application = await repo.insert({ ...fields, slug: parsed.slug });
      }
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

    async update(id: string, patch: UpdateApplicationInput): Promise<Application> {
      const parsed = parseInput(UpdateApplicationInput, patch);
      const current = await loadForWrite(id);
      if (parsed.slug !== undefined && parsed.slug !== current.slug) {
        if (current.slug === ADMIN_APPLICATION_SLUG) throw adminApplicationProtected();
        assertSlug(parsed.slug);
      }
      const updated = await repo.update(id, parsed);
      await cache.delete(cacheKey(id));
      return updated ?? throwNotFound();
    },

    /** active ⇄ inactive, either → archived, archived → active; the current state again is `invalid_transition`. */
    async setStatus(id: string, status: ApplicationStatus): Promise<ApplicationStatusChange> {
      const from = ALLOWED_FROM[status];
      if (!from) throw new AppError('invalid', 'validation_failed', `Unknown application status "${String(status)}".`);
      const current = await loadForWrite(id);
      if (current.slug === ADMIN_APPLICATION_SLUG && status !== 'active') throw adminApplicationProtected();
      if (!from.includes(current.status)) throw invalidTransition(current.status, status);
      const updated = await repo.transition(id, from, status);
      await cache.delete(cacheKey(id));
      if (!updated) throw invalidTransition((await loadForWrite(id)).status, status);
      log.info({ applicationId: id, from: current.status, to: status }, 'application.status_changed');
      return { application: updated, previousStatus: current.status };
    },

    ...createModuleOperations({ db, log, getApplication: getById }),
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
