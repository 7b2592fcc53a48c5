import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import type { AuditService } from '../audit/index.js';
import { createJsonCache } from '../platform/cache.js';
import { createLocalCache } from '../platform/local-cache.js';
import { isUuid } from '../platform/ids.js';
import type { KeysetPage, KeysetWindow } from '../platform/db/keyset.js';
import { createOrganizationRepo } from './repo.js';
import { organizationNotFound } from './errors.js';
import { ListOrganizationsQuery, parseInput, type Organization, type Page } from './schema.js';
import { validateSlug } from './slug.js';
import { createOrganizationWrites } from './writes.js';

export type { OrganizationPrecondition, OrganizationStatusChange, OrganizationTransition } from './writes.js';

export interface OrganizationServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** `config.smtp.host` is set (issue 9 item 10); without it only `password` counts as usable. */
  isMailConfigured?: boolean;
}

export interface SlugAvailability {
  slug: string;
  isValid: boolean;
  reason?: 'format' | 'reserved' | 'taken';
}

/** Spec 10 §1: slug resolution is cached 300 s and dropped on every write. */
const CACHE_TTL_SECONDS = 300;

const idKey = (id: string) => `cache:org:id:${id}`;
const slugKey = (slug: string) => `cache:org:slug:${slug}`;
/** Bumped after every organization write: every process drops its copies within about a second. */
export const ORGANIZATIONS_VERSION_KEY = 'cache:orgs:version';
/** Organizations kept per process, by slug and by id: ten thousand organizations fit twice over. */
const LOCAL_ENTRIES = 50_000;
const LOOKUP_SLUG = /^[a-z0-9-]{1,100}$/;
const OrganizationSearchQuery = ListOrganizationsQuery.pick({ status: true, search: true, sort: true });

export function createOrganizationService({ db, kv, clock, log, audit, isMailConfigured = false }: OrganizationServiceDeps) {
  const repo = createOrganizationRepo(db);
  const cache = createJsonCache(kv, log);
  // Every request under /{org} resolves its organization: a per-process copy in front of the shared cache,
  // so the lookup costs no round trip; a write anywhere moves the shared counter (one read a second per process).
  // Kept up to the spec's 300 s when the counter cannot be read; with thousands of organizations a
  // shorter age would drop a copy before its organization's next request comes round.
  const local = createLocalCache<Organization>({
    kv, clock, log, counterKey: ORGANIZATIONS_VERSION_KEY, name: 'organizations', maxEntries: LOCAL_ENTRIES, maxAgeMs: CACHE_TTL_SECONDS * 1000,
  });

  async function invalidate(id: string, ...slugs: string[]): Promise<void> {
    await cache.delete(idKey(id), ...[...new Set(slugs)].map(slugKey));
    await local.invalidate();
  }

  const service = {
    async findById(id: string): Promise<Organization | null> {
      if (!isUuid(id)) return null;
      return local.get(`id:${id}`, () => cache.getOrLoad(idKey(id), CACHE_TTL_SECONDS, () => repo.findById(id)));
    },

    /** Spec 10 §1 tenant resolution: every request under `/{org}`. */
    async findBySlug(slug: string): Promise<Organization | null> {
      if (!LOOKUP_SLUG.test(slug)) return null;
      return local.get(`slug:${slug}`, () => cache.getOrLoad(slugKey(slug), CACHE_TTL_SECONDS, () => repo.findBySlug(slug)));
    },

    /** A UUID is looked up as an id, anything else as a slug. */
    async findByIdOrSlug(idOrSlug: string): Promise<Organization | null> {
      return isUuid(idOrSlug) ? service.findById(idOrSlug) : service.findBySlug(idOrSlug);
    },

    async getById(id: string): Promise<Organization> {
      return (await service.findById(id)) ?? throwNotFound();
    },

    async getBySlug(slug: string): Promise<Organization> {
      return (await service.findBySlug(slug)) ?? throwNotFound();
    },

    async getByIdOrSlug(idOrSlug: string): Promise<Organization> {
      return (await service.findByIdOrSlug(idOrSlug)) ?? throwNotFound();
    },

    /** Every Admin API request's token lookup; held like the others. */
    async getSuperAdmin(): Promise<Organization> {
      return (await local.get('super-admin', () => repo.findSuperAdmin())) ?? throwNotFound();
    },

    /** For the validate-slug route: format, reserved list, then whether an organization holds it. */
    async checkSlug(slug: string): Promise<SlugAvailability> {
      const check = validateSlug(slug);
      if (!check.isValid) return { slug, isValid: false, reason: check.reason };
      if (await repo.isSlugTaken(slug)) return { slug, isValid: false, reason: 'taken' };
      return { slug, isValid: true };
    },

    async list(query: ListOrganizationsQuery = {}): Promise<Page<Organization>> {
      const q = parseInput(ListOrganizationsQuery, query);
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
    async listKeyset(query: Pick<ListOrganizationsQuery, 'status' | 'search' | 'sort'>, window: KeysetWindow): Promise<KeysetPage<Organization>> {
      const q = parseInput(OrganizationSearchQuery, query);
      return repo.listKeyset({ status: q.status, search: q.search || undefined, sort: q.sort }, window);
    },

    /** Drops the cached lookups of an organization by id and slug. */
    forget: (org: Pick<Organization, 'id' | 'slug'>): Promise<void> => invalidate(org.id, org.slug),

    ...createOrganizationWrites({ db, log, repo, audit, isMailConfigured, invalidate }),
  };
  return service;
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;

function throwNotFound(): never {
  throw organizationNotFound();
}
