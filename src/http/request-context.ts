import type { Context, Next } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Log } from '../platform/log.js';
import { isUuid } from '../platform/ids.js';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** Assigns the request id (incoming UUID reused), a child logger, and writes one line per request. */
export function requestContext(log: Log) {
  return async function context(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('X-Request-Id');
    const requestId = incoming && isUuid(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        durationMs: Math.round(durationMs * 10) / 10,
        ...(ctx.state.orgSlug ? { org: ctx.state.orgSlug as string } : {}),
      };
      // Probes run every few seconds; keep them out of the info stream.
      if (PROBES.has(ctx.path)) log.debug(line, 'http.request');
      else log.info(line, 'http.request');
    }
  };
}
