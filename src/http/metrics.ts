import type { Context, Next } from 'koa';
import { Registry, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  middleware: (ctx: Context, next: Next) => Promise<void>;
}

/** One registry per app, so several apps in one process (tests) never share counters. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'status_code', 'path'] as const;
  const requests = new Counter({ name: 'porta_http_requests_total', help: 'Total HTTP requests', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'porta_http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    async middleware(ctx, next) {
      const end = duration.startTimer();
      try {
        await next();
      } finally {
        // The route template, never the raw URL: raw paths would explode label cardinality.
        const labels = { method: ctx.method, status_code: String(ctx.status), path: routeTemplate(ctx) };
        requests.inc(labels);
        end(labels);
      }
    },
  };
}

function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute ?? ctx.state.routeTemplate;
  return typeof matched === 'string' && matched !== '' ? matched : 'unmatched';
}
