import { openDb, createMigrator, DataDirLockedError, type Db, type Migrator } from '../platform/db/index.js';
import { createKv, type Kv } from '../platform/kv/index.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { createLog, type Log } from '../platform/log.js';
import { createServices, type Services } from '../services.js';
import { CliError, EXIT } from './context.js';
import type { Config } from '../config/index.js';

function cliLog(config: Readonly<Config>): Log {
  return createLog({ env: config.env === 'test' ? 'test' : 'production', level: config.logLevel, destination: process.stderr });
}

/** Opens the database for a direct-mode command; the embedded one fails at once while a server holds it. */
export async function withDirectDb<T>(config: Readonly<Config>, fn: (db: Db, migrator: Migrator) => Promise<T>): Promise<T> {
  const log = cliLog(config);
  let db: Db;
  try {
    db = await openDb(config.database, { purpose: 'cli', log, isShortLived: true });
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

export interface DirectStores {
  config: Readonly<Config>;
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
}

/**
 * The database (with a current schema) and the configured Kv, for commands that build their own services.
 * Like the server, it applies pending migrations to the embedded database (or with AUTO_MIGRATE).
 */
export async function withDirectStores<T>(config: Readonly<Config>, fn: (stores: DirectStores) => Promise<T>): Promise<T> {
  return withDirectDb(config, async (db, migrator) => {
    if (config.database.kind === 'embedded' || config.autoMigrate) await migrator.up();
    const { pending } = await migrator.status();
    if (pending.length > 0) {
      throw new CliError(`The database schema is not current (${pending.length} pending migration(s)): run \`porta migrate up\` first.`, EXIT.runtime);
    }
    const log = cliLog(config);
    const kv = createKv(config.kv, { clock: systemClock, log });
    try {
      return await fn({ config, db, kv, clock: systemClock, log });
    } finally {
      await kv.close();
    }
  });
}

/** Every domain service, built as the server builds them (`createServices`), for a direct-mode command. */
export async function withDirectServices<T>(config: Readonly<Config>, fn: (services: Services, stores: DirectStores) => Promise<T>): Promise<T> {
  return withDirectStores(config, async (stores) => {
    const services = await createServices({ ...stores, isSchemaCurrent: () => true });
    try {
      return await fn(services, stores);
    } finally {
      services.stop();
    }
  });
}
