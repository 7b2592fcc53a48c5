import Router from '@koa/router';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { SchemaState } from './schema-gate.js';
import { withTimeout } from '../platform/db/queryable.js';
import type { PrometheusMetrics } from './metrics.js';

const CHECK_TIMEOUT_MS = 2000;

async function check(fn: () => Promise<void>): Promise<'ok' | 'error'> {
  try {
    await withTimeout(fn(), CHECK_TIMEOUT_MS, 'check');
    return 'ok';
  } catch {
    return 'error';
  }
}

export interface HealthDeps {
  db: Db;
  kv: Kv;
  log: Log;
  schema: SchemaState;
  metrics: PrometheusMetrics | undefined;
}

/** Seed 000 / spec 50 §5: liveness, readiness and (optionally) Prometheus metrics. */
export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/health', async (ctx) => {
    const [database, redis] = await Promise.all([check(() => deps.db.ping()), check(() => deps.kv.ping())]);
    const isOk = database === 'ok' && redis === 'ok';
    ctx.status = isOk ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: isOk ? 'ok' : 'error', checks: { database, redis } };
  });
  router.get('/ready', async (ctx) => {
    const [database, redis] = await Promise.all([check(() => deps.db.ping()), check(() => deps.kv.ping())]);
    // The watcher's cached result (spec 50 §5): pending migrations or privileges the role lacks.
    const schema = deps.schema.isCurrent() ? 'ok' : 'error';
    const isReady = database === 'ok' && redis === 'ok' && schema === 'ok';
    if (!isReady) {
      deps.log.warn(
        { checks: { database, redis, schema }, pendingMigrations: deps.schema.pending(), missingPrivileges: deps.schema.missingPrivileges() },
        'ready.degraded',
      );
    }
    ctx.status = isReady ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: isReady ? 'ready' : 'not_ready', checks: { database, redis, schema } };
  });
  if (deps.metrics) {
    const { registry, text } = deps.metrics;
    router.get('/metrics', async (ctx) => {
      try {
        ctx.body = await text();
      } catch (err) {
        // Under a cluster: a worker that did not answer. No figures beat sums that seem to drop.
        deps.log.warn({ err }, 'metrics.unavailable');
        ctx.status = 503;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = 'metrics unavailable\n';
        return;
      }
      ctx.set('Content-Type', registry.contentType);
    });
  }
  return router;
}
