import type { Context, Next } from 'koa';
import { describeMissing, type Migrator } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';

export interface SchemaState {
  /** No pending migration and no missing privilege: Porta may use the schema. */
  isCurrent(): boolean;
  pending(): string[];
  /** Privileges the connected role lacks, one entry per object: `users: INSERT, UPDATE`, `schema public: USAGE`. */
  missingPrivileges(): string[];
  /** Re-reads the migration status and privileges now. */
  refresh(): Promise<void>;
  stop(): void;
}

const OPEN_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * Spec 00 "First run" and spec 50 §5: Porta keeps running with pending migrations or missing privileges
 * (so `porta migrate up` can be run) and re-checks both every `intervalMs` for as long as it runs, so
 * `/ready` and the gate follow a schema that falls behind (a newer migration file, a rolled-back row) or
 * catches up, without a restart. Each check is two catalog-and-journal queries; requests read the result.
 */
export async function watchSchema(migrator: Migrator, log: Log, intervalMs = 10_000): Promise<SchemaState> {
  let pending: string[] = [];
  let missing: string[] = [];
  let isFailing = false;
  let inFlight: Promise<void> | undefined;
  // Overlapping calls (the timer and an explicit refresh) share one check.
  const refresh = (): Promise<void> =>
    (inFlight ??= (async () => {
      try {
        // Privileges first: a role that may not read pgmigrations still learns which privilege it lacks.
        updatePrivileges(describeMissing(await migrator.missingPrivileges()));
        updatePending((await migrator.status()).pending);
        if (isFailing) log.info('schema.check_recovered');
        isFailing = false;
      } catch (err) {
        // The last known state stands; an outage is logged once, not every interval.
        if (!isFailing) log.warn({ err }, 'schema.check_failed');
        isFailing = true;
      } finally {
        inFlight = undefined;
      }
    })());
  const updatePrivileges = (now: string[]) => {
    if (now.join() !== missing.join()) {
      if (now.length > 0) {
        log.error(
          { missingPrivileges: now },
          `schema.privileges_missing: the database role lacks ${now.join('; ')}; run \`porta migrate up\` (with PORTA_APP_ROLE) or \`porta db grant\` as the migration role`,
        );
      } else {
        log.info('schema.privileges_complete');
      }
    }
    missing = now;
  };
  const updatePending = (now: string[]) => {
    if (now.join() !== pending.join()) {
      if (now.length > 0) log.warn({ pendingMigrations: now }, 'schema.outdated: run `porta migrate up`');
      else log.info('schema.current');
    }
    pending = now;
  };
  await refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return {
    isCurrent: () => pending.length === 0 && missing.length === 0,
    pending: () => [...pending],
    missingPrivileges: () => [...missing],
    refresh,
    stop: () => clearInterval(timer),
  };
}

export function schemaGate(schema: SchemaState) {
  return async function gate(ctx: Context, next: Next) {
    if (!schema.isCurrent() && !OPEN_PATHS.has(ctx.path)) {
      if (schema.pending().length > 0) {
        throw new AppError('unavailable', 'schema_outdated', 'The database schema is out of date. An operator must run `porta migrate up`.');
      }
      throw new AppError(
        'unavailable',
        'database_privileges_missing',
        'The database role lacks privileges on the schema. An operator must run `porta migrate up` or `porta db grant`.',
      );
    }
    await next();
  };
}
