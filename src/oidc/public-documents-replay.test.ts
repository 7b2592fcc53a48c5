import http from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLog } from '../platform/log.js';
import type { PublicDocument, PublicDocumentKind } from './public-document.js';
import { replayListener, type FindRecorded } from './public-documents-replay.js';
import type { Organization } from './types.js';

const ETAG = '"tag-of-the-document"';
const TEXT = '{"keys":[]}';
const DOCUMENT: PublicDocument = {
  text: TEXT, length: TEXT.length, contentType: 'application/jwk-set+json; charset=utf-8', etag: ETAG,
  recorded: {
    ok: ['X-Frame-Options', 'DENY', 'Cache-Control', 'public, max-age=300', 'ETag', ETAG, 'Content-Type', 'application/jwk-set+json; charset=utf-8'],
    notModified: ['X-Frame-Options', 'DENY', 'Cache-Control', 'public, max-age=300', 'ETag', ETAG],
  },
};
const ORG = { id: 'org-1', slug: 'acme', status: 'active' } as Organization;

interface Sent {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** One request through the listener; resolves with what it wrote, or 'fallback' when it handed over. */
function call(listener: http.RequestListener, method: string, url: string, headers: Record<string, string> = {}): Promise<Sent | 'fallback'> {
  const req = new http.IncomingMessage(new Socket());
  Object.assign(req, { method, url, headers });
  const res = new http.ServerResponse(req);
  return new Promise((resolve) => {
    res.end = ((chunk?: string) => {
      // The header block as it would go on the wire (writeHead with a list does not fill getHeaders()).
      const block = (res as unknown as { _header: string })._header.split('\r\n').slice(1).filter(Boolean);
      const headers = Object.fromEntries(block.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: res.statusCode, headers, body: chunk ?? '' });
      return res;
    }) as typeof res.end;
    (listener as (req: http.IncomingMessage, res: http.ServerResponse, done: () => void) => void)(req, res, () => resolve('fallback'));
  });
}

function setUp(options: { document?: PublicDocument; isEnabled?: boolean; level?: string } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  const log = createLog({ env: 'production', level: options.level ?? 'warn', destination });
  const asked: Array<[string, PublicDocumentKind]> = [];
  const find: FindRecorded = async (slug, kind) => {
    asked.push([slug, kind]);
    return slug === 'acme' ? { org: ORG, document: options.document ?? DOCUMENT } : undefined;
  };
  let handOver: (() => void) | undefined;
  const fallback = vi.fn(() => handOver?.());
  const inner = replayListener(find, fallback, { log, isEnabled: () => options.isEnabled ?? true });
  const listener = ((req: http.IncomingMessage, res: http.ServerResponse, done: () => void) => {
    handOver = done;
    inner(req, res);
  }) as unknown as http.RequestListener;
  return { listener, fallback, asked, lines };
}

describe('replay of public documents', () => {
  it('answers a canonical GET from the recorded headers and bytes, with its own request id', async () => {
    const { listener, asked } = setUp();
    const sent = await call(listener, 'GET', '/acme/auth/jwks');
    expect(sent).toMatchObject({ status: 200, body: TEXT });
    const { headers } = sent as Sent;
    expect(headers).toMatchObject({ 'x-frame-options': 'DENY', 'cache-control': 'public, max-age=300', etag: ETAG, 'content-type': DOCUMENT.contentType, 'content-length': String(TEXT.length) });
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const incoming = '0b7c3f1e-2a4d-4e5f-8a6b-7c8d9e0f1a2b';
    expect(((await call(listener, 'GET', '/acme/auth/jwks', { 'x-request-id': incoming })) as Sent).headers['x-request-id']).toBe(incoming);
    expect(((await call(listener, 'GET', '/acme/auth/jwks', { 'x-request-id': 'not-a-uuid' })) as Sent).headers['x-request-id']).not.toBe('not-a-uuid');
    await call(listener, 'GET', '/acme/.well-known/openid-configuration');
    await call(listener, 'GET', '/acme/.well-known/oauth-authorization-server');
    await call(listener, 'GET', '/.well-known/oauth-authorization-server/acme');
    expect(asked.slice(-3)).toEqual([['acme', 'discovery'], ['acme', 'discovery'], ['acme', 'discovery']]);
  });

  it('answers HEAD without a body and a matching If-None-Match with 304 and no content headers', async () => {
    const { listener } = setUp();
    expect(await call(listener, 'HEAD', '/acme/auth/jwks')).toMatchObject({ status: 200, body: '', headers: { 'content-length': String(TEXT.length) } });
    for (const condition of [ETAG, `W/${ETAG}`, `"x", ${ETAG}`, '*']) {
      const sent = (await call(listener, 'GET', '/acme/auth/jwks', { 'if-none-match': condition })) as Sent;
      expect(sent).toMatchObject({ status: 304, body: '', headers: { etag: ETAG, 'cache-control': 'public, max-age=300' } });
      expect(sent.headers).not.toHaveProperty('content-type');
    }
    expect(await call(listener, 'GET', '/acme/auth/jwks', { 'if-none-match': '"other"' })).toMatchObject({ status: 200, body: TEXT });
  });

  it('hands everything else to Koa: other spellings, methods, queries, bodies, unknown organizations, unrecorded documents', async () => {
    const { listener, fallback } = setUp();
    const handedOver = [
      ['GET', '/acme/auth/jwks/'], ['GET', '/acme/Auth/JWKS'], ['GET', '/acme/auth/jwks?x=1'], ['GET', '/acme/.well-known/openid-configuration/'],
      ['POST', '/acme/auth/jwks'], ['OPTIONS', '/acme/auth/jwks'], ['GET', '/acme/auth/token'], ['GET', '/Acme/auth/jwks'],
      ['GET', '/.well-known/oauth-authorization-server/acme/x'], ['GET', '/other/auth/jwks'],
    ];
    for (const [method, url] of handedOver) expect(await call(listener, method!, url!), `${method} ${url}`).toBe('fallback');
    expect(await call(listener, 'GET', '/acme/auth/jwks', { 'content-length': '3' })).toBe('fallback');
    expect(await call(listener, 'GET', '/acme/auth/jwks', { 'transfer-encoding': 'chunked' })).toBe('fallback');
    expect(fallback).toHaveBeenCalledTimes(handedOver.length + 2);
    const unrecorded = setUp({ document: { ...DOCUMENT, recorded: undefined } });
    expect(await call(unrecorded.listener, 'GET', '/acme/auth/jwks')).toBe('fallback');
  });

  it('hands everything to Koa while the chain has work of its own (draining, schema, metrics, traces)', async () => {
    const { listener, fallback, asked } = setUp({ isEnabled: false });
    expect(await call(listener, 'GET', '/acme/auth/jwks')).toBe('fallback');
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(asked).toEqual([]);
  });

  it('writes the http.request line at info, and nothing below it', async () => {
    const quiet = setUp();
    await call(quiet.listener, 'GET', '/acme/auth/jwks');
    expect(quiet.lines).toEqual([]);
    const logged = setUp({ level: 'info' });
    const sent = (await call(logged.listener, 'GET', '/acme/auth/jwks')) as Sent;
    expect(logged.lines).toMatchObject([{ level: 'info', msg: 'http.request', requestId: sent.headers['x-request-id'], method: 'GET', path: '/acme/auth/jwks', status: 200, org: 'acme' }]);
  });
});
