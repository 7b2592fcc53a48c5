import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { redactDeep } from './redact.js';
import { createLog } from './log.js';

describe('redactDeep', () => {
  it('replaces sensitive keys at any depth, case-insensitively, including header objects', () => {
    const out = redactDeep({
      user: { name: 'x', Password: 'p1', nested: [{ deeper: { client_secret: 's', refresh_token: 'r' } }] },
      headers: { Authorization: 'Bearer abc', cookie: 'sid=1', 'set-cookie': ['a=b'], accept: '*/*' },
      token: 't',
    });
    expect(out).toEqual({
      user: { name: 'x', Password: '[Redacted]', nested: [{ deeper: { client_secret: '[Redacted]', refresh_token: '[Redacted]' } }] },
      headers: { Authorization: '[Redacted]', cookie: '[Redacted]', 'set-cookie': '[Redacted]', accept: '*/*' },
      token: '[Redacted]',
    });
  });

  it('keeps errors readable and redacts their properties', () => {
    const err = Object.assign(new Error('failed'), { config: { password: 'pw' }, code: '23505' });
    const out = redactDeep({ err }) as { err: Record<string, unknown> };
    expect(out.err.message).toBe('failed');
    expect(out.err.type).toBe('Error');
    expect(String(out.err.stack)).toContain('failed');
    expect(out.err.config).toEqual({ password: '[Redacted]' });
    // Error codes stay readable (PostgreSQL's 23505 here): operators need them.
    expect(out.err.code).toBe('23505');
  });

  it('keeps error codes but hides authorization codes, under `code` and inside URLs and bodies', () => {
    const authCode = 'Xk3_9aQ-vT0bLr2mW8eY1uNcP5sD7fGh4jKz6oIqAwE';
    const out = redactDeep({
      pg: { code: '23505' }, node: { code: 'ECONNREFUSED' }, porta: { code: 'user_not_found' }, status: { code: 503 },
      params: { code: authCode, state: 'abc' },
      location: `https://rp.example.com/cb?code=${authCode}&state=abc`,
      body: `grant_type=authorization_code&code=${authCode}&redirect_uri=x&code_verifier=ver1234`,
      err: Object.assign(new Error(`bad request to /token?code=${authCode}`), { code: 'invalid_grant' }),
    });
    const text = JSON.stringify(out);
    expect(text).not.toContain(authCode);
    expect(text).not.toContain('ver1234');
    expect(out).toMatchObject({
      pg: { code: '23505' }, node: { code: 'ECONNREFUSED' }, porta: { code: 'user_not_found' }, status: { code: 503 },
      params: { code: '[Redacted]', state: 'abc' },
      location: 'https://rp.example.com/cb?code=[Redacted]&state=abc',
      err: { code: 'invalid_grant' },
    });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ name: 'a', self: '[Circular]' });
  });
});

describe('createLog', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    return { lines, destination };
  }

  it('writes JSON lines with every seed-000 field redacted, even deep inside errors', () => {
    const { lines, destination } = capture();
    const log = createLog({ env: 'production', level: 'info', destination });
    const secrets = { password: 'hunter2', token: 'tok', authorization: 'Bearer x', cookie: 'c', refresh_token: 'rt', client_secret: 'cs' };
    log.info({ body: { deep: { deeper: secrets } } }, 'request');
    log.error({ err: Object.assign(new Error('boom'), { request: { headers: { authorization: 'Bearer y' } } }) }, 'failed');
    const text = JSON.stringify(lines);
    for (const value of ['hunter2', 'tok"', 'Bearer', 'rt"', 'cs"']) expect(text).not.toContain(value);
    expect(lines[0]?.msg).toBe('request');
    expect(lines[0]?.level).toBe('info');
    expect((lines[1]?.err as { message: string }).message).toBe('boom');
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const log = createLog({ env: 'production', level: 'warn', destination });
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
