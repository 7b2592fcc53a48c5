import Router from '@koa/router';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { rawBody } from '../../src/pages/index.js';

/** Sends a request with a chunked body (no Content-Length). */
function postChunked(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    const write = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('HTTP basics (embedded backends)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      extend: (app) => {
        const router = new Router();
        router.get('/test/boom', () => {
          throw Object.assign(new Error('secret internals'), { password: 'x' });
        });
        router.post('/test/echo', async (ctx) => {
          ctx.body = { bytes: (await rawBody(ctx)).length };
        });
        router.get('/test/ip', (ctx) => {
          ctx.body = { ip: ctx.ip, secure: ctx.secure, protocol: ctx.protocol };
        });
        app.use(router.routes());
      },
    });
  });
  afterAll(() => s?.stop());

  it('answers /health and /ready with the seed shapes', async () => {
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    const ready = await fetch(`${s.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', schema: 'ok' } });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${s.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: 'not_found', message: 'Not found.' });
  });

  it('sets X-Request-Id, reusing a valid incoming UUID only', async () => {
    const fresh = await fetch(`${s.url}/health`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const id = '5f0c3e4a-2b1d-4c6e-9f8a-7b6c5d4e3f2a';
    expect((await fetch(`${s.url}/health`, { headers: { 'X-Request-Id': id } })).headers.get('x-request-id')).toBe(id);
    const junk = await fetch(`${s.url}/health`, { headers: { 'X-Request-Id': 'not a uuid <script>' } });
    expect(junk.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unexpected exception with 500, a request id and no internals', async () => {
    const res = await fetch(`${s.url}/test/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toEqual({ error: 'internal_error', message: 'An unexpected error occurred.', requestId: res.headers.get('x-request-id') });
    expect(text).not.toMatch(/secret internals|at |\.ts/);
  });

  it('sends the security headers of spec 50 §8 on every response', async () => {
    for (const path of ['/health', '/nope', '/test/boom']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.headers.get('x-xss-protection')).toBe('0');
      expect(res.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      // The issuer is http here: no HSTS.
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('server')).toBeNull();
    }
  });

  it('keeps the anonymous surface neutral', async () => {
    const root = await fetch(`${s.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toBe('No public content is served here.\n');
    expect(root.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(root.headers.get('cache-control')).toBe('no-store');
    expect(await (await fetch(`${s.url}/robots.txt`)).text()).toBe('User-agent: *\nDisallow: /\n');
    expect((await fetch(`${s.url}/favicon.ico`)).status).toBe(204);
  });

  it('accepts bodies up to 100 KB', async () => {
    const body = JSON.stringify({ pad: 'a'.repeat(100 * 1024 - 20) });
    expect(body.length).toBeLessThanOrEqual(100 * 1024);
    const res = await fetch(`${s.url}/test/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: body.length });
  });

  it.each([
    ['application/json', JSON.stringify({ pad: 'a'.repeat(101 * 1024) })],
    ['application/x-www-form-urlencoded', `pad=${'a'.repeat(101 * 1024)}`],
    ['text/plain', 'a'.repeat(101 * 1024)],
  ])('answers 413 JSON to a %s body over 100 KB, on any route', async (type, body) => {
    for (const path of ['/test/echo', '/some/engine/route']) {
      const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': type }, body });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: 'payload_too_large', message: 'The request body exceeds 100 KB.' });
    }
  });

  it('answers 413 to an oversized chunked body without Content-Length', async () => {
    const res = await postChunked(`${s.url}/test/echo`, 200 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('ignores X-Forwarded-* when TRUST_PROXY is false', async () => {
    const res = await fetch(`${s.url}/test/ip`, { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } });
    expect(await res.json()).toEqual({ ip: '127.0.0.1', secure: false, protocol: 'http' });
  });

  it('serves no /metrics unless enabled', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
  });
});

describe('HTTP behind a proxy, with metrics (embedded backends)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      env: { TRUST_PROXY: 'true', METRICS_ENABLED: 'true', ISSUER_BASE_URL: 'https://auth.example.com' },
      extend: (app) => {
        const router = new Router();
        router.get('/test/ip', (ctx) => {
          ctx.body = { ip: ctx.ip, secure: ctx.secure, protocol: ctx.protocol };
        });
        router.get('/test/things/:id', (ctx) => {
          ctx.body = { id: ctx.params.id };
        });
        app.use(router.routes());
      },
    });
  });
  afterAll(() => s?.stop());

  it('follows X-Forwarded-For and X-Forwarded-Proto when TRUST_PROXY is true', async () => {
    const res = await fetch(`${s.url}/test/ip`, { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } });
    expect(await res.json()).toEqual({ ip: '203.0.113.9', secure: true, protocol: 'https' });
  });

  it('sends HSTS when the issuer is https', async () => {
    expect((await fetch(`${s.url}/health`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('exposes Prometheus metrics labelled by route template, never the raw URL', async () => {
    await fetch(`${s.url}/test/things/abc-123`);
    await fetch(`${s.url}/test/things/def-456`);
    await fetch(`${s.url}/definitely/unknown/7`);
    await fetch(`${s.url}/health`);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('porta_http_requests_total{method="GET",status_code="200",path="/test/things/:id"} 2');
    expect(text).toContain('porta_http_requests_total{method="GET",status_code="404",path="unmatched"} 1');
    expect(text).toMatch(/porta_http_requests_total\{method="GET",status_code="200",path="\/health"\} [1-9]/);
    expect(text).toMatch(/porta_http_request_duration_seconds_bucket\{le="0.005",method="GET",status_code="200",path="\/health"\}/);
    expect(text).not.toContain('abc-123');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
