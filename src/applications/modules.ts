import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import { slugCandidates, validateSlug } from '../organizations/index.js';
import { createModuleRepo } from './module-repo.js';
import { invalidSlug, moduleInvalidTransition, moduleNotFound } from './errors.js';
import { CreateModuleInput, UpdateModuleInput, parseInput, type Application, type Module } from './schema.js';

interface ModuleOperationsDeps {
  db: Db;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** Throws `application_not_found`. */
  getApplication(id: string): Promise<Application>;
  /** The application (id or slug) locked for a change by this actor: `porta-admin` only for super admins. */
  loadWritable(actor: Actor, idOrSlug: string): Promise<Application>;
}

const MAX_DERIVED_SLUG_ATTEMPTS = 1000;

/** Module methods of the application service: reads take the application id, writes the actor and then the application id or slug. */
export function createModuleOperations({ db, log, audit, getApplication, loadWritable }: ModuleOperationsDeps) {
  const repo = createModuleRepo(db);

  /** Every module change needs `app:update` on its application. */
  async function writableApplication(actor: Actor, appIdOrSlug: string): Promise<Application> {
    authorize(actor, 'admin:app:update');
    return loadWritable(actor, appIdOrSlug);
  }

  const record = (actor: Actor, mod: Module, eventType: string, metadata: Record<string, unknown> = {}) =>
    audit.record(actor, { eventType, targetType: 'module', targetId: mod.id, metadata: { applicationId: mod.applicationId, ...metadata } });

  async function insertWithDerivedSlug(applicationId: string, name: string, description: string | null): Promise<Module> {
    let attempts = 0;
    for (const slug of slugCandidates(name, 'module', { allowReserved: true })) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(applicationId, slug)) continue;
      try {
        // A savepoint: the use case's transaction survives a lost race for the slug.
        return await db.transaction(() => repo.insert(applicationId, { name, slug, description }));
      } catch (err) {
        if (err instanceof AppError && err.code === 'module_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'module_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  return {
    async createModule(actor: Actor, appIdOrSlug: string, input: CreateModuleInput): Promise<Module> {
      const parsed = parseInput(CreateModuleInput, input);
      if (parsed.slug !== undefined) assertSlug(parsed.slug);
      const description = parsed.description ?? null;
      const created = await db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const mod = parsed.slug === undefined
          ? await insertWithDerivedSlug(app.id, parsed.name, description)
          : await repo.insert(app.id, { name: parsed.name, slug: parsed.slug, description });
        await record(actor, mod, 'module.created', { name: mod.name, slug: mod.slug });
        return mod;
      });
      log.info({ applicationId: created.applicationId, moduleId: created.id, slug: created.slug }, 'application.module_created');
      return created;
    },

    /** Throws `application_not_found` for an unknown application. */
    async listModules(applicationId: string): Promise<Module[]> {
      await getApplication(applicationId);
      return repo.list(applicationId);
    },

    async findModuleById(applicationId: string, moduleId: string): Promise<Module | null> {
      if (!isUuid(applicationId) || !isUuid(moduleId)) return null;
      return repo.findById(applicationId, moduleId);
    },

    async findModuleBySlug(applicationId: string, slug: string): Promise<Module | null> {
      if (!isUuid(applicationId)) return null;
      return repo.findBySlug(applicationId, slug);
    },

    /** Throws `module_not_found` when the module is missing or belongs to another application. */
    async getModule(applicationId: string, moduleId: string): Promise<Module> {
      const found = isUuid(applicationId) && isUuid(moduleId) ? await repo.findById(applicationId, moduleId) : null;
      if (!found) throw moduleNotFound();
      return found;
    },

    async updateModule(actor: Actor, appIdOrSlug: string, moduleId: string, input: UpdateModuleInput): Promise<Module> {
      const parsed = parseInput(UpdateModuleInput, input);
      if (parsed.slug !== undefined) assertSlug(parsed.slug);
      return db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const updated = isUuid(moduleId) ? await repo.update(app.id, moduleId, parsed) : null;
        if (!updated) throw moduleNotFound();
        await record(actor, updated, 'module.updated', { fields: Object.keys(parsed) });
        return updated;
      });
    },

    /** active → inactive; an inactive module is `invalid_transition`. */
    async deactivateModule(actor: Actor, appIdOrSlug: string, moduleId: string): Promise<Module> {
      const updated = await db.transaction(async () => {
        const app = await writableApplication(actor, appIdOrSlug);
        const current = isUuid(moduleId) ? await repo.findById(app.id, moduleId) : null;
        if (!current) throw moduleNotFound();
        if (current.status !== 'active') throw moduleInvalidTransition(current.status, 'inactive');
        const mod = await repo.transition(app.id, moduleId, 'active', 'inactive');
        if (!mod) throw moduleInvalidTransition('inactive', 'inactive');
        await record(actor, mod, 'module.deactivated');
        return mod;
      });
      log.info({ applicationId: updated.applicationId, moduleId }, 'application.module_deactivated');
      return updated;
    },
  };
}

function assertSlug(slug: string): void {
  if (!validateSlug(slug, { allowReserved: true }).isValid) throw invalidSlug(slug);
}
