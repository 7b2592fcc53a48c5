import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createApplicationService } from '../applications/index.js';
import { createClientService, type ClientType } from '../clients/index.js';
import { createOrganizationService } from '../organizations/index.js';
import { createUserService, type PasswordHasher } from '../users/index.js';
import { createDeferredKv, transactionBoundDb, withoutWrites } from './transaction.js';
import { validateProvisioningFile } from './validate.js';
import { runProvisioning, type ProvisioningServices } from './run.js';
import type { ProvisioningFile, ProvisionMode } from './schema.js';

export interface ProvisioningServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  passwords: PasswordHasher;
}

export type ProvisionObjectType = 'organization' | 'application' | 'module' | 'client' | 'user';
export type ProvisionAction = 'created' | 'updated' | 'skipped';

/** One object of the file and what the run did with it (file order within each type). */
export interface ProvisionEntry {
  action: ProvisionAction;
  type: ProvisionObjectType;
  /** slug, e-mail or client_id */
  key: string;
  name: string;
  /** null for an object a dry run would create */
  id: string | null;
  /** where in the file */
  path: string;
  organizationSlug?: string;
  applicationSlug?: string;
  /** updated: the file's fields that differed */
  changes?: string[];
  /** skipped: kept as it is (`merge`) or already equal to the file (`overwrite`) */
  reason?: 'exists' | 'unchanged';
}

/** One per client of the file, in file order (admin API 20 §5.9 `credentials`). */
export interface ProvisionCredential {
  path: string;
  organizationSlug: string;
  applicationSlug: string;
  clientName: string;
  /** null only in a dry run, for a client that would be created without a given client_id */
  clientId: string | null;
  clientType: ClientType;
  /** A secret this run generated (shown once), or the file's `secret.value` (30-cli §7). */
  secretPlaintext?: string;
  secretId?: string;
  secretLabel?: string | null;
  secretExpiresAt?: string | null;
}

export interface ProvisionResult {
  mode: ProvisionMode;
  isDryRun: boolean;
  entries: ProvisionEntry[];
  credentials: ProvisionCredential[];
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

/** Applies a provisioning file (30-cli §7) through the domain services, in one transaction. */
export function createProvisioningService({ db, kv, clock, log, passwords }: ProvisioningServiceDeps) {
  // Services built on the transaction, so that everything they write commits or rolls back together.
  function servicesOn(scoped: Db, cacheKv: Kv): ProvisioningServices {
    return {
      organizations: createOrganizationService({ db: scoped, kv: cacheKv, clock, log }),
      applications: createApplicationService({ db: scoped, kv: cacheKv, clock, log }),
      clients: createClientService({ db: scoped, kv: cacheKv, clock, log, passwords }),
      secretChecks: createClientService({ db: withoutWrites(scoped), kv: cacheKv, clock, log, passwords }),
      // Lockout settings are read only when authenticating, which provisioning never does.
      users: createUserService({ db: scoped, clock, log, passwords, settings: { getNumber: async () => Number.NaN } }),
    };
  }

  return {
    /** Throws `invalid_provisioning_file` listing every problem with its path. */
    validate: (input: unknown): ProvisioningFile => validateProvisioningFile(input, { now: new Date(clock.now()) }),

    /**
     * Creates what is missing; `overwrite` also updates what differs. Any failure (`import_failed`, with
     * the entry's path) rolls the whole file back. Running the same file again in `merge` changes nothing.
     */
    async apply(file: ProvisioningFile, options: ProvisionOptions = {}): Promise<ProvisionResult> {
      const mode = options.mode ?? 'merge';
      const isDryRun = options.isDryRun ?? false;
      const cacheKv = createDeferredKv(kv, clock);
      let result: ProvisionResult;
      try {
        result = await db.transaction(async (tx) => {
          const services = servicesOn(transactionBoundDb(tx, db.kind), cacheKv);
          const done = await runProvisioning(services, file, { mode, isDryRun, now: clock.now() });
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
    },
  };
}

export type ProvisioningService = ReturnType<typeof createProvisioningService>;
