import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createApplicationService } from '../applications/index.js';
import { createClientService } from '../clients/index.js';
import { createOrganizationService } from '../organizations/index.js';
import { createSystemConfigService } from '../system-config/index.js';
import { createUserService, type PasswordHasher } from '../users/index.js';
import { importFailed, type ProvisioningFailure } from './errors.js';
import type { ImportManifest } from './manifest.js';
import { fileFieldName, manifestOfFile } from './nested.js';
import { createRbacService } from '../rbac/index.js';
import { runManifest, type ProvisioningServices } from './run.js';
import type { ProvisioningFile, ProvisionMode } from './schema.js';
import { createDeferredKv, transactionBoundDb, withoutWrites, withSavepoint } from './transaction.js';
import type { ProvisionResult } from './types.js';
import { validateImportManifest, validateProvisioningFile } from './validate.js';

export type { ProvisionAction, ProvisionCredential, ProvisionEntry, ProvisionObjectType, ProvisionResult } from './types.js';

export interface ProvisioningServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  passwords: PasswordHasher;
}

export interface ProvisionOptions {
  mode?: ProvisionMode;
  /** Runs everything, then rolls it back: the result tells what would happen. */
  isDryRun?: boolean;
  /** The admin running the import (`assigned_by` of role assignments). */
  actorId?: string | null;
}

class DryRunRollback extends Error {
  constructor(readonly result: ProvisionResult) {
    super('dry run');
  }
}

/** Applies import manifests (admin API 20 §5.9, 30-cli §7) through the domain services, in one transaction. */
export function createProvisioningService({ db, kv, clock, log, passwords }: ProvisioningServiceDeps) {
  // Services built on the transaction, so that everything they write commits or rolls back together.
  function servicesOn(scoped: Db, cacheKv: Kv): ProvisioningServices {
    const organizations = createOrganizationService({ db: scoped, kv: cacheKv, clock, log });
    const applications = createApplicationService({ db: scoped, kv: cacheKv, clock, log });
    const systemConfig = createSystemConfigService({ db: scoped, kv: cacheKv, clock, log });
    // Lockout settings are read only when authenticating, which provisioning never does.
    const users = createUserService({ db: scoped, clock, log, passwords, settings: { getNumber: async () => Number.NaN } });
    return {
      organizations,
      applications,
      clients: createClientService({ db: scoped, kv: cacheKv, clock, log, passwords }),
      secretChecks: createClientService({ db: withoutWrites(scoped), kv: cacheKv, clock, log, passwords }),
      users,
      systemConfig,
      rbac: createRbacService({ db: scoped, kv: cacheKv, clock, log, applications, users, organizations, systemConfig }),
    };
  }

  async function importManifest(manifest: ImportManifest, options: ProvisionOptions = {}): Promise<ProvisionResult> {
    const mode = options.mode ?? 'merge';
    const isDryRun = options.isDryRun ?? false;
    const cacheKv = createDeferredKv(kv, clock);
    let result: ProvisionResult;
    try {
      result = await db.transaction(async (tx) => {
        let savepoints = 0;
        const done = await runManifest(servicesOn(transactionBoundDb(tx, db.kind), cacheKv), manifest, {
          mode, isDryRun, now: clock.now(), actorId: options.actorId ?? null,
          isolate: (fn) => withSavepoint(tx, `porta_import_${++savepoints}`, fn),
        });
        if (isDryRun) throw new DryRunRollback(done);
        return done;
      });
    } catch (err) {
      await cacheKv.close();
      if (err instanceof DryRunRollback) return err.result;
      throw err;
    }
    try {
      await cacheKv.flush();
    } catch (err) {
      log.warn({ err }, 'provisioning.cache_invalidate_failed');
    }
    const counts = { created: 0, updated: 0, skipped: 0 };
    for (const e of result.entries) counts[e.action]++;
    log.info({ mode, ...counts }, 'provisioning.applied');
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
    async apply(file: ProvisioningFile, options: ProvisionOptions = {}): Promise<ProvisionResult> {
      const { manifest, filePaths } = manifestOfFile(file, clock.now());
      const inFile = (path: string) => filePaths.get(path) ?? path;
      let result: ProvisionResult;
      try {
        result = await importManifest(manifest, options);
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
