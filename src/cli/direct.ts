import { openDb, createMigrator, type Db, type Migrator } from '../platform/db/index.js';
import { DataDirLockedError } from '../platform/db/lock.js';
import { createLog } from '../platform/log.js';
import { CliError, EXIT } from './context.js';
import type { Config } from '../config/index.js';

/** Opens the database for a direct-mode command; the embedded one fails at once while a server holds it. */
export async function withDirectDb<T>(config: Readonly<Config>, fn: (db: Db, migrator: Migrator) => Promise<T>): Promise<T> {
  const log = createLog({ env: config.env === 'test' ? 'test' : 'production', level: config.logLevel, destination: process.stderr });
  let db: Db;
  try {
    db = await openDb(config.database, { purpose: 'cli', log });
  } catch (err) {
    if (err instanceof DataDirLockedError) throw new CliError(`${err.message}`, EXIT.runtime);
    throw err;
  }
  try {
    return await fn(db, createMigrator(db));
  } finally {
    await db.close();
  }
}
