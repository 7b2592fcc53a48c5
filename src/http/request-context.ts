import type { Context, Next } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Log, RequestLine } from '../platform/log.js';
import { isUuid } from '../platform/ids.js';
import { runInRequestScope } from '../platform/request-scope.js';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/**
 * Assigns the request id (incoming UUID reused) and writes one line per request. Below the configured
 * level nothing of the line is built, not even its clock reading. Lines written later name the request
 * with `requestId` (ctx.state.requestId); there is no per-request child logger, whose bindings pino
 * would serialize on every request. The rest of the request runs in a request scope
 * (platform/request-scope.ts) that remembers the request's own repeated reads.
 */
export function requestContext(log: Log) {
  const isLogged = (path: string) => log.isLevelEnabled(PROBES.has(path) ? 'debug' : 'info');
  return async function context(ctx: Context, next: Next) {
    const started = isLogged(ctx.path) ? process.hrtime.bigint() : undefined;
    const incoming = ctx.get('X-Request-Id');
    const requestId = incoming && isUuid(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await runInRequestScope(next);
    } finally {
      if (started !== undefined) {
        const line: RequestLine = {
          requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
          ...(ctx.state.orgSlug ? { org: ctx.state.orgSlug as string } : {}),
        };
        // Probes run every few seconds; keep them out of the info stream.
        if (PROBES.has(ctx.path)) log.debug(line, 'http.request');
        else log.info(line, 'http.request');
      }
    }
  };
}
