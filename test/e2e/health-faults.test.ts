import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPorta } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createMigrator, createPostgresDb } from '../../src/platform/db/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import {
  createTestDatabase,
  describeWithServices,
  postgresAdminUrl,
  redisUrl,
  type TestDatabase,
} from '../support/services.js';

async function waitFor<T>(fn: () => Promise<T>, isDone: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (isDone(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const health = async (url: string, path = '/health') => {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
};

describeWithServices('health and readiness when PostgreSQL or Redis fail (real services behind cuttable proxies)', () => {
  let database: TestDatabase;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let s: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    const pgUrl = new URL(database.url);
    const rUrl = new URL(redisUrl);
    pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    redisProxy = await startTcpProxy({ host: rUrl.hostname, port: Number(rUrl.port || 6379) });
    pgUrl.hostname = '127.0.0.1';
    pgUrl.port = String(pgProxy.port);
    rUrl.hostname = '127.0.0.1';
    rUrl.port = String(redisProxy.port);
    s = await startTestServer({
      useConfiguredStores: true,
      env: { DATABASE_URL: pgUrl.toString(), REDIS_URL: rUrl.toString(), PORTA_AUTO_MIGRATE: 'true' },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await pgProxy?.close();
    await redisProxy?.close();
    await database?.drop();
  });

  it('reports Redis down with 503 naming it, and recovers without a restart', async () => {
    expect(await health(s.url)).toEqual({ status: 200, body: { status: 'ok', checks: { database: 'ok', redis: 'ok' } } });
    await redisProxy.cut();
    const started = Date.now();
    const down = await waitFor(() => health(s.url), (h) => h.status === 503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(down).toEqual({ status: 503, body: { status: 'error', checks: { database: 'ok', redis: 'error' } } });
    const ready = await health(s.url, '/ready');
    expect(ready).toEqual({ status: 503, body: { status: 'not_ready', checks: { database: 'ok', redis: 'error', schema: 'ok' } } });
    await redisProxy.restore();
    expect(await waitFor(() => health(s.url), (h) => h.status === 200)).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: 'ok', redis: 'ok' } },
    });
  });

  it('reports PostgreSQL down with 503 naming it, and recovers without a restart', async () => {
    await pgProxy.cut();
    const down = await waitFor(() => health(s.url), (h) => h.status === 503);
    expect(down).toEqual({ status: 503, body: { status: 'error', checks: { database: 'error', redis: 'ok' } } });
    expect((await health(s.url, '/ready')).body.checks).toEqual({ database: 'error', redis: 'ok', schema: 'ok' });
    await pgProxy.restore();
    expect((await waitFor(() => health(s.url), (h) => h.status === 200)).body.checks).toEqual({ database: 'ok', redis: 'ok' });
    expect((await health(s.url, '/ready')).status).toBe(200);
  });

  it('gives up on a database that accepts connections but never answers within the 2-second timeout', async () => {
    const blackhole = net.createServer(() => undefined);
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
    const port = (blackhole.address() as AddressInfo).port;
    const stuck = createPostgresDb({ url: `postgresql://postgres@127.0.0.1:${port}/x` });
    try {
      const started = Date.now();
      await expect(stuck.ping()).rejects.toThrow(/timed out/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      blackhole.close();
      void stuck.close().catch(() => undefined);
    }
  });
});

describeWithServices('startup waits for PostgreSQL and Redis (PORTA_WAIT_TIMEOUT)', () => {
  it('gives up with a clear message after the timeout', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: postgresAdminUrl,
      REDIS_URL: `redis://127.0.0.1:${closedPort}`,
      PORTA_WAIT_TIMEOUT: '2',
      PORTA_DATA_DIR: '/tmp/porta-unused',
    });
    const started = Date.now();
    await expect(createPorta({ config })).rejects.toThrow(/Redis is not reachable after 2 s \(PORTA_WAIT_TIMEOUT\)/);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('waits for a database that comes up late', async () => {
    const database = await createTestDatabase();
    const pgUrl = new URL(database.url);
    const proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    await proxy.cut();
    pgUrl.hostname = '127.0.0.1';
    pgUrl.port = String(proxy.port);
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pgUrl.toString(), PORTA_WAIT_TIMEOUT: '20', PORTA_AUTO_MIGRATE: 'true' });
    setTimeout(() => void proxy.restore(), 1500);
    const porta = await createPorta({ config });
    try {
      expect((await porta.migrator.status()).pending).toEqual([]);
    } finally {
      await porta.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describeWithServices('pending migrations on an external database without auto-migrate', () => {
  let database: TestDatabase;
  let s: TestServer;
  beforeAll(async () => {
    database = await createTestDatabase();
    s = await startTestServer({ useConfiguredStores: true, env: { DATABASE_URL: database.url }, schemaCheckIntervalMs: 200 });
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  it('keeps running, answers 503 schema_outdated except on probes, and resumes after `migrate up`', async () => {
    const res = await fetch(`${s.url}/anything`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: 'schema_outdated',
      message: 'The database schema is out of date. An operator must run `porta migrate up`.',
    });
    expect((await health(s.url)).status).toBe(200);
    expect(await health(s.url, '/ready')).toEqual({
      status: 503,
      body: { status: 'not_ready', checks: { database: 'ok', redis: 'ok', schema: 'error' } },
    });
    await createMigrator(s.porta.db).up();
    expect((await waitFor(() => health(s.url, '/ready'), (h) => h.status === 200)).body.status).toBe('ready');
    expect((await fetch(`${s.url}/anything`)).status).toBe(404);
  });
});

