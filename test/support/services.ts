/**
 * Real PostgreSQL and Redis for tests. Each suite makes its own database or key prefix and removes it.
 * Without the services, suites skip with a visible reason; with PORTA_TEST_REQUIRE_SERVICES=1 they fail.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const isServicesRequired = process.env.PORTA_TEST_REQUIRE_SERVICES === '1';
export const postgresAdminUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function canConnect(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || defaultPort);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const hasPostgres = await canConnect(postgresAdminUrl, 5432);
export const hasRedis = await canConnect(redisUrl, 6379);

type SuiteFn = () => void;

function describeWith(service: string, isAvailable: boolean, where: string) {
  return (name: string, fn: SuiteFn) => {
    if (isAvailable) return describe(name, fn);
    if (isServicesRequired) {
      return describe(name, () => {
        it(`needs ${service} at ${where}`, () => {
          throw new Error(`${service} is not reachable at ${where} and PORTA_TEST_REQUIRE_SERVICES=1`);
        });
      });
    }
    return describe.skip(`${name} [skipped: ${service} not reachable at ${where}]`, fn);
  };
}

export const describeWithPostgres = describeWith('PostgreSQL', hasPostgres, redact(postgresAdminUrl));
export const describeWithRedis = describeWith('Redis', hasRedis, redact(redisUrl));
export const describeWithServices = describeWith(
  'PostgreSQL and Redis',
  hasPostgres && hasRedis,
  `${redact(postgresAdminUrl)} and ${redact(redisUrl)}`,
);

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database; `drop()` removes only that database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = uniqueName('porta_test');
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(postgresAdminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: postgresAdminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestRedisNamespace {
  url: string;
  keyPrefix: string;
  clear(): Promise<void>;
}

/** A unique key prefix on the shared Redis; `clear()` deletes only keys under it. */
export function createTestRedisNamespace(): TestRedisNamespace {
  const keyPrefix = `${uniqueName('porta-test')}:`;
  return {
    url: redisUrl,
    keyPrefix,
    async clear() {
      const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}
