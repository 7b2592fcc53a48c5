/**
 * The Redis Kv must survive Redis going away: fail fast while it is gone, never crash the process,
 * and recover on the same client when it returns (/health goes 503 → 200 without a restart).
 * Runs a private redis-server on a free port, because the shared one must not be stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKv, type RedisKv } from '../../src/platform/kv/index.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const describeWithRedisServer = hasRedisServer
  ? describe
  : (name: string, fn: () => void) => describe.skip(`${name} [skipped: redis-server is not on PATH]`, fn);

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with how long `fn` took once it settles, however it settles. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = Date.now();
  try {
    await fn();
    return { ms: Date.now() - start, error: undefined };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

async function eventually(fn: () => Promise<unknown>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      await fn();
      return Date.now() - start;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await sleep(100);
    }
  }
}

describeWithRedisServer('Redis Kv outage and recovery', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let kv: RedisKv;
  const logs: string[] = [];
  const log = { warn: (_: object, msg: string) => logs.push(msg), info: (_: object, msg: string) => logs.push(msg) };

  async function startServer(): Promise<void> {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await eventually(
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect({ port, host: '127.0.0.1' }, () => {
            socket.destroy();
            resolve();
          });
          socket.once('error', reject);
        }),
      5000,
    );
  }

  async function stopServer(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    port = await freePort();
    await startServer();
    kv = createRedisKv({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'recovery:', log });
    await eventually(() => kv.ping(), 5000);
  });

  afterAll(async () => {
    await kv?.close();
    await stopServer();
  });

  it('fails fast while Redis is down and recovers on the same client when it returns', async () => {
    await kv.set('a', '1', { ttlSeconds: 60 });
    await stopServer();

    const down = await timed(() => kv.ping());
    expect(down.error).toMatchObject({ name: 'KvUnavailableError', code: 'kv_unavailable' });
    expect(down.ms).toBeLessThan(2000);

    // Several reconnect attempts fail meanwhile; each operation still fails quickly.
    await sleep(1500);
    for (const op of [() => kv.ping(), () => kv.get('a'), () => kv.increment('c', 60)]) {
      const result = await timed(op);
      expect(result.error).toMatchObject({ code: 'kv_unavailable' });
      expect(result.ms).toBeLessThan(2000);
    }
    expect(logs.filter((m) => m === 'kv.unavailable')).toHaveLength(1);

    await startServer();
    const recoveredAfterMs = await eventually(() => kv.ping(), 5000);
    // Backoff is capped at 2 s (+ jitter), so the next attempt comes soon after Redis returns.
    expect(recoveredAfterMs).toBeLessThan(4000);
    await kv.set('a', '2', { ttlSeconds: 60 });
    expect(await kv.get('a')).toBe('2');
    expect(logs).toEqual(['kv.unavailable', 'kv.recovered']);
  });

  it('times out instead of hanging when Redis stops answering', async () => {
    await kv.ping();
    server?.kill('SIGSTOP');
    try {
      const hung = await timed(() => kv.ping());
      expect(hung.error).toMatchObject({ code: 'kv_unavailable' });
      expect(hung.ms).toBeLessThan(2500);
    } finally {
      server?.kill('SIGCONT');
    }
    await eventually(() => kv.ping(), 5000);
  });
});
