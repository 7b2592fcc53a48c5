import type { DatabaseConfig } from '../../config/index.js';
import type { Db } from './types.js';
import { createPostgresDb } from './postgres.js';
import { createEmbeddedDb } from './embedded.js';
import { acquireDataDirLock, type LockPurpose } from './lock.js';

export type { Db, Queryable, QueryResult } from './types.js';
export { afterCommit, isInTransaction } from './scope.js';
export { createPostgresDb } from './postgres.js';
export { createEmbeddedDb } from './embedded.js';
export { timeDb, statementKind } from './timed.js';
export { prepared } from './prepared.js';
export { acquireDataDirLock, DataDirLockedError, type LockPurpose } from './lock.js';
export {
  createMigrator, readMigrations, parseMigration, DEFAULT_MIGRATIONS_DIR,
  type Migrator, type Migration, type MigrationStatus, type MigrationSource, type MigratorOptions,
} from './migrator.js';
export {
  describeMissing, GrantIncompleteError, MigrationPrivilegeError, UnknownRoleError,
  type GrantResult, type MissingPrivilege,
} from './privileges.js';

export interface OpenDbOptions {
  purpose: LockPurpose;
  log?: { warn(obj: object, msg: string): void };
  /** A process that runs a few statements and exits (the CLI): the embedded database starts leaner. */
  isShortLived?: boolean;
}

/** Opens the configured database; the embedded one only after taking its data directory's lock. */
export async function openDb(config: DatabaseConfig, options: OpenDbOptions): Promise<Db> {
  if (config.kind === 'postgres') return createPostgresDb({ url: config.url, log: options.log });
  const lock = acquireDataDirLock(config.lockFile, options.purpose);
  try {
    const db = await createEmbeddedDb({ dataDir: config.dataDir, log: options.log, isShortLived: options.isShortLived });
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
