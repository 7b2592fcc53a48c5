import type { Queryable } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import { slugCandidates, validateSlug } from '../organizations/index.js';
import { createModuleRepo } from './module-repo.js';
import { invalidSlug, moduleInvalidTransition, moduleNotFound } from './errors.js';
import { CreateModuleInput, UpdateModuleInput, parseInput, type Application, type Module } from './schema.js';

interface ModuleOperationsDeps {
  db: Queryable;
  log: Log;
  /** Throws `application_not_found`. */
  getApplication(id: string): Promise<Application>;
}

const MAX_DERIVED_SLUG_ATTEMPTS = 1000;

/** Module methods of the application service; each takes the application id first. */
export function createModuleOperations({ db, log, getApplication }: ModuleOperationsDeps) {
  const repo = createModuleRepo(db);

  async function insertWithDerivedSlug(applicationId: string, name: string, description: string | null): Promise<Module> {
    let attempts = 0;
    for (const slug of slugCandidates(name, 'module', { allowReserved: true })) {
      if (++attempts > MAX_DERIVED_SLUG_ATTEMPTS) break;
      if (await repo.isSlugTaken(applicationId, slug)) continue;
      try {
        return await repo.insert(applicationId, { name, slug, description });
      } catch (err) {
        if (err instanceof AppError && err.code === 'module_slug_taken') continue;
        throw err;
      }
    }
    throw new AppError('conflict', 'module_slug_taken', 'No free slug could be derived from the name; pass one.');
  }

  return {
    async createModule(applicationId: string, input: CreateModuleInput): Promise<Module> {
      const parsed = parseInput(CreateModuleInput, input);
      await getApplication(applicationId);
      const description = parsed.description ?? null;
      let created: Module;
      if (parsed.slug === undefined) {
        created = await insertWithDerivedSlug(applicationId, parsed.name, description);
      } else {
        assertSlug(parsed.slug);
        created = await repo.insert(applicationId, { name: parsed.name, slug: parsed.slug, description });
      }
      log.info({ applicationId, moduleId: created.id, slug: created.slug }, 'application.module_created');
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

    async updateModule(applicationId: string, moduleId: string, patch: UpdateModuleInput): Promise<Module> {
      const parsed = parseInput(UpdateModuleInput, patch);
      await getApplication(applicationId);
      if (!isUuid(moduleId)) throw moduleNotFound();
      if (parsed.slug !== undefined) assertSlug(parsed.slug);
      const updated = await repo.update(applicationId, moduleId, parsed);
      if (!updated) throw moduleNotFound();
      return updated;
    },

    /** active → inactive; an inactive module is `invalid_transition`. */
    async deactivateModule(applicationId: string, moduleId: string): Promise<Module> {
      await getApplication(applicationId);
      const current = isUuid(moduleId) ? await repo.findById(applicationId, moduleId) : null;
      if (!current) throw moduleNotFound();
      if (current.status !== 'active') throw moduleInvalidTransition(current.status, 'inactive');
      const updated = await repo.transition(applicationId, moduleId, 'active', 'inactive');
      if (!updated) throw moduleInvalidTransition('inactive', 'inactive');
      log.info({ applicationId, moduleId }, 'application.module_deactivated');
      return updated;
    },
  };
}

function assertSlug(slug: string): void {
  if (!validateSlug(slug, { allowReserved: true }).isValid) throw invalidSlug(slug);
}
