import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type AdapterPayload, type Configuration } from 'oidc-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuditService } from '../../src/audit/index.js';
import { createSigningKeyService } from '../../src/keys/index.js';
import { createAdapterFactory, type PortaAdapterFactory } from '../../src/oidc/adapter.js';
import { createManualClock, systemClock, type Clock, type ManualClock } from '../../src/platform/clock.js';
import { createEmbeddedDb, createMigrator, createPostgresDb, type Db } from '../../src/platform/db/index.js';
import { queryable } from '../../src/platform/db/queryable.js';
import { newId } from '../../src/platform/ids.js';
import { createMemoryKv, createRedisKv, type Kv, type RedisKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import {
  createTestDatabase,
  createTestRedisNamespace,
  describeWithPostgres,
  describeWithRedis,
  type TestDatabase,
} from '../support/services.js';

const log = createLog({ env: 'test', level: 'silent' });
const epoch = (clock: Clock) => Math.floor(clock.now() / 1000);
/** oidc-provider's own InvalidGrant, as its token endpoint answers it. */
const invalidGrant = { name: 'InvalidGrant', error: 'invalid_grant', statusCode: 400 };

interface Stores {
  db: Db;
  kv: Kv;
  clock: ManualClock;
  /** Lets Kv entries of a TTL of `ms` expire: moves the clock (memory) or also really waits (Redis). */
  expireKv(ms: number): Promise<void>;
  /** Empties the Kv store between tests. */
  clearKv(): Promise<void>;
  dispose(): Promise<void>;
}

function adapterSuite(open: () => Promise<Stores>) {
  let stores: Stores;
  let orgA: string;
  let orgB: string;
  let a: PortaAdapterFactory;
  let b: PortaAdapterFactory;

  beforeAll(async () => {
    stores = await open();
    await createMigrator(stores.db).up();
  });
  afterAll(async () => {
    await stores?.dispose();
  });
  beforeEach(async () => {
    await stores.db.query('DELETE FROM oidc_payloads');
    await stores.clearKv();
    orgA = newId();
    orgB = newId();
    const deps = { db: stores.db, kv: stores.kv, log, clock: stores.clock };
    a = createAdapterFactory({ ...deps, organizationId: orgA });
    b = createAdapterFactory({ ...deps, organizationId: orgB });
  });

  const row = (id: string, type: string) =>
    stores.db.maybeOne<Record<string, unknown>>('SELECT * FROM oidc_payloads WHERE id = $1 AND type = $2', [id, type]);

  describe('short-lived models in the Kv store', () => {
    it('stores a session under oidc:Session:{id} with its organization, found by id and uid', async () => {
      const payload: AdapterPayload = { jti: 'sess1', kind: 'Session', uid: 'uid1', accountId: 'acc', exp: epoch(stores.clock) + 60 };
      await a('Session').upsert('sess1', payload, 60);
      expect(JSON.parse((await stores.kv.get('oidc:Session:sess1'))!)).toEqual({ org: orgA, payload });
      expect(await stores.kv.get('oidc:Session:uid:uid1')).toBe('sess1');
      expect(await stores.kv.ttl('oidc:Session:sess1')).toBeGreaterThan(58);
      expect(await a('Session').find('sess1')).toEqual(payload);
      expect(await a('Session').findByUid('uid1')).toEqual(payload);
      expect(await a('Session').find('other')).toBeUndefined();
      expect(await a('Session').findByUid('other')).toBeUndefined();
      expect(await stores.db.maybeOne('SELECT 1 FROM oidc_payloads')).toBeNull();
    });

    it('lets entries expire with their TTL', async () => {
      await a('Interaction').upsert('int1', { jti: 'int1', kind: 'Interaction' }, 0.3);
      expect(await a('Interaction').find('int1')).toBeDefined();
      await stores.expireKv(400);
      expect(await a('Interaction').find('int1')).toBeUndefined();
    });

    it('consumes: records the epoch second and keeps the remaining TTL', async () => {
      await a('AuthorizationCode').upsert('code1', { jti: 'code1', kind: 'AuthorizationCode', grantId: 'g1' }, 600);
      await a('AuthorizationCode').consume('code1');
      expect((await a('AuthorizationCode').find('code1'))?.consumed).toBe(epoch(stores.clock));
      expect(await stores.kv.ttl('oidc:AuthorizationCode:code1')).toBeGreaterThan(598);
      await expect(a('AuthorizationCode').consume('missing')).rejects.toMatchObject(invalidGrant);
    });

    it('finds a device code by user code', async () => {
      await a('DeviceCode').upsert('dc1', { jti: 'dc1', kind: 'DeviceCode', userCode: 'ABCD-EFGH' }, 600);
      expect((await a('DeviceCode').findByUserCode('ABCD-EFGH'))?.jti).toBe('dc1');
      expect(await b('DeviceCode').findByUserCode('ABCD-EFGH')).toBeUndefined();
    });

    it('destroys an entry with its indexes', async () => {
      await a('Session').upsert('sess2', { jti: 'sess2', uid: 'uid2' }, 60);
      await a('Session').destroy('sess2');
      expect(await a('Session').find('sess2')).toBeUndefined();
      expect(await stores.kv.get('oidc:Session:uid:uid2')).toBeNull();
      await a('Session').destroy('sess2');
    });
  });

  describe('durable models in oidc_payloads', () => {
    it('upserts access tokens, refresh tokens and grants with their index columns', async () => {
      const accountId = newId();
      const payload: AdapterPayload = { jti: 'at1', kind: 'AccessToken', grantId: 'g1', accountId, clientId: 'c1' };
      await a('AccessToken').upsert('at1', payload, 3600);
      expect(await a('AccessToken').find('at1')).toEqual(payload);
      expect(await row('at1', 'AccessToken')).toMatchObject({
        grant_id: 'g1',
        organization_id: orgA,
        account_id: accountId,
        consumed_at: null,
        expires_at: new Date(stores.clock.now() + 3_600_000),
      });
      expect(await stores.kv.get('oidc:AccessToken:at1')).toBeNull();

      await a('Grant').upsert('g1', { jti: 'g1', kind: 'Grant', accountId: 'not-a-uuid' }, 1_209_600);
      expect(await row('g1', 'Grant')).toMatchObject({ grant_id: 'g1', account_id: null, organization_id: orgA });

      await a('AccessToken').upsert('at1', { ...payload, scope: 'openid' }, 60);
      expect((await a('AccessToken').find('at1'))?.scope).toBe('openid');
      expect((await row('at1', 'AccessToken'))?.expires_at).toEqual(new Date(stores.clock.now() + 60_000));
    });

    it('hides expired rows', async () => {
      await a('RefreshToken').upsert('rt1', { jti: 'rt1', kind: 'RefreshToken', grantId: 'g1' }, 60);
      stores.clock.advance(59_000);
      expect(await a('RefreshToken').find('rt1')).toBeDefined();
      stores.clock.advance(1_000);
      expect(await a('RefreshToken').find('rt1')).toBeUndefined();
    });

    it('consumes a refresh token', async () => {
      await a('RefreshToken').upsert('rt2', { jti: 'rt2', kind: 'RefreshToken', grantId: 'g1' }, 600);
      stores.clock.advance(5_000);
      await a('RefreshToken').consume('rt2');
      expect((await a('RefreshToken').find('rt2'))?.consumed).toBe(epoch(stores.clock));
      expect((await row('rt2', 'RefreshToken'))?.consumed_at).toEqual(new Date(stores.clock.now()));
      await expect(a('RefreshToken').consume('missing')).rejects.toMatchObject(invalidGrant);
    });

    it('destroys one row of its own model only', async () => {
      await a('AccessToken').upsert('same', { jti: 'same', kind: 'AccessToken' }, 60);
      await a('RefreshToken').upsert('same', { jti: 'same', kind: 'RefreshToken' }, 60);
      await a('AccessToken').destroy('same');
      expect(await a('AccessToken').find('same')).toBeUndefined();
      expect(await a('RefreshToken').find('same')).toBeDefined();
    });
  });

  describe('single use under concurrency', () => {
    const N = 20;

    /** A grant with an access token, a refresh token and a code, as a first redemption leaves it. */
    async function issuedGrant(g: string) {
      await a('Grant').upsert(g, { jti: g, kind: 'Grant' }, 3600);
      await a('AccessToken').upsert(`at-${g}`, { jti: `at-${g}`, grantId: g }, 3600);
      await a('RefreshToken').upsert(`rt-${g}`, { jti: `rt-${g}`, kind: 'RefreshToken', grantId: g }, 3600);
      await a('AuthorizationCode').upsert(`code-${g}`, { jti: `code-${g}`, kind: 'AuthorizationCode', grantId: g }, 600);
    }

    async function expectRevoked(g: string) {
      expect(await a('Grant').find(g)).toBeUndefined();
      expect(await a('AccessToken').find(`at-${g}`)).toBeUndefined();
      expect(await a('RefreshToken').find(`rt-${g}`)).toBeUndefined();
      expect(await a('AuthorizationCode').find(`code-${g}`)).toBeUndefined();
    }

    const race = (model: string, id: string) => Promise.allSettled(Array.from({ length: N }, () => a(model).consume(id)));
    const losers = (results: PromiseSettledResult<unknown>[]) =>
      results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Record<string, unknown>);

    it('lets one of N concurrent consumers of an authorization code win; the others revoke its grant and get invalid_grant', async () => {
      await issuedGrant('g1');
      await issuedGrant('g2');
      const results = await race('AuthorizationCode', 'code-g1');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = losers(results);
      expect(lost).toHaveLength(N - 1);
      for (const err of lost) expect(err).toMatchObject({ ...invalidGrant, error_detail: 'authorization code already consumed' });
      await expectRevoked('g1');
      expect(await a('Grant').find('g2')).toBeDefined();
      expect(await a('AuthorizationCode').find('code-g2')).toBeDefined();
    });

    it('lets one of N concurrent rotations of a refresh token win; the others revoke its grant and get invalid_grant', async () => {
      await issuedGrant('g1');
      await issuedGrant('g2');
      const results = await race('RefreshToken', 'rt-g1');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const err of losers(results)) expect(err).toMatchObject({ ...invalidGrant, error_detail: 'refresh token already used' });
      await expectRevoked('g1');
      expect(await a('RefreshToken').find('rt-g2')).toBeDefined();
    });

    it('lets one of N concurrent uses of a pushed request win; the others get invalid_request_uri and revoke nothing', async () => {
      await issuedGrant('g1');
      await a('PushedAuthorizationRequest').upsert('par1', { jti: 'par1', kind: 'PushedAuthorizationRequest', request: 'x' }, 60);
      const results = await race('PushedAuthorizationRequest', 'par1');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = losers(results);
      expect(lost).toHaveLength(N - 1);
      for (const err of lost) expect(err).toMatchObject({ name: 'InvalidRequestUri', error: 'invalid_request_uri', statusCode: 400 });
      expect((await a('PushedAuthorizationRequest').find('par1'))?.consumed).toBe(epoch(stores.clock));
      expect(await a('Grant').find('g1')).toBeDefined();
    });

    it('treats a consume after the first like a concurrent loser', async () => {
      await issuedGrant('g1');
      await a('AuthorizationCode').consume('code-g1');
      await expect(a('AuthorizationCode').consume('code-g1')).rejects.toMatchObject(invalidGrant);
      await expectRevoked('g1');
    });
  });

  describe('within one engine request', () => {
    let statements: string[];
    let request: object | undefined;
    let inRequest: PortaAdapterFactory;

    beforeEach(() => {
      statements = [];
      request = {};
      // Every statement this factory sends, by its first words.
      const counted: Db = {
        ...stores.db,
        ...queryable(<T,>(sql: string, params: readonly unknown[]) => {
          statements.push(sql.trim().slice(0, 30));
          return stores.db.query<T>(sql, params);
        }, (script) => stores.db.exec(script)),
      };
      inRequest = createAdapterFactory({ db: counted, kv: stores.kv, log, clock: stores.clock, organizationId: orgA, requestKey: () => request });
    });

    async function issued(g: string) {
      await a('Grant').upsert(g, { jti: g, kind: 'Grant', clientId: 'web' }, 3600);
      await a('AccessToken').upsert(`at-${g}`, { jti: `at-${g}`, kind: 'AccessToken', grantId: g }, 3600);
      await a('RefreshToken').upsert(`rt-${g}`, { jti: `rt-${g}`, kind: 'RefreshToken', grantId: g }, 3600);
    }

    it('reads a presented token and its grant in one statement, shared by every model the engine asks', async () => {
      await issued('g1');
      await stores.kv.set('oidc:ClientCredentials:at-g1', JSON.stringify({ org: orgA, payload: { jti: 'at-g1', kind: 'ClientCredentials' } }), { ttlSeconds: 60 });
      // Introspection asks all three models at once, then the grant.
      const [asAccess, asCredentials, asRefresh] = await Promise.all([
        inRequest('AccessToken').find('at-g1'), inRequest('ClientCredentials').find('at-g1'), inRequest('RefreshToken').find('at-g1'),
      ]);
      expect(asAccess).toMatchObject({ jti: 'at-g1', grantId: 'g1' });
      // Ids are unique across models: a value found in PostgreSQL is not looked up in the Kv store.
      expect(asCredentials).toBeUndefined();
      expect(asRefresh).toBeUndefined();
      expect(await inRequest('Grant').find('g1')).toMatchObject({ jti: 'g1', clientId: 'web' });
      expect(statements).toHaveLength(1);
      // What was read along is handed out once; a second read asks again.
      expect(await inRequest('Grant').find('g1')).toMatchObject({ jti: 'g1' });
      expect(statements).toHaveLength(2);
      // Another request, or none, shares nothing.
      request = {};
      expect(await inRequest('AccessToken').find('at-g1')).toBeDefined();
      request = undefined;
      expect(await inRequest('AccessToken').find('at-g1')).toBeDefined();
      expect(statements).toHaveLength(4);
      // A value that is no durable token is still looked up in the Kv store.
      request = {};
      expect(await inRequest('ClientCredentials').find('at-g1')).toMatchObject({ jti: 'at-g1' });
    });

    it('knows a grant is missing without asking twice, and reads nothing stale after a write', async () => {
      await a('AccessToken').upsert('orphan', { jti: 'orphan', kind: 'AccessToken', grantId: 'gone' }, 3600);
      expect(await inRequest('AccessToken').find('orphan')).toBeDefined();
      expect(await inRequest('Grant').find('gone')).toBeUndefined();
      expect(statements).toHaveLength(1);
      await issued('g1');
      expect(await inRequest('RefreshToken').find('rt-g1')).toBeDefined();
      await inRequest('Grant').upsert('g1', { jti: 'g1', kind: 'Grant', clientId: 'changed' }, 3600);
      expect(await inRequest('Grant').find('g1')).toMatchObject({ clientId: 'changed' });
    });

    it('rotates a refresh token in one statement: the consume goes with the successor’s write', async () => {
      await issued('g1');
      const old = await inRequest('RefreshToken').find('rt-g1');
      expect(old).toBeDefined();
      await inRequest('RefreshToken').consume('rt-g1');
      await inRequest('RefreshToken').upsert('rt-next', { jti: 'rt-next', kind: 'RefreshToken', grantId: 'g1' }, 3600);
      expect(statements).toHaveLength(2);
      expect((await row('rt-g1', 'RefreshToken'))?.consumed_at).toEqual(new Date(stores.clock.now()));
      expect(await row('rt-next', 'RefreshToken')).toMatchObject({ grant_id: 'g1', organization_id: orgA });
    });

    it('runs a held consume by itself when no write follows it in the request', async () => {
      await issued('g1');
      await inRequest('RefreshToken').consume('rt-g1');
      await new Promise((resolve) => setImmediate(resolve));
      await vi.waitFor(async () => expect((await row('rt-g1', 'RefreshToken'))?.consumed_at).not.toBeNull());
      // The request's next write waited for it and goes on as usual.
      await inRequest('AccessToken').upsert('at-next', { jti: 'at-next', kind: 'AccessToken', grantId: 'g1' }, 3600);
      expect(await row('at-next', 'AccessToken')).toBeDefined();
    });

    it('a rotation that lost to another stores no successor, revokes the grant and answers as a reused token', async () => {
      await issued('g1');
      await issued('g2');
      expect(await inRequest('RefreshToken').find('rt-g1')).toBeDefined();
      // Another request rotated the same token after this one read it unconsumed.
      await a('RefreshToken').consume('rt-g1');
      await inRequest('RefreshToken').consume('rt-g1');
      await expect(inRequest('RefreshToken').upsert('rt-next', { jti: 'rt-next', kind: 'RefreshToken', grantId: 'g1' }, 3600))
        .rejects.toMatchObject({ ...invalidGrant, error_detail: 'refresh token already used' });
      expect(await row('rt-next', 'RefreshToken')).toBeNull();
      expect(await a('Grant').find('g1')).toBeUndefined();
      expect(await a('AccessToken').find('at-g1')).toBeUndefined();
      expect(await a('Grant').find('g2')).toBeDefined();
    });

    it('a held consume that lost by itself fails the request’s next write, which stores nothing', async () => {
      await issued('g1');
      await a('RefreshToken').consume('rt-g1');
      await inRequest('RefreshToken').consume('rt-g1');
      await new Promise((resolve) => setImmediate(resolve));
      await expect(inRequest('AccessToken').upsert('at-next', { jti: 'at-next', kind: 'AccessToken', grantId: 'g1' }, 3600))
        .rejects.toMatchObject({ ...invalidGrant, error_detail: 'refresh token already used' });
      expect(await row('at-next', 'AccessToken')).toBeNull();
      expect(await a('Grant').find('g1')).toBeUndefined();
    });

    it('lets one of N concurrent rotations in N requests store a successor', async () => {
      await issued('g1');
      const factories = Array.from({ length: 12 }, () => {
        const key = {};
        return createAdapterFactory({ db: stores.db, kv: stores.kv, log, clock: stores.clock, organizationId: orgA, requestKey: () => key });
      });
      const results = await Promise.allSettled(factories.map(async (f, i) => {
        await f('RefreshToken').consume('rt-g1');
        await f('RefreshToken').upsert(`rt-next-${i}`, { jti: `rt-next-${i}`, kind: 'RefreshToken', grantId: 'g1' }, 3600);
      }));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const stored = await stores.db.many<{ id: string }>("SELECT id FROM oidc_payloads WHERE id LIKE 'rt-next-%'");
      // The winner's successor was stored, then the losers' reuse revoked the grant with it.
      expect(stored).toEqual([]);
      expect(await a('Grant').find('g1')).toBeUndefined();
    });
  });

  it('revokes a grant’s artifacts in both stores, leaving the Grant to the engine', async () => {
    await a('Grant').upsert('g1', { jti: 'g1', kind: 'Grant' }, 3600);
    await a('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 3600);
    await a('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 3600);
    await a('AccessToken').upsert('at2', { jti: 'at2', grantId: 'g2' }, 3600);
    await a('AuthorizationCode').upsert('code1', { jti: 'code1', grantId: 'g1' }, 600);
    await a('AuthorizationCode').upsert('code2', { jti: 'code2', grantId: 'g2' }, 600);
    expect(await stores.kv.setMembers('oidc:grant:AuthorizationCode:g1')).toEqual(['code1']);

    await Promise.all(['AccessToken', 'RefreshToken', 'AuthorizationCode'].map((m) => a(m).revokeByGrantId('g1')));
    expect(await a('AccessToken').find('at1')).toBeUndefined();
    expect(await a('RefreshToken').find('rt1')).toBeUndefined();
    expect(await a('AuthorizationCode').find('code1')).toBeUndefined();
    expect(await stores.kv.setMembers('oidc:grant:AuthorizationCode:g1')).toEqual([]);
    expect(await a('Grant').find('g1')).toBeDefined();
    expect(await a('AccessToken').find('at2')).toBeDefined();
    expect(await a('AuthorizationCode').find('code2')).toBeDefined();
    await a('Grant').destroy('g1');
    expect(await a('Grant').find('g1')).toBeUndefined();
  });

  it('revokeGrantsByIds deletes grants with all their tokens in one statement, plus their Kv artifacts', async () => {
    for (const g of ['g1', 'g2', 'g3']) {
      await a('Grant').upsert(g, { jti: g }, 3600);
      await a('AccessToken').upsert(`at-${g}`, { jti: `at-${g}`, grantId: g }, 3600);
      await a('RefreshToken').upsert(`rt-${g}`, { jti: `rt-${g}`, grantId: g }, 3600);
      await a('AuthorizationCode').upsert(`code-${g}`, { jti: `code-${g}`, grantId: g }, 600);
    }
    expect(await a.revokeGrantsByIds([])).toBe(0);
    expect(await a.revokeGrantsByIds(['g1', 'g2', 'g1'])).toBe(6);
    for (const g of ['g1', 'g2']) {
      expect(await a('Grant').find(g)).toBeUndefined();
      expect(await a('RefreshToken').find(`rt-${g}`)).toBeUndefined();
      expect(await a('AuthorizationCode').find(`code-${g}`)).toBeUndefined();
      expect(await stores.kv.setMembers(`oidc:grant:AuthorizationCode:${g}`)).toEqual([]);
    }
    expect(await a('Grant').find('g3')).toBeDefined();
    expect(await a('AccessToken').find('at-g3')).toBeDefined();
    expect(await a('AuthorizationCode').find('code-g3')).toBeDefined();
  });

  it('revokeClient deletes the client’s grants and tokens in this organization, plus their Kv artifacts', async () => {
    for (const [factory, g, clientId] of [[a, 'g1', 'web'], [a, 'g2', 'other'], [b, 'g3', 'web']] as const) {
      await factory('Grant').upsert(g, { jti: g, clientId }, 3600);
      await factory('AccessToken').upsert(`at-${g}`, { jti: `at-${g}`, grantId: g, clientId }, 3600);
      await factory('RefreshToken').upsert(`rt-${g}`, { jti: `rt-${g}`, grantId: g, clientId }, 3600);
      await factory('AuthorizationCode').upsert(`code-${g}`, { jti: `code-${g}`, grantId: g, clientId }, 600);
    }
    expect(await a.revokeClient('web')).toBe(3);
    expect(await a('Grant').find('g1')).toBeUndefined();
    expect(await a('AccessToken').find('at-g1')).toBeUndefined();
    expect(await a('RefreshToken').find('rt-g1')).toBeUndefined();
    expect(await a('AuthorizationCode').find('code-g1')).toBeUndefined();
    expect(await a('AccessToken').find('at-g2')).toBeDefined();
    expect(await b('AccessToken').find('at-g3')).toBeDefined();
    expect(await b('AuthorizationCode').find('code-g3')).toBeDefined();
    expect(await a.revokeClient('web')).toBe(0);
  });

  it('purges expired rows of every organization, and only those', async () => {
    await a('AccessToken').upsert('short-a', { jti: 'short-a' }, 60);
    await b('AccessToken').upsert('short-b', { jti: 'short-b' }, 60);
    await a('RefreshToken').upsert('long', { jti: 'long' }, 3600);
    await a('Grant').upsert('forever', { jti: 'forever' });
    expect(await a.purgeExpired()).toBe(0);
    stores.clock.advance(61_000);
    expect(await b.purgeExpired()).toBe(2);
    expect(await stores.db.many('SELECT id FROM oidc_payloads ORDER BY id')).toEqual([{ id: 'forever' }, { id: 'long' }]);
  });

  it('keeps organizations apart in both stores', async () => {
    await a('Session').upsert('s1', { jti: 's1', uid: 'u1' }, 60);
    await a('AuthorizationCode').upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    await a('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 60);
    await a('Grant').upsert('g1', { jti: 'g1' }, 60);

    expect(await b('Session').find('s1')).toBeUndefined();
    expect(await b('Session').findByUid('u1')).toBeUndefined();
    expect(await b('AuthorizationCode').find('c1')).toBeUndefined();
    expect(await b('AccessToken').find('at1')).toBeUndefined();
    expect(await b('Grant').find('g1')).toBeUndefined();

    await b('Session').destroy('s1');
    await b('AccessToken').destroy('at1');
    // Another organization's artifact is never found, so consuming it loses without revoking anything.
    await expect(b('AuthorizationCode').consume('c1')).rejects.toMatchObject(invalidGrant);
    await expect(b('AccessToken').consume('at1')).rejects.toMatchObject(invalidGrant);
    await Promise.all(['AccessToken', 'AuthorizationCode'].map((m) => b(m).revokeByGrantId('g1')));
    expect(await b.revokeGrantsByIds(['g1'])).toBe(0);
    await expect(b('Session').upsert('s1', { jti: 's1' }, 60)).rejects.toThrow(/another organization/);
    await expect(b('AccessToken').upsert('at1', { jti: 'at1' }, 60)).rejects.toThrow(/another organization/);

    expect(await a('Session').findByUid('u1')).toMatchObject({ jti: 's1' });
    expect(await a('AuthorizationCode').find('c1')).toEqual({ jti: 'c1', grantId: 'g1' });
    expect(await a('AccessToken').find('at1')).toEqual({ jti: 'at1', grantId: 'g1' });
    expect(await a('Grant').find('g1')).toBeDefined();
    expect(await stores.kv.setMembers('oidc:grant:AuthorizationCode:g1')).toEqual(['c1']);
  });

  it('answers Client.find from findClient and ignores client writes', async () => {
    const seen: string[] = [];
    const factory = createAdapterFactory({
      db: stores.db,
      kv: stores.kv,
      log,
      clock: stores.clock,
      organizationId: orgA,
      findClient: async (id) => {
        seen.push(id);
        return id === 'known' ? { client_id: 'known' } : undefined;
      },
    });
    expect(await factory('Client').find('known')).toEqual({ client_id: 'known' });
    expect(await factory('Client').find('unknown')).toBeUndefined();
    expect(seen).toEqual(['known', 'unknown']);
    await factory('Client').upsert('known', { client_id: 'x' });
    expect(await a('Client').find('known')).toBeUndefined();
  });
}

describe('hybrid OIDC adapter: memory store + embedded PostgreSQL', () => {
  adapterSuite(async () => {
    const clock = createManualClock();
    const db = await createEmbeddedDb({ dataDir: 'memory://' });
    const stores: Stores = {
      db,
      kv: createMemoryKv({ clock }),
      clock,
      expireKv: async (ms) => clock.advance(ms),
      async clearKv() {
        await stores.kv.close();
        stores.kv = createMemoryKv({ clock });
      },
      async dispose() {
        await stores.kv.close();
        await db.close();
      },
    };
    return stores;
  });
});

describeWithRedis('hybrid OIDC adapter: Redis + PostgreSQL', () => {
  describeWithPostgres('on real services', () => {
    adapterSuite(async () => {
      const clock = createManualClock(Date.now());
      const testDb: TestDatabase = await createTestDatabase();
      const namespace = createTestRedisNamespace();
      const db = createPostgresDb({ url: testDb.url });
      const kv: RedisKv = createRedisKv({ url: namespace.url, keyPrefix: namespace.keyPrefix });
      return {
        db,
        kv,
        clock,
        clearKv: async () => void (await kv.clearNamespace()),
        async expireKv(ms) {
          clock.advance(ms);
          await new Promise((r) => setTimeout(r, ms));
        },
        async dispose() {
          await kv.clearNamespace();
          await kv.close();
          await db.close();
          await testDb.drop();
        },
      };
    });
  });
});

describe('hybrid OIDC adapter under oidc-provider', () => {
  const clientSecret = 'a-long-enough-client-secret-for-tests-0123456789';
  let db: Db;
  let kv: Kv;
  let server: http.Server;
  let issuer: string;
  let orgA: string;
  let providers: Record<string, Provider>;

  beforeAll(async () => {
    db = await createEmbeddedDb({ dataDir: 'memory://' });
    await createMigrator(db).up();
    kv = createMemoryKv({ clock: systemClock });
    const audit = createAuditService({ db, clock: systemClock, log, retentionDays: async () => 90 });
    const keys = createSigningKeyService({ db, kv, clock: systemClock, log, audit });
    await keys.ensureActiveKey();
    const jwks = await keys.getSigningJwks();

    server = http.createServer((req, res) => {
      const [, slug] = /^\/([^/]+)/.exec(req.url ?? '') ?? [];
      const provider = slug ? providers[slug] : undefined;
      if (!provider) {
        res.statusCode = 404;
        res.end();
        return;
      }
      req.url = req.url!.slice(slug!.length + 1) || '/';
      void provider.callback()(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    orgA = newId();
    const build = (slug: string, organizationId: string) =>
      new Provider(`${issuer}/${slug}`, {
        adapter: createAdapterFactory({
          db,
          kv,
          log,
          clock: systemClock,
          organizationId,
          // The same client_id exists in both organizations, as it may with imported configurations.
          findClient: async (id) =>
            id === 'svc'
              ? { client_id: 'svc', client_secret: clientSecret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }
              : undefined,
        }),
        jwks: jwks as Configuration['jwks'],
        clientDefaults: { id_token_signed_response_alg: 'ES256' },
        features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: false } },
      });
    providers = { a: build('a', orgA), b: build('b', newId()) };
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await kv?.close();
    await db?.close();
  });

  const post = (slug: string, path: string, form: Record<string, string>) =>
    fetch(`${issuer}/${slug}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`svc:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form),
    });

  it('stores a client-credentials token in the Kv store, and introspects it only at its own issuer', async () => {
    const tokenRes = await post('a', '/token', { grant_type: 'client_credentials' });
    expect(tokenRes.status, await tokenRes.clone().text()).toBe(200);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };

    const stored = JSON.parse((await kv.get(`oidc:ClientCredentials:${token}`))!) as { org: string; payload: AdapterPayload };
    expect(stored.org).toBe(orgA);
    expect(stored.payload).toMatchObject({ kind: 'ClientCredentials', clientId: 'svc' });
    expect(await db.maybeOne('SELECT 1 FROM oidc_payloads')).toBeNull();

    const live = await post('a', '/token/introspection', { token });
    expect(await live.json()).toMatchObject({ active: true, client_id: 'svc', iss: `${issuer}/a` });
    const foreign = await post('b', '/token/introspection', { token });
    expect(await foreign.json()).toEqual({ active: false });
  });
});
