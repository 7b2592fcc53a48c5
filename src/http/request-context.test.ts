import { Writable } from 'node:stream';
import type { Context } from 'koa';
import { describe, expect, it, vi } from 'vitest';
import { createLog } from '../platform/log.js';
import { requestContext } from './request-context.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const log = createLog({ env: 'production', level, destination });
  return { log, lines };
}

function fakeContext(path: string): Context {
  const headers: Record<string, string> = {};
  return {
    method: 'GET', path, status: 200, state: {},
    get: () => '',
    set: (name: string, value: string) => {
      headers[name] = value;
    },
    headers,
  } as unknown as Context;
}

describe('requestContext', () => {
  it('writes one http.request line at info naming the request id it answers with', async () => {
    const { log, lines } = capture('info');
    const ctx = fakeContext('/acme/auth/token');
    await requestContext(log)(ctx, async () => {
      ctx.status = 201;
    });
    const requestId = ctx.state.requestId as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((ctx as unknown as { headers: Record<string, string> }).headers['X-Request-Id']).toBe(requestId);
    expect(lines).toMatchObject([{ level: 'info', msg: 'http.request', requestId, method: 'GET', path: '/acme/auth/token', status: 201 }]);
    expect(lines[0]!.durationMs).toEqual(expect.any(Number));
  });

  it('below the level builds nothing: no line, no child logger, no clock reading', async () => {
    const { log, lines } = capture('warn');
    const child = vi.spyOn(log, 'child');
    const info = vi.spyOn(log, 'info');
    const debug = vi.spyOn(log, 'debug');
    const clock = vi.spyOn(process.hrtime, 'bigint');
    try {
      await requestContext(log)(fakeContext('/acme/.well-known/openid-configuration'), async () => undefined);
      await requestContext(log)(fakeContext('/health'), async () => undefined);
      expect(lines).toEqual([]);
      expect(child).not.toHaveBeenCalled();
      expect(info).not.toHaveBeenCalled();
      expect(debug).not.toHaveBeenCalled();
      expect(clock).not.toHaveBeenCalled();
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps probes out of the info stream (debug)', async () => {
    const info = capture('info');
    await requestContext(info.log)(fakeContext('/health'), async () => undefined);
    expect(info.lines).toEqual([]);
    const debug = capture('debug');
    await requestContext(debug.log)(fakeContext('/health'), async () => undefined);
    expect(debug.lines).toMatchObject([{ level: 'debug', msg: 'http.request', path: '/health' }]);
  });
});
