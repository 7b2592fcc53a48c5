import type { Context, Next } from 'koa';
import type { Migrator } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';

export interface SchemaState {
  isCurrent(): boolean;
  pending(): string[];
  /** Re-reads the migration status now. */
  refresh(): Promise<void>;
  stop(): void;
}

const OPEN_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * Spec 00 "First run": with pending migrations on an external database and no auto-migrate, Porta keeps
 * running (so `porta migrate up` can be run) and re-checks every `intervalMs` until the schema is current.
 */
export async function watchSchema(migrator: Migrator, log: Log, intervalMs = 10_000): Promise<SchemaState> {
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    try {
      const status = await migrator.status();
      const was = pending.length;
      pending = status.pending;
      if (pending.length > 0) {
        log.warn({ pendingMigrations: pending }, 'schema.outdated: run `porta migrate up`');
      } else if (was > 0) {
        log.info('schema.current');
      }
    } catch (err) {
      log.warn({ err }, 'schema.check_failed');
    }
    if (pending.length === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  await refresh();
  if (pending.length > 0) {
    timer = setInterval(() => void refresh(), intervalMs);
    timer.unref();
  }
  return {
    isCurrent: () => pending.length === 0,
    pending: () => [...pending],
    refresh,
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export function schemaGate(schema: SchemaState) {
  return async function gate(ctx: Context, next: Next) {
    if (!schema.isCurrent() && !OPEN_PATHS.has(ctx.path)) {
      throw new AppError('unavailable', 'schema_outdated', 'The database schema is out of date. An operator must run `porta migrate up`.');
    }
    await next();
  };
}
