import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import type { Log } from '../platform/log.js';
import { importFailed, type ProvisioningFailure } from './errors.js';
import type { ImportManifest } from './manifest.js';
import { fileFieldName, manifestOfFile } from './nested.js';
import { runManifest, type ProvisioningServices } from './run.js';
import type { ProvisioningFile, ProvisionMode } from './schema.js';
import type { ProvisionResult } from './types.js';
import { validateImportManifest, validateProvisioningFile } from './validate.js';

export type { ProvisionAction, ProvisionCredential, ProvisionEntry, ProvisionObjectType, ProvisionResult } from './types.js';

export interface ProvisioningServiceDeps extends ProvisioningServices {
  audit: Pick<AuditService, 'record'>;
  db: Db;
  clock: Clock;
  log: Log;
}

export interface ProvisionOptions {
  mode?: ProvisionMode;
  /** Runs everything, then rolls it back: the result tells what would happen. */
  isDryRun?: boolean;
}

class DryRunRollback extends Error {
  constructor(readonly result: ProvisionResult) {
    super('dry run');
  }
}

/**
 * Applies import manifests (admin API 20 §5.9, 30-cli §7) through the domain use cases, in one
 * transaction: each entry is the importing actor's use case (source `import`) in a savepoint of its own,
 * with the same rules and audit event as the single endpoint.
 */
export function createProvisioningService(deps: ProvisioningServiceDeps) {
  const { db, clock, log } = deps;
  const services: ProvisioningServices = deps;

  const countsOf = (result: ProvisionResult) => {
    const counts = { created: 0, updated: 0, skipped: 0 };
    for (const e of result.entries) counts[e.action]++;
    return counts;
  };

  const recordImport = (actor: Actor, mode: string, result: ProvisionResult) =>
    deps.audit.record(actor, { eventType: 'import.completed', metadata: { mode, ...countsOf(result) } });

  async function importManifest(actor: Actor, manifest: ImportManifest, options: ProvisionOptions = {}): Promise<ProvisionResult> {
    authorize(actor, 'admin:import:write');
    const mode = options.mode ?? 'merge';
    const isDryRun = options.isDryRun ?? false;
    let result: ProvisionResult;
    try {
      result = await db.transaction(async () => {
        const done = await runManifest(services, manifest, {
          mode, isDryRun, now: clock.now(), actor,
          // A savepoint: a refused entry undoes only its own writes and the run goes on to report every error.
          isolate: (fn) => db.transaction(fn),
        });
        if (isDryRun) throw new DryRunRollback(done);
        await recordImport(actor, mode, done);
        return done;
      });
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
      // Everything the dry run did is rolled back; that it ran is still on record.
      await db.transaction(() => recordImport(actor, 'dry-run', err.result));
      return err.result;
    }
    log.info({ mode, ...countsOf(result) }, 'provisioning.applied');
    return result;
  }

  return {
    /** A `porta provision` file; throws `invalid_provisioning_file` listing every problem with its path. */
    validate: (input: unknown): ProvisioningFile => validateProvisioningFile(input, { now: new Date(clock.now()) }),

    /** A flat import manifest; throws `validation_failed` listing every problem with its path in the manifest. */
    validateManifest: (input: unknown): ImportManifest => validateImportManifest(input, { now: new Date(clock.now()) }),

    /**
     * Creates what is missing; `overwrite` also updates what differs. Any failure (`import_failed`, listing
     * every refused entry) rolls the whole manifest back. Running the same manifest again in `merge` changes nothing.
     */
    importManifest,

    /** A provisioning file, run as its manifest; paths and field names in the result are the file's. */
    async apply(actor: Actor, file: ProvisioningFile, options: ProvisionOptions = {}): Promise<ProvisionResult> {
      const { manifest, filePaths } = manifestOfFile(file, clock.now());
      const inFile = (path: string) => filePaths.get(path) ?? path;
      let result: ProvisionResult;
      try {
        result = await importManifest(actor, manifest, options);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'import_failed') throw err;
        throw importFailed((err.details as ProvisioningFailure[]).map((f) => ({ ...f, path: inFile(f.path) })));
      }
      return {
        ...result,
        entries: result.entries.map((e) => ({ ...e, path: inFile(e.path), ...(e.changes ? { changes: e.changes.map(fileFieldName) } : {}) })),
        credentials: result.credentials.map((c) => ({ ...c, path: inFile(c.path) })),
      };
    },
  };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
