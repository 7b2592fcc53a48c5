import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { createJsonCache } from '../platform/cache.js';
import { isUuid } from '../platform/ids.js';
import type { KeysetPage, KeysetWindow } from '../platform/db/keyset.js';
import { createOrganizationRepo, type OrganizationFields } from './repo.js';
import {
  invalidSlug,
  invalidTransition,
  organizationNotFound,
  slugReserved,
  superAdminProtected,
} from './errors.js';
import {
  BrandingInput,
  CreateOrganizationInput,
  ListOrganizationsQuery,
  UpdateOrganizationInput,
  parseInput,
  type Branding,
  type Organization,
  type OrganizationStatus,
  type Page,
} from './schema.js';
import { slugCandidates, validateSlug } from './slug.js';

export interface OrganizationServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
}

export interface OrganizationStatusChange {
  organization: Organization;
  previousStatus: OrganizationStatus;
}

export interface SlugAvailability {
  slug: string;
  isValid: boolean;
  reason?: 'format' | 'reserved' | 'taken';
}

/** Spec 10 §1: slug resolution is cached 300 s and dropped on every write. */
const CACHE_TTL_SECONDS = 300;
const MAX_DERIVED_SLUG_ATTEMPTS = 1000;

const TRANSITIONS = {
  suspend: { from: ['active'], to: 'suspended' },
  activate: { from: ['suspended'], to: 'active' },
  archive: { from: ['active', 'suspended'], to: 'archived' },
  restore: { from: ['archived'], to: 'active' },
} as const satisfies Record<string, { from: readonly OrganizationStatus[]; to: OrganizationStatus }>;

type TransitionName = keyof typeof TRANSITIONS;

const idKey = (id: string) => `porta:cache:org:id:${id}`;
const slugKey = (slug: string) => `porta:cache:org:slug:${slug}`;
const LOOKUP_SLUG = /^[a-z0-9-]{1,100}$/;
const OrganizationSearchQuery = ListOrganizationsQuery.pick({ status: true, search: true, sort: true });

export function createOrganizationService({ db, kv, log }: OrganizationServiceDeps) {
  const repo = createOrganizationRepo(db);
  const cache = createJsonCache(kv, log);

  async function invalidate(id: string, ...slugs: string[]): Promise<void> {
    await cache.delete(idKey(id), ...[...new Set(slugs)].map(slugKey));
  }

  function assertSlug(slug: string): void {
    const check = validateSlug(slug);
    if (!check.isValid) throw check.reason === 'reserved' ? slugReserved(slug) : invalidSlug(slug);
  }

  async function insertWithDerivedSlug(fields: Omit<OrganizationFields, 'slug'>): Promise<Organization> {
    let attempts = 0;
    for (const slug of slugCandidates(fields.name, 'organization')) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(slug)) continue;
      try {
        return await repo.insert({ ...fields, slug });
      } catch (err) {
        // Another request took the slug between the check and the insert: try the next one.
        if (err instanceof AppError && err.code === 'organization_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'organization_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  async function loadForWrite(id: string): Promise<Organization> {
    const current = isUuid(id) ? await repo.findById(id) : null;
    if (!current) throw organizationNotFound();
    return current;
  }

  async function move(id: string, name: TransitionName): Promise<OrganizationStatusChange> {
    const { from, to } = TRANSITIONS[name];
    const current = await loadForWrite(id);
    if (current.isSuperAdmin && name !== 'activate') throw superAdminProtected();
    if (!(from as readonly OrganizationStatus[]).includes(current.status)) throw invalidTransition(current.status, to);
    const updated = await repo.transition(id, from, to);
    await invalidate(id, current.slug);
    if (!updated) {
      const now = await loadForWrite(id);
      throw invalidTransition(now.status, to);
    }
    log.info({ organizationId: id, from: current.status, to }, 'organization.status_changed');
    return { organization: updated, previousStatus: current.status };
  }

  const service = {
    async create(input: CreateOrganizationInput): Promise<Organization> {
      const parsed = parseInput(CreateOrganizationInput, input);
      const fields = {
        name: parsed.name,
        defaultLocale: parsed.defaultLocale,
        defaultLoginMethods: parsed.defaultLoginMethods,
        twoFactorPolicy: parsed.twoFactorPolicy,
        ...fullBranding(parsed.branding),
      };
      let organization: Organization;
      if (parsed.slug === undefined) {
        organization = await insertWithDerivedSlug(fields);
      } else {
        assertSlug(parsed.slug);
        organization = await repo.insert({ ...fields, slug: parsed.slug });
      }
      await invalidate(organization.id, organization.slug);
      log.info({ organizationId: organization.id, slug: organization.slug }, 'organization.created');
      return organization;
    },

    async findById(id: string): Promise<Organization | null> {
      if (!isUuid(id)) return null;
      return cache.getOrLoad(idKey(id), CACHE_TTL_SECONDS, () => repo.findById(id));
    },

    async findBySlug(slug: string): Promise<Organization | null> {
      if (!LOOKUP_SLUG.test(slug)) return null;
      return cache.getOrLoad(slugKey(slug), CACHE_TTL_SECONDS, () => repo.findBySlug(slug));
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

    async getSuperAdmin(): Promise<Organization> {
      return (await repo.findSuperAdmin()) ?? throwNotFound();
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

    async update(id: string, patch: UpdateOrganizationInput): Promise<Organization> {
      const parsed = parseInput(UpdateOrganizationInput, patch);
      const current = await loadForWrite(id);
      if (parsed.slug !== undefined && parsed.slug !== current.slug) assertSlug(parsed.slug);
      const { branding, ...fields } = parsed;
      const updated = await repo.update(id, { ...fields, ...(branding ?? {}) });
      await invalidate(id, current.slug, ...(updated ? [updated.slug] : []));
      return updated ?? throwNotFound();
    },

    /** `null` clears a field; absent fields stay as they are. */
    async updateBranding(id: string, patch: BrandingInput): Promise<Organization> {
      const parsed = parseInput(BrandingInput, patch);
      const current = await loadForWrite(id);
      const updated = await repo.update(id, parsed);
      await invalidate(id, current.slug);
      return updated ?? throwNotFound();
    },

    /** Drops the cached lookups of an organization by id and slug. */
    forget: (org: Pick<Organization, 'id' | 'slug'>): Promise<void> => invalidate(org.id, org.slug),

    /** active → suspended. */
    suspend: (id: string) => move(id, 'suspend'),
    /** suspended → active. */
    activate: (id: string) => move(id, 'activate'),
    /** active | suspended → archived. */
    archive: (id: string) => move(id, 'archive'),
    /** archived → active. */
    restore: (id: string) => move(id, 'restore'),
  };
  return service;
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;

function throwNotFound(): never {
  throw organizationNotFound();
}

function fullBranding(input: BrandingInput): Branding {
  return {
    logoUrl: input.logoUrl ?? null,
    faviconUrl: input.faviconUrl ?? null,
    primaryColor: input.primaryColor ?? null,
    companyName: input.companyName ?? null,
    customCss: input.customCss ?? null,
  };
}
