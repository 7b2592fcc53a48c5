import { expectAppError } from '../support/errors.js';
import { constants, createHash, randomUUID, createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
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

  it('creates an RS256 (2048-bit RSA) and an ES256 (P-256) key on first start, stored as PEM with kids derived from the SPKI PEM', async () => {
    const created = await keys.ensureActiveKey();
    expect(created.map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256']);
    expect(await keys.ensureActiveKey()).toEqual([]);

    const details = { RS256: { modulusLength: 2048, publicExponent: 65537n }, ES256: { namedCurve: 'prime256v1' } };
    for (const key of created) {
      expect(key).toMatchObject({ status: 'active', retiredAt: null, revokedAt: null });
      expect(key.kid).toMatch(/^[0-9a-f]{16}$/);
      expect(Date.parse(key.activatedAt)).toBeGreaterThanOrEqual(clock.now());
      const row = await db.one<{ public_key: string; private_key: string; encrypted: boolean }>(
        'SELECT public_key, private_key, encrypted FROM signing_keys WHERE kid = $1',
        [key.kid],
      );
      expect(row.encrypted).toBe(false);
      expect(row.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(row.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(key.kid).toBe(createHash('sha256').update(row.public_key).digest('hex').slice(0, 16));
      expect(createPublicKey(row.public_key).asymmetricKeyDetails).toEqual(details[key.algorithm as keyof typeof details]);
    }
  });

  it('ends with exactly one key per algorithm when several processes start at once', async () => {
    const services = [make(), make({ db: backend.other }), make(), make({ db: backend.other })];
    const results = await Promise.all(services.map((s) => s.ensureActiveKey()));
    expect(results.flat().map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256']);
    expect((await keys.list()).map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256']);
  });

  it('adds the missing RS256 key to an installation that only has an ES256 key, keeping that key', async () => {
    const existing = await keys.generate(system, { algorithm: 'ES256' });
    clock.advance(1000);
    const created = await keys.ensureActiveKey();
    expect(created.map((k) => k.algorithm)).toEqual(['RS256']);
    expect((await keys.list()).map((k) => [k.kid, k.algorithm, k.status])).toEqual([
      [created[0]!.kid, 'RS256', 'active'],
      [existing.kid, 'ES256', 'active'],
    ]);
    expect((await keys.getSigningJwks()).keys.map((k) => [k.kid, k.kty])).toEqual([[created[0]!.kid, 'RSA'], [existing.kid, 'EC']]);
    expect(await keys.ensureActiveKey()).toEqual([]);
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
    const ec = await keys.generate(system, { algorithm: 'ES256' });
    clock.advance(1000);
    const old = await keys.generate(system);
    clock.advance(1000);
    const signer = await keys.generate(system, { algorithm: 'RS256' });
    const signing = await keys.getSigningJwks();
    expect(signing.keys.map((k) => k.kid)).toEqual([signer.kid, old.kid, ec.kid]);
    // The RSA key names no alg: the engine signs RS256 and PS256 with it, ES256 with the P-256 key.
    expect(signing.keys[0]).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig' });
    expect(signing.keys[0]).not.toHaveProperty('alg');
    expect(signing.keys[2]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    for (const k of signing.keys) expect(k.d).toBeTruthy();

    const published = await keys.getPublicJwks();
    expect(published.keys.map((k) => k.kid)).toEqual([signer.kid, old.kid, ec.kid]);
    expect(Object.keys(published.keys[0]!)).toEqual(['kty', 'n', 'e', 'kid', 'use']);
    expect(Object.keys(published.keys[2]!)).toEqual(['kty', 'crv', 'x', 'y', 'kid', 'use', 'alg']);
    expect(JSON.stringify(published)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);

    // What each private JWK signs, the published one verifies (RS256: PKCS#1 v1.5 + SHA-256; PS256: PSS;
    // ES256: P-256 + SHA-256 in the JOSE signature format).
    const data = Buffer.from('header.payload');
    const [rsaPrivate, rsaPublic] = [createPrivateKey({ key: signing.keys[0]!, format: 'jwk' }), createPublicKey({ key: published.keys[0]!, format: 'jwk' })];
    expect(verify('sha256', data, rsaPublic, sign('sha256', data, rsaPrivate))).toBe(true);
    const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', data, { key: rsaPublic, ...pss }, sign('sha256', data, { key: rsaPrivate, ...pss }))).toBe(true);
    const signature = sign('sha256', data, { key: createPrivateKey({ key: signing.keys[2]!, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
    expect(verify('sha256', data, { key: createPublicKey({ key: published.keys[2]!, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('refuses an algorithm it does not offer, creating nothing', async () => {
    await expectAppError(keys.generate(system, { algorithm: 'PS256' as never }), 'invalid', 'validation_failed');
    await expectAppError(keys.rotate(system, { algorithm: 'HS256' as never }), 'invalid', 'validation_failed');
    expect(await keys.list()).toEqual([]);
    expect(await keyEvents()).toEqual([]);
  });

  it('rotates: retires every active key but the newest of its algorithm, which keeps signing', async () => {
    expect(await keys.rotate(system)).toEqual({ algorithms: ['RS256', 'ES256'], activeKids: {}, retiredKids: [] });
    const a = await keys.generate(system);
    clock.advance(1000);
    const x = await keys.generate(system, { algorithm: 'ES256' });
    clock.advance(1000);
    const b = await keys.generate(system);
    clock.advance(1000);
    const y = await keys.generate(system, { algorithm: 'ES256' });
    clock.advance(1000);
    const c = await keys.generate(system);
    // Only the ES256 keys: the RS256 ones stay as they are.
    expect(await keys.rotate(system, { algorithm: 'ES256' })).toEqual({ algorithms: ['ES256'], activeKids: { ES256: y.kid }, retiredKids: [x.kid] });
    expect((await keys.getPublicJwks()).keys.map((k) => k.kid)).toEqual([c.kid, y.kid, b.kid, a.kid]);
    expect(await keys.rotate(system)).toEqual({ algorithms: ['RS256', 'ES256'], activeKids: { RS256: c.kid, ES256: y.kid }, retiredKids: [a.kid, b.kid].sort() });
    expect(await keys.rotate(system, { algorithm: 'RS256' })).toEqual({ algorithms: ['RS256'], activeKids: { RS256: c.kid }, retiredKids: [] });
    const list = await keys.list();
    expect(list.map((k) => [k.kid, k.status])).toEqual([
      [c.kid, 'active'],
      [y.kid, 'active'],
      [b.kid, 'retired'],
      [x.kid, 'retired'],
      [a.kid, 'retired'],
    ]);
    expect(list[2]!.retiredAt).toBe(new Date(clock.now()).toISOString());
    expect((await keys.getPublicJwks()).keys.map((k) => k.kid)).toEqual([c.kid, y.kid]);
  });

  it('revokes by kid or id, but never the only active key of an algorithm', async () => {
    await expectAppError(keys.revoke(system, '0123456789abcdef'), 'not_found', 'signing_key_not_found');
    const ec = await keys.generate(system, { algorithm: 'ES256' });
    const a = await keys.generate(system);
    // Another algorithm's active key does not stand in for it.
    expect(await expectAppError(keys.revoke(system, a.kid), 'conflict', 'last_active_key')).toMatchObject({
      message: expect.stringContaining('only active RS256 signing key'),
      details: { algorithm: 'RS256' },
    });
    await expectAppError(keys.revoke(system, ec.id), 'conflict', 'last_active_key');
    clock.advance(1000);
    const b = await keys.generate(system);
    const revoked = await keys.revoke(system, b.id);
    expect(revoked).toMatchObject({ kid: b.kid, status: 'revoked', revokedAt: new Date(clock.now()).toISOString() });
    expect(await keys.revoke(system, b.kid)).toEqual(revoked);
    expect((await keys.getSigningJwks()).keys.map((k) => k.kid)).toEqual([a.kid, ec.kid]);

    clock.advance(1000);
    const c = await keys.generate(system);
    await keys.rotate(system);
    expect((await keys.revoke(system, a.kid)).status).toBe('revoked');
    await expectAppError(keys.revoke(system, c.kid), 'conflict', 'last_active_key');
    clock.advance(1000);
    const ec2 = await keys.generate(system, { algorithm: 'ES256' });
    expect((await keys.revoke(system, ec.kid)).status).toBe('revoked');
    expect((await keys.getSigningJwks()).keys.map((k) => k.kid)).toEqual([ec2.kid, c.kid]);
  });

  it('records each change with the actor’s type, name and source', async () => {
    const ops = cliDirectActor('ops', { requestId: 'req-keys-1' });
    const a = await keys.generate(ops);
    clock.advance(1000);
    const b = await keys.generate(ops);
    const e = await keys.generate(ops, { algorithm: 'ES256' });
    const rotation = await keys.rotate(ops);
    clock.advance(1000);
    const c = await keys.generate(system);
    await keys.revoke(ops, b.kid);
    await keys.rotate(ops, { algorithm: 'ES256' });
    const events = await keyEvents();
    expect(events.map((x) => [x.eventType, x.targetId, x.metadata, x.actorType, x.source])).toEqual([
      ['signing_key.rotated', e.id, { algorithms: ['ES256'], activeKids: { ES256: e.kid }, retiredKids: [] }, 'cli_direct', 'cli-direct'],
      ['signing_key.revoked', b.id, { kid: b.kid, algorithm: 'RS256' }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', c.id, { kid: c.kid, algorithm: 'RS256' }, 'system', 'system'],
      ['signing_key.rotated', b.id, { algorithms: ['RS256', 'ES256'], activeKids: { RS256: b.kid, ES256: e.kid }, retiredKids: [a.kid] }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', e.id, { kid: e.kid, algorithm: 'ES256' }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', b.id, { kid: b.kid, algorithm: 'RS256' }, 'cli_direct', 'cli-direct'],
      ['signing_key.generated', a.id, { kid: a.kid, algorithm: 'RS256' }, 'cli_direct', 'cli-direct'],
    ]);
    expect(rotation).toEqual({ algorithms: ['RS256', 'ES256'], activeKids: { RS256: b.kid, ES256: e.kid }, retiredKids: [a.kid] });
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
