import { randomUUID } from 'node:crypto';
import { onEachDatabase } from '../support/databases.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { AppError } from '../../src/platform/errors.js';
import { CONFIG_VERSION_KEY, createSystemConfigService, type SystemConfigService } from '../../src/system-config/index.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { adminActor, adminPermissionsOf, cliDirectActor, systemActor } from '../../src/actors/index.js';

type Open = () => Promise<{ db: Db; dispose(): Promise<void> }>;

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** A store whose reads can be made to fail, as an unreachable Redis would. */
function flaky(kv: Kv): Kv & { isDown: boolean } {
  const wrapped = {
    ...kv,
    isDown: false,
    get: async (key: string) => {
      if (wrapped.isDown) throw new Error('store down');
      return kv.get(key);
    },
  };
  return wrapped;
}

function systemConfigSuite(open: Open) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: Kv;
  let config: SystemConfigService;
  let other: SystemConfigService;
  let audit: AuditService;
  const log = createLog({ env: 'test', level: 'silent' });
  const system = systemActor();
  const make = (store: Kv = kv) => createSystemConfigService({ db, kv: store, clock, log, audit });
  const lastEntry = async (key: string) => (await audit.list({ event: 'config.updated', targetId: key, limit: 1 })).data[0];

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock();
    kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    config = make();
    other = make();
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('reads', () => {
    it('returns seeded values typed per value_type', async () => {
      expect(await config.get('access_token_ttl')).toBe(3600);
      expect(await config.getDuration('refresh_token_ttl')).toBe(1_209_600);
      expect(await config.getNumber('account_lockout_threshold')).toBe(5);
      expect(await config.getNumber('session_ttl')).toBe(86_400);
      expect(await config.getString('default_locale')).toBe('en');
    });

    it('refuses unknown keys and mismatched typed getters', async () => {
      const missing = await errorOf(config.get('no_such_key'));
      expect([missing.kind, missing.code]).toEqual(['not_found', 'config_key_not_found']);
      expect((await errorOf(config.getEntry('no_such_key'))).code).toBe('config_key_not_found');
      expect((await errorOf(config.getDuration('account_lockout_threshold'))).code).toBe('config_type_mismatch');
      expect((await errorOf(config.getNumber('default_locale'))).code).toBe('config_type_mismatch');
      expect((await errorOf(config.getBoolean('default_locale'))).code).toBe('config_type_mismatch');
    });

    it('lists every seeded key of spec 40 §5 in key order with its bounds', async () => {
      const entries = await config.list();
      const keys = entries.map((e) => e.key);
      expect(keys).toEqual([...keys].sort());
      expect(keys).toEqual(expect.arrayContaining([
        'access_token_ttl', 'id_token_ttl', 'refresh_token_ttl', 'authorization_code_ttl', 'session_ttl',
        'interaction_ttl', 'magic_link_ttl', 'password_reset_ttl', 'invitation_ttl', 'otp_code_ttl',
        'account_lockout_threshold', 'account_lockout_cooldown_minutes', 'audit_retention_days', 'default_locale',
        'rate_limit_login_max', 'rate_limit_admin_write_window',
      ]));
      expect(entries.find((e) => e.key === 'otp_code_ttl')).toMatchObject({
        value: 600,
        valueType: 'duration',
        isSensitive: false,
        isReadonly: false,
        minValue: 60,
        maxValue: 3600,
        description: expect.any(String),
        updatedAt: expect.stringMatching(/Z$/),
      });
    });

    it('gives all values as one plain object, and a synchronous peek once loaded', async () => {
      const fresh = make();
      expect(fresh.peekMany()).toBeNull();
      const all = await fresh.getMany();
      expect(all.interaction_ttl).toBe(3600);
      expect(all.default_locale).toBe('en');
      expect(fresh.peekMany()).toBe(all);
    });
  });

  describe('set', () => {
    it('parses and stores values within bounds, returning the entry and the previous value', async () => {
      const change = await config.set(system, 'magic_link_ttl', '1200');
      expect(change.previous).toBe(900);
      expect(change.entry).toMatchObject({ key: 'magic_link_ttl', value: 1200, valueType: 'duration' });
      expect(await config.getDuration('magic_link_ttl')).toBe(1200);
      await config.set(system, 'magic_link_ttl', 60);
      expect(await config.get('magic_link_ttl')).toBe(60);
      await config.set(system, 'default_locale', 'de');
      expect(await config.getString('default_locale')).toBe('de');
    });

    it('refuses values outside the bounds with a message naming them', async () => {
      for (const value of [59, '86401', 100.5, 'ten', '', true]) {
        const err = await errorOf(config.set(system, 'access_token_ttl', value));
        expect([err.kind, err.code], String(value)).toEqual(['invalid', 'invalid_config_value']);
        expect(err.message).toContain('between 60 and 86400');
      }
      const lockout = await errorOf(config.set(system, 'account_lockout_threshold', 0));
      expect(lockout.message).toBe('account_lockout_threshold must be an integer between 1 and 100.');
      expect((await errorOf(config.set(system, 'default_locale', 42))).code).toBe('invalid_config_value');
      expect(await config.get('access_token_ttl')).toBe(3600);
    });

    it('refuses unknown and read-only keys', async () => {
      const unknown = await errorOf(config.set(system, 'no_such_key', 1));
      expect([unknown.kind, unknown.code]).toEqual(['not_found', 'config_key_not_found']);
      await config.define('super_admin_user_id', {
        value: '11111111-1111-4111-8111-111111111111',
        valueType: 'string',
        description: 'Set by porta init',
        isSensitive: true,
        isReadonly: true,
      });
      const readonly = await errorOf(config.set(system, 'super_admin_user_id', '22222222-2222-4222-8222-222222222222'));
      expect([readonly.kind, readonly.code]).toEqual(['forbidden', 'config_readonly']);
      expect(await config.get('super_admin_user_id')).toBe('11111111-1111-4111-8111-111111111111');
      expect(await lastEntry('super_admin_user_id')).toBeUndefined();
    });

    it('masks sensitive values in list, getEntry and change results', async () => {
      await config.define('smtp_probe_secret', { value: 'hunter2', valueType: 'string', isSensitive: true });
      expect((await config.getEntry('smtp_probe_secret')).value).toBe('***');
      expect((await config.list()).find((e) => e.key === 'smtp_probe_secret')?.value).toBe('***');
      const change = await config.set(system, 'smtp_probe_secret', 'hunter3');
      expect(change).toMatchObject({ previous: '***', entry: { value: '***', isSensitive: true } });
      expect(await config.get('smtp_probe_secret')).toBe('hunter3');
      const entry = await lastEntry('smtp_probe_secret');
      expect(entry?.metadata).toEqual({ key: 'smtp_probe_secret', previous: '***', value: '***' });
      expect(JSON.stringify(entry)).not.toContain('hunter');
    });

    it('records config.updated {key, previous, value} with the actor’s type, name, source and request', async () => {
      const ops = cliDirectActor('ops', { ip: '192.0.2.9', userAgent: 'porta-cli', requestId: 'req-cfg-1' });
      await config.set(ops, 'otp_code_ttl', '900');
      expect(await lastEntry('otp_code_ttl')).toMatchObject({
        eventType: 'config.updated', eventCategory: 'admin', targetType: 'config', targetId: 'otp_code_ttl',
        metadata: { key: 'otp_code_ttl', previous: 600, value: 900 },
        actorId: null, actorType: 'cli_direct', actorName: 'ops', source: 'cli-direct', requestId: 'req-cfg-1',
        ipAddress: '192.0.2.9', userAgent: 'porta-cli',
      });
      await config.set(system, 'otp_code_ttl', 600);
      expect(await lastEntry('otp_code_ttl')).toMatchObject({ actorType: 'system', source: 'system', metadata: { previous: 900, value: 600 } });
    });

    it('refuses an actor without config:update (403 details.missing), changing and recording nothing', async () => {
      const auditor = adminActor({
        userId: randomUUID(), organizationId: randomUUID(),
        permissions: adminPermissionsOf(['porta-auditor']), isSuperAdmin: false,
      });
      const before = (await audit.list({ event: 'config.updated' })).total;
      const err = await errorOf(config.set(auditor, 'otp_code_ttl', '120'));
      expect([err.kind, err.code, err.details]).toEqual(['forbidden', 'forbidden', { missing: ['admin:config:update'] }]);
      // A 403 never reveals whether the key exists.
      expect((await errorOf(config.set(auditor, 'no_such_key', '1'))).code).toBe('forbidden');
      expect(await make().get('otp_code_ttl')).toBe(600);
      expect((await audit.list({ event: 'config.updated' })).total).toBe(before);
    });

    it('rolls the change back when its audit entry cannot be written', async () => {
      // actor_id references users: an admin unknown to the database makes the audit insert fail.
      const ghost = adminActor({ userId: randomUUID(), organizationId: randomUUID(), permissions: system.permissions, isSuperAdmin: true });
      expect(await config.get('otp_code_ttl')).toBe(600);
      const version = await kv.get(CONFIG_VERSION_KEY);
      await expect(config.set(ghost, 'otp_code_ttl', '1200')).rejects.toThrow();
      expect(await config.get('otp_code_ttl')).toBe(600);
      expect(await make().get('otp_code_ttl')).toBe(600);
      expect((await db.one<{ value: unknown }>(`SELECT value FROM system_config WHERE key = 'otp_code_ttl'`)).value).toBe(600);
      expect(await kv.get(CONFIG_VERSION_KEY)).toBe(version);
      expect((await audit.list({ event: 'config.updated', targetId: 'otp_code_ttl' })).data.every((e) => e.actorName !== 'ghost@porta.test')).toBe(true);
    });

    it('validates boolean and json keys', async () => {
      await config.define('feature_probe_enabled', { value: false, valueType: 'boolean' });
      await config.set(system, 'feature_probe_enabled', 'true');
      expect(await config.getBoolean('feature_probe_enabled')).toBe(true);
      expect((await errorOf(config.set(system, 'feature_probe_enabled', 'yes'))).code).toBe('invalid_config_value');
      await config.define('probe_json', { value: { a: 1 }, valueType: 'json' });
      await config.set(system, 'probe_json', '{"b":[1,2,3]}');
      expect(await config.get('probe_json')).toEqual({ b: [1, 2, 3] });
      await config.set(system, 'probe_json', ['x']);
      expect(await config.get('probe_json')).toEqual(['x']);
      expect((await errorOf(config.set(system, 'probe_json', '{broken'))).code).toBe('invalid_config_value');
    });
  });

  describe('per-process cache', () => {
    it('keeps values for 60 s when nothing announces a change', async () => {
      expect(await other.get('otp_code_ttl')).toBe(600);
      await db.query(`UPDATE system_config SET value = '900'::jsonb WHERE key = 'otp_code_ttl'`);
      clock.advance(30_000);
      expect(await other.get('otp_code_ttl')).toBe(600);
      clock.advance(29_999);
      expect(await other.get('otp_code_ttl')).toBe(600);
      clock.advance(1);
      expect(await other.get('otp_code_ttl')).toBe(900);
    });

    it('sees another instance’s write once its snapshot is 1 s old, via the version counter', async () => {
      expect(await other.getDuration('password_reset_ttl')).toBe(3600);
      const before = Number((await kv.get(CONFIG_VERSION_KEY)) ?? 0);
      await config.set(system, 'password_reset_ttl', 7200);
      expect(Number(await kv.get(CONFIG_VERSION_KEY))).toBe(before + 1);
      expect(await config.getDuration('password_reset_ttl')).toBe(7200);
      expect(await other.getDuration('password_reset_ttl')).toBe(3600);
      clock.advance(999);
      expect(await other.getDuration('password_reset_ttl')).toBe(3600);
      clock.advance(1);
      expect(await other.getDuration('password_reset_ttl')).toBe(7200);
      expect((await other.getMany()).password_reset_ttl).toBe(7200);
    });

    it('keeps its snapshot while the store is unreadable, until the TTL ends', async () => {
      const store = flaky(kv);
      const reader = make(store);
      expect(await reader.get('invitation_ttl')).toBe(604_800);
      await config.set(system, 'invitation_ttl', 86_400);
      store.isDown = true;
      clock.advance(5_000);
      expect(await reader.get('invitation_ttl')).toBe(604_800);
      clock.advance(55_000);
      expect(await reader.get('invitation_ttl')).toBe(86_400);
      store.isDown = false;
    });

    it('loads once for concurrent readers', async () => {
      const reader = make();
      const values = await Promise.all([reader.getMany(), reader.getMany(), reader.get('id_token_ttl')]);
      expect(values[0]).toBe(values[1]);
      expect(values[2]).toBe(3600);
    });
  });
}

onEachDatabase('system config', systemConfigSuite);
