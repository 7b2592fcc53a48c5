import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isUuid } from '../platform/ids.js';
import type { Log, RequestLine } from '../platform/log.js';
import type { Organization } from './types.js';
import { matchesTag, type PublicDocument, type PublicDocumentKind } from './public-document.js';

const SLUG = '([a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))';
/**
 * The documents' canonical locations as clients request them: exact, lowercase, no trailing slash and
 * no query, so the URL check, the body reader and the route dispatch of the middleware chain could not
 * have answered otherwise. Every other spelling goes through Koa.
 */
const CANONICAL = new RegExp(`^/(?:${SLUG}/(?:\\.well-known/(?:openid-configuration|oauth-authorization-server)|auth/(jwks))|\\.well-known/oauth-authorization-server/${SLUG})$`);

export interface ReplayOptions {
  log: Log;
  /**
   * False whenever the middleware chain has per-request work of its own to do: while draining (it adds
   * `Connection: close`), with an outdated schema (503), with metrics or traces on (their middleware).
   */
  isEnabled(): boolean;
}

export type FindRecorded = (slug: string, kind: PublicDocumentKind) => Promise<{ org: Organization; document: PublicDocument } | undefined>;

/**
 * In front of Koa, for the one request that is answered most and changes least: a GET or HEAD of an
 * active organization's discovery or JWKS at its canonical location, without a body, whose document
 * is current and was answered in full by the middleware chain at least once (metadata-cache.ts records
 * the headers of that answer). Such a request gets the recorded answer again: the same headers (the
 * security headers and policy, caching, CORS, the tag) and bytes, its own `X-Request-Id` (an incoming
 * UUID reused) and, at info level, its `http.request` line. Anything else, and any failure, goes to
 * `fallback`, the Koa app, which answers exactly as before.
 */
export function replayListener(find: FindRecorded, fallback: RequestListener, options: ReplayOptions): RequestListener {
  const { log } = options;

  async function replay(req: IncomingMessage, res: ServerResponse, slug: string, kind: PublicDocumentKind): Promise<boolean> {
    const started = log.isLevelEnabled('info') ? process.hrtime.bigint() : undefined;
    const found = await find(slug, kind);
    if (!found?.document.recorded || !options.isEnabled()) return false;
    const { document } = found;
    const recorded = document.recorded!;
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && isUuid(incoming) ? incoming : randomUUID();
    const isUnchanged = matchesTag(req.headers['if-none-match'], document.etag);
    if (isUnchanged) {
      res.writeHead(304, ['X-Request-Id', requestId, ...recorded.notModified]);
      res.end();
    } else {
      // In the order the chain sent them: the request id first, the length last.
      res.writeHead(200, ['X-Request-Id', requestId, ...recorded.ok, 'Content-Length', String(document.length)]);
      if (req.method === 'HEAD') res.end();
      else res.end(document.text);
    }
    if (started !== undefined) {
      const line: RequestLine = {
        requestId, method: req.method!, path: req.url!, status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10, org: found.org.slug,
      };
      log.info(line, 'http.request');
    }
    return true;
  }

  return function publicDocumentsOrKoa(req, res) {
    const match = (req.method === 'GET' || req.method === 'HEAD') && !hasBody(req) ? CANONICAL.exec(req.url ?? '') : null;
    if (!match || !options.isEnabled()) return fallback(req, res);
    const slug = match[1] ?? match[3]!;
    const kind: PublicDocumentKind = match[3] !== undefined || match[2] === undefined ? 'discovery' : 'jwks';
    replay(req, res, slug, kind).then(
      (isAnswered) => {
        if (!isAnswered) fallback(req, res);
      },
      (err: unknown) => {
        // Nothing is written before the last step: Koa answers, unless the failure was in writing.
        if (!res.headersSent) return fallback(req, res);
        log.warn({ err }, 'http.replay_failed');
        res.destroy();
      },
    );
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
