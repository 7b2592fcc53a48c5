import { expectAppError } from '../support/errors.js';
import { createHash, randomUUID, createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSigningKeyService, CONFIG_VERSION_KEY, type SigningKeyService } from '../../src/keys/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createEmbeddedDb, createMigrator, createPostgresDb, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { adminActor, adminPermissionsOf, cliDirectActor, systemActor, type Actor } from '../../src/actors/index.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';

const log = createLog({ env: 'test', level: 'silent' });
const system = systemActor();
const adminWith = (roles: string[], userId: string = randomUUID()): Actor =>
  adminActor({ userId, organizationId: randomUUID(), permissions: adminPermissionsOf(roles), isSuperAdmin: roles.includes('porta-super-admin') });

interface Backend {
  db: Db;
  /** A second connection pool to the same database, as another process would have (the same Db on PGlite). */
  other: Db;
  dispose(): Promise<void>;
}

/** A store whose reads fail, as an unreachable Redis would. */
function failingKv(kv: Kv): Kv {
  return { ...kv, get: () => Promise.reject(new Error('store down')), increment: () => Promise.reject(new Error('store down')) };
}

function keysSuite(open: () => Promise<Backend>) {
  let backend: Backend;
  let db: Db;
  let clock: ManualClock;
  let kv: Kv;
  let keys: SigningKeyService;
  let audit: AuditService;
  const make = (overrides: { db?: Db; kv?: Kv } = {}) => {
    const on = overrides.db ?? db;
    return createSigningKeyService({ db: on, kv: overrides.kv ?? kv, clock, log, audit: createAuditService({ db: on, clock, log, retentionDays: async () => 90 }) });
  };
  const keyEvents = async () => (await audit.list({ event: 'signing_key.', limit: 100 })).data;

  beforeAll(async () => {
    backend = await open();
    db = backend.db;
    await createMigrator(db).up();
  });
  afterAll(async () => {
    await backend?.dispose();
  });
  beforeEach(async () => {
    await db.query('DELETE FROM signing_keys');
    await db.query('DELETE FROM audit_log');
    clock = createManualClock();
    kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    keys = make();
  });

  it('creates one ES256 key on first start, stored as PEM with a kid derived from the SPKI PEM', async () => {
    const created = await keys.ensureActiveKey();
    expect(created).toMatchObject({ algorithm: 'ES256', status: 'active', retiredAt: null, revokedAt: null });
    expect(created!.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(created!.activatedAt).toBe(new Date(clock.now()).toISOString());
    expect(await keys.ensureActiveKey()).toBeNull();

    const row = await db.one<{ public_key: string; private_key: string; encrypted: boolean }>(
      'SELECT public_key, private_key, encrypted FROM signing_keys WHERE kid = $1',
      [created!.kid],
    );
    expect(row.encrypted).toBe(false);
    expect(row.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(row.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(created!.kid).toBe(createHash('sha256').update(row.public_key).digest('hex').slice(0, 16));
    expect(createPublicKey(row.public_key).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('ends with exactly one key when several processes start at once', async () => {
    const services = [make(), make({ db: backend.other }), make(), make({ db: backend.other })];
    const results = await Promise.all(services.map((s) => s.ensureActiveKey()));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await keys.list()).toHaveLength(1);
  });

  it('lists keys newest first, without key material', async () => {
    const first = await keys.generate(system);
    clock.advance(1000);
    const second = await keys.generate(system);
    const list = await keys.list();
    expect(list.map((k) => k.kid)).toEqual([second.kid, first.kid]);
    expect(Object.keys(list[0]!).sort()).toEqual(['activatedAt', 'algorithm', 'createdAt', 'id', 'kid', 'retiredAt', 'revokedAt', 'status']);
  });

  it('serves the active keys newest first: private JWKs to the engine, public members to the world', async () => {
    const old = await keys.generate(system);
    clock.advance(1000);
    const signer = await keys.generate(system);
    const signing = await keys.getSigningJwks();
    expect(signing.keys.map((k) => k.kid)).toEqual([signer.kid, old.kid]);
    expect(signing.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(signing.keys[0]!.d).toBeTruthy();

    const published = await keys.getPublicJwks();
    expect(published.keys.map((k) => k.kid)).toEqual([signer.kid, old.kid]);
    for (const k of published.keys) expect(Object.keys(k)).toEqual(['kty', 'crv', 'x', 'y', 'kid', 'use', 'alg']);
    expect(JSON.stringify(published)).not.toContain('"d"');

    // What the private JWK signs, the published one verifies (ES256 = P-256 + SHA-256, JOSE signature format).
    const data = Buffer.from('header.payload');
    const signature = sign('sha256', data, { key: createPrivateKey({ key: signing.keys[0]!, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
    expect(verify('sha256', data, { key: createPublicKey({ key: published.keys[0]!, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('rotates: retires every active key but the newest, which keeps signing', async () => {
    expect(await keys.rotate(system)).toEqual({ activeKid: null, retiredKids: [] });
    const a = await keys.generate(system);
    clock.advance(1000);
    const b = await keys.generate(system);
    clock.advance(1000);
    const c = await keys.generate(system);
    expect(await keys.rotate(system)).toEqual({ activeKid: c.kid, retiredKids: [a.kid, b.kid].sort() });
    expect(await keys.rotate(system)).toEqual({ activeKid: c.kid, retiredKids: [] });
    const list = await keys.list();
    expect(list.map((k) => [k.kid, k.status])).toEqual([
      [c.kid, 'active'],
      [b.kid, 'retired'],
      [a.kid, 'retired'],
    ]);
    expect(list[1]!.retiredAt).toBe(new Date(clock.now()).toISOString());
    expect((await keys.getPublicJwks()).keys.map((k) => k.kid)).toEqual([c.kid]);
  });

  it('revokes by kid or id, but never the only active key', async () => {
    await expectAppError(keys.revoke(system, '0123456789abcdef'), 'not_found', 'signing_key_not_found');
    const a = await keys.generate(system);
    await expectAppError(keys.revoke(system, a.kid), 'conflict', 'last_active_key');
    clock.advance(1000);
    const b = await keys.generate(system);
    const revoked = await keys.revoke(system, b.id);
    expect(revoked).toMatchObject({ kid: b.kid, status: 'revoked', revokedAt: new Date(clock.now()).toISOString() });
    expect(await keys.revoke(system, b.kid)).toEqual(revoked);
    expect((await keys.getSigningJwks()).keys.map((k) => k.kid)).toEqual([a.kid]);

    clock.advance(1000);
    const c = await keys.generate(system);
    await keys.rotate(system);
    expect((await keys.revoke(system, a.kid)).status).toBe('revoked');
    await expectAppError(keys.revoke(system, c.kid), 'conflict', 'last_active_key');
  });

  it('records each change with the actor’s type, name and source', async () => {
    const ops = cliDirectActor('ops', { requestId: 'req-keys-1' });
    const a = await keys.generate(ops);
    clock.advance(1000);
    const b = await keys.generate(ops);
    const rotation = await keys.rotate(ops);
    clock.advance(1000);
    const c = await keys.generate(system);
    await keys.revoke(ops, b.kid);
    const events = await keyEvents();
    expect(events.map((e) => [e.eventType, e.targetId, e.metadata, e.actorType, e.source])).toEqual([
      ['signing_key.revoked', b.id, { kid: b.kid }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', c.id, { kid: c.kid }, 'system', 'system'],
      ['signing_key.rotated', b.id, { activeKid: b.kid, retiredKids: [a.kid] }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', b.id, { kid: b.kid }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', a.id, { kid: a.kid }, 'cli_direct', 'cli-direct'],
    ]);
    expect(rotation).toEqual({ activeKid: b.kid, retiredKids: [a.kid] });
    expect(events[0]).toMatchObject({ targetType: 'signing_key', actorName: 'ops', requestId: 'req-keys-1', actorId: null, eventCategory: 'admin' });
  });

  it('refuses actors without key:generate / key:rotate (403 details.missing), changing and recording nothing', async () => {
    const a = await keys.generate(system);
    clock.advance(1000);
    const b = await keys.generate(system);
    const before = await keys.list();
    const version = await kv.get(CONFIG_VERSION_KEY);
    for (const actor of [adminWith(['porta-auditor']), adminWith(['porta-app-admin'])]) {
      expect((await expectAppError(keys.generate(actor), 'forbidden', 'forbidden')).details).toEqual({ missing: ['admin:key:generate'] });
      expect((await expectAppError(keys.rotate(actor), 'forbidden', 'forbidden')).details).toEqual({ missing: ['admin:key:rotate'] });
      expect((await expectAppError(keys.revoke(actor, a.kid), 'forbidden', 'forbidden')).details).toEqual({ missing: ['admin:key:rotate'] });
      // A 403 never reveals whether the key exists.
      await expectAppError(keys.revoke(actor, '0123456789abcdef'), 'forbidden', 'forbidden');
    }
    expect(await keys.list()).toEqual(before);
    expect(await kv.get(CONFIG_VERSION_KEY)).toBe(version);
    expect((await keys.getSigningJwks()).keys.map((k) => k.kid)).toEqual([b.kid, a.kid]);
    expect((await keyEvents()).map((e) => e.eventType)).toEqual(['signing_key.generated', 'signing_key.generated']);
  });

  it('rolls a change back when its audit entry cannot be written', async () => {
    // actor_id references users: an admin unknown to the database makes the audit insert fail.
    const ghost = adminWith(['porta-super-admin']);
    const a = await keys.generate(system);
    clock.advance(1000);
    const b = await keys.generate(system);
    const before = await keys.list();
    const version = await kv.get(CONFIG_VERSION_KEY);
    await expect(keys.generate(ghost)).rejects.toThrow();
    await expect(keys.rotate(ghost)).rejects.toThrow();
    await expect(keys.revoke(ghost, a.kid)).rejects.toThrow();
    expect(await keys.list()).toEqual(before);
    expect(await kv.get(CONFIG_VERSION_KEY)).toBe(version);
    expect((await keys.getSigningJwks()).keys.map((k) => k.kid)).toEqual([b.kid, a.kid]);
    expect(await keyEvents()).toHaveLength(2);
  });

  it('bumps the shared config version on every write, and changes its own version with the active set', async () => {
    await keys.ensureActiveKey();
    const v1 = await keys.version();
    expect(await kv.get(CONFIG_VERSION_KEY)).toBe('1');
    clock.advance(1000);
    await keys.generate(system);
    const v2 = await keys.version();
    expect(v2).not.toBe(v1);
    expect(await keys.version()).toBe(v2);
    await keys.rotate(system);
    expect(await keys.version()).not.toBe(v2);
    expect(await kv.get(CONFIG_VERSION_KEY)).toBe('3');
  });

  it('lets another process notice a change within a second through the shared counter', async () => {
    await keys.ensureActiveKey();
    const elsewhere = make({ db: backend.other });
    const before = await elsewhere.getSigningJwks();
    const version = await elsewhere.version();
    const added = await keys.generate(system);
    expect(await elsewhere.getSigningJwks()).toEqual(before);
    clock.advance(999);
    expect(await elsewhere.version()).toBe(version);
    clock.advance(1);
    expect((await elsewhere.getSigningJwks()).keys[0]!.kid).toBe(added.kid);
    expect(await elsewhere.version()).not.toBe(version);
  });

  it('keeps its cache while the store is down, and reloads from the database after 60 s', async () => {
    await keys.ensureActiveKey();
    const blind = make({ kv: failingKv(kv) });
    const before = await blind.getPublicJwks();
    const added = await keys.generate(system);
    clock.advance(59_999);
    expect(await blind.getPublicJwks()).toEqual(before);
    clock.advance(1);
    expect((await blind.getPublicJwks()).keys[0]!.kid).toBe(added.kid);
    // Its own writes succeed without the store, and show at once in its own cache.
    clock.advance(1000);
    const own = await blind.generate(system);
    expect((await blind.getSigningJwks()).keys[0]!.kid).toBe(own.kid);
  });
}

describe('signing keys on embedded PostgreSQL (PGlite)', () => {
  keysSuite(async () => {
    const db = await createEmbeddedDb({ dataDir: 'memory://' });
    return { db, other: db, dispose: () => db.close() };
  });
});

describeWithPostgres('signing keys on PostgreSQL', () => {
  let testDb: TestDatabase;
  keysSuite(async () => {
    testDb = await createTestDatabase();
    const db = createPostgresDb({ url: testDb.url });
    const other = createPostgresDb({ url: testDb.url });
    return {
      db,
      other,
      async dispose() {
        await Promise.all([db.close(), other.close()]);
        await testDb.drop();
      },
    };
  });
});
