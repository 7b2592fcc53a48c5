import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, describeWithServices, redisUrl, uniqueName, type TestDatabase } from '../support/services.js';

/**
 * Issue 11 item 8: REDIS_KEY_PREFIX lets several deployments share one Redis. Two Portas with their own
 * prefixes run on one Redis database; every key either writes — OIDC artifacts, sessions, caches, rate
 * limits, config counters — starts with its own prefix, and one's limits never count the other's requests.
 */
describeWithServices('two deployments sharing one Redis through REDIS_KEY_PREFIX (issue 11)', () => {
  const prefixes = [`${uniqueName('deploy_a')}:`, `${uniqueName('deploy_b')}:`];
  const servers: TestServer[] = [];
  const databases: TestDatabase[] = [];
  const tenants: Tenant[] = [];
  let redis: Redis;

  const keysOf = async (pattern: string) => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };

  beforeAll(async () => {
    redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    for (const prefix of prefixes) {
      const database = await createTestDatabase();
      databases.push(database);
      const s = await startTestServer({ useConfiguredStores: true, env: { DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, PORTA_AUTO_MIGRATE: 'true' } });
      servers.push(s);
      await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_token_max', '3');
      tenants.push(await createTenant(s.porta.services, 'shared-redis'));
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const prefix of prefixes) {
      const keys = await keysOf(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
    for (const d of databases) await d.drop();
  });

  const token = (i: number) =>
    fetch(`${servers[i]!.url}/${tenants[i]!.slug}/auth/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${tenants[i]!.confidential.clientId}:${tenants[i]!.confidential.secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });

  it('keeps each deployment’s keys under its own prefix, and its limits to itself', async () => {
    // Deployment A uses up its token budget (3 per window from 127.0.0.1)…
    const a = [];
    for (let n = 0; n < 4; n++) a.push((await token(0)).status);
    expect(a).toEqual([200, 200, 200, 429]);
    // …which deployment B, on the same Redis and the same client IP, does not feel.
    expect((await token(1)).status).toBe(200);
    // A browser interaction and cached lookups, too.
    for (let i = 0; i < 2; i++) {
      await fetch(`${servers[i]!.url}/${tenants[i]!.slug}/auth/authorize?client_id=${tenants[i]!.spa.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:8765/callback')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, { redirect: 'manual' });
    }

    for (const [i, prefix] of prefixes.entries()) {
      const keys = await keysOf(`${prefix}*`);
      expect(keys.some((k) => k.startsWith(`${prefix}ratelimit:token:`)), `rate-limit keys of ${i}`).toBe(true);
      expect(keys.some((k) => k.startsWith(`${prefix}oidc:`)), `OIDC artifacts of ${i}`).toBe(true);
      expect(keys.some((k) => k.startsWith(`${prefix}cache:`)), `caches of ${i}`).toBe(true);
    }
    // Nothing either deployment wrote lies outside its prefix: look for their organizations' ids anywhere.
    for (const [i, t] of tenants.entries()) {
      const everywhere = await keysOf(`*${t.orgId}*`);
      expect(everywhere.length, `keys naming organization ${i}`).toBeGreaterThan(0);
      expect(everywhere.filter((k) => !k.startsWith(prefixes[i]!))).toEqual([]);
    }
  }, 60_000);
});
