import { expectAppError } from '../support/errors.js';
import { onEachDatabase } from '../support/databases.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createPasswordHasher, createUserService, type PasswordHasher, type UserService } from '../../src/users/index.js';

const MINUTE = 60_000;
const PASSWORD = 'correct horse battery';

/** Counts Argon2 verifications so equal work per login path can be asserted. */
function countingHasher(inner: PasswordHasher) {
  const counter = { verify: 0, dummy: 0 };
  const hasher: PasswordHasher = {
    params: inner.params,
    hash: (p) => inner.hash(p),
    verify: (h, p) => ((counter.verify += 1), inner.verify(h, p)),
    verifyDummy: (p) => ((counter.dummy += 1), inner.verifyDummy(p)),
  };
  return { hasher, counter, reset: () => Object.assign(counter, { verify: 0, dummy: 0 }) };
}

function userSuite(open: () => Promise<{ db: Db; dispose(): Promise<void> }>) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let users: UserService;
  let orgA: string;
  let orgB: string;
  const settings = new Map<string, number>();
  const hashing = countingHasher(createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }));
  let seq = 0;
  const email = (tag: string) => `${tag}-${++seq}@example.com`;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    orgA = (await db.one<{ id: string }>("SELECT id FROM organizations WHERE slug = 'porta-admin'")).id;
    orgB = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Org B', 'org-b') RETURNING id")).id;
    clock = createManualClock();
    users = createUserService({
      db,
      clock,
      log: createLog({ env: 'test', level: 'silent' }),
      passwords: hashing.hasher,
      settings: { getNumber: async (key) => settings.get(key) ?? (key === 'account_lockout_threshold' ? 5 : 15) },
    });
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('create', () => {
    it('creates a user with profile, hashed password and defaults', async () => {
      const user = await users.create(orgA, {
        email: '  Ada@Example.com ',
        password: PASSWORD,
        givenName: 'Ada',
        familyName: 'Lovelace',
        birthdate: '1815-12-10',
        websiteUrl: 'https://ada.example',
        address: { locality: 'London', country: 'gb' },
        emailVerified: true,
      });
      expect(user).toMatchObject({
        organizationId: orgA,
        email: 'Ada@Example.com',
        emailVerified: true,
        hasPassword: true,
        givenName: 'Ada',
        familyName: 'Lovelace',
        birthdate: '1815-12-10',
        websiteUrl: 'https://ada.example',
        address: { street: null, locality: 'London', region: null, postalCode: null, country: 'GB' },
        status: 'active',
        failedLoginCount: 0,
        loginCount: 0,
        passwordChangedAt: new Date(clock.now()).toISOString(),
      });
      expect(user.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.keys(user)).not.toContain('passwordHash');
      const row = await db.one<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.password_hash).not.toContain(PASSWORD);
    });

    it('creates a passwordless, inactive user without an address', async () => {
      const user = await users.create(orgA, { email: email('plain'), status: 'inactive' });
      expect(user).toMatchObject({ hasPassword: false, status: 'inactive', address: null, passwordChangedAt: null });
    });

    it('rejects invalid input with validation_failed and the field paths', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ email: 'not-an-email' }, 'email'],
        [{ email: `${'a'.repeat(250)}@example.com` }, 'email'],
        [{ email: email('x'), password: 'short' }, 'password'],
        [{ email: email('x'), password: 'p'.repeat(129) }, 'password'],
        [{ email: email('x'), birthdate: '1815-13-40' }, 'birthdate'],
        [{ email: email('x'), address: { country: 'GBR' } }, 'address.country'],
        [{ email: email('x'), pictureUrl: 'javascript:alert(1)' }, 'pictureUrl'],
        [{ email: email('x'), status: 'locked' }, 'status'],
        [{ email: email('x'), locale: 'x'.repeat(11) }, 'locale'],
      ];
      for (const [input, path] of cases) {
        const err = await expectAppError(users.create(orgA, input as never), 'invalid', 'validation_failed');
        expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
    });

    it('keeps e-mails unique per organization, case-insensitively, but not across organizations', async () => {
      const address = email('dup');
      await users.create(orgA, { email: address });
      await expectAppError(users.create(orgA, { email: address.toUpperCase() }), 'conflict', 'user_email_taken');
      const other = await users.create(orgB, { email: address });
      expect(other.organizationId).toBe(orgB);
    });

    it('reports an unknown organization', async () => {
      await expectAppError(users.create('00000000-0000-4000-8000-000000000000', { email: email('x') }), 'not_found', 'organization_not_found');
      await expectAppError(users.create('nope', { email: email('x') }), 'not_found', 'organization_not_found');
    });
  });

  describe('read, list, update', () => {
    it('finds by id and e-mail (case-insensitive) and throws user_not_found', async () => {
      const user = await users.create(orgA, { email: email('find') });
      expect(await users.findById(orgA, user.id)).toEqual(user);
      expect(await users.getById(orgA, user.id)).toEqual(user);
      expect((await users.findByEmail(orgA, ` ${user.email.toUpperCase()} `))?.id).toBe(user.id);
      expect(await users.findById(orgA, 'not-a-uuid')).toBeNull();
      await expectAppError(users.getById(orgA, '00000000-0000-4000-8000-000000000000'), 'not_found', 'user_not_found');
    });

    it('lists with status filter, search and paging', async () => {
      const tag = `lst${Date.now()}`;
      for (let i = 0; i < 5; i++) await users.create(orgB, { email: `${tag}-${i}@list.test`, givenName: i === 2 ? 'Zelda' : null });
      await users.deactivate(orgB, (await users.findByEmail(orgB, `${tag}-4@list.test`))!.id);
      const page = await users.list(orgB, { search: tag, page: 1, pageSize: 2, sortBy: 'email', sortOrder: 'asc' });
      expect(page).toMatchObject({ total: 5, page: 1, pageSize: 2, totalPages: 3 });
      expect(page.data.map((u) => u.email)).toEqual([`${tag}-0@list.test`, `${tag}-1@list.test`]);
      const third = await users.list(orgB, { search: tag, page: 3, pageSize: 2, sortBy: 'email', sortOrder: 'asc' });
      expect(third.data.map((u) => u.email)).toEqual([`${tag}-4@list.test`]);
      expect((await users.list(orgB, { search: tag, status: 'inactive' })).total).toBe(1);
      expect((await users.list(orgB, { search: 'zeld' })).data.map((u) => u.givenName)).toEqual(['Zelda']);
      expect((await users.list(orgB, { search: '%' })).total).toBe(0);
      await expectAppError(users.list(orgB, { pageSize: 101 }), 'invalid', 'validation_failed');
      await expectAppError(users.list(orgB, { sortBy: 'password_hash' as never }), 'invalid', 'validation_failed');
    });

    it('updates profile fields, clears with null, replaces the address, keeps the e-mail', async () => {
      const user = await users.create(orgA, { email: email('upd'), givenName: 'Old', nickname: 'n', address: { street: 'a', country: 'NL' } });
      const updated = await users.update(orgA, user.id, { givenName: 'New', nickname: null, address: { locality: 'Utrecht' } });
      expect(updated).toMatchObject({ givenName: 'New', nickname: null, address: { street: null, locality: 'Utrecht', country: null } });
      expect((await users.update(orgA, user.id, { address: null })).address).toBeNull();
      await expectAppError(users.update(orgA, user.id, { email: 'other@example.com' } as never), 'invalid', 'validation_failed');
      await expectAppError(users.update(orgA, '00000000-0000-4000-8000-000000000000', { givenName: 'x' }), 'not_found', 'user_not_found');
    });

    it('sets and clears passwords', async () => {
      const user = await users.create(orgA, { email: email('pw') });
      clock.advance(MINUTE);
      const withPassword = await users.setPassword(orgA, user.id, PASSWORD);
      expect(withPassword).toMatchObject({ hasPassword: true, passwordChangedAt: new Date(clock.now()).toISOString() });
      expect((await users.authenticate(orgA, user.email, PASSWORD)).ok).toBe(true);
      await expectAppError(users.setPassword(orgA, user.id, 'short'), 'invalid', 'validation_failed');
      expect((await users.clearPassword(orgA, user.id)).hasPassword).toBe(false);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: false, reason: 'no_password' });
    });
  });

  describe('status changes', () => {
    it('follows the allowed transitions and refuses the rest with invalid_transition', async () => {
      const { id } = await users.create(orgA, { email: email('st') });
      expect((await users.deactivate(orgA, id)).status).toBe('inactive');
      await expectAppError(users.deactivate(orgA, id), 'conflict', 'invalid_transition');
      await expectAppError(users.suspend(orgA, id), 'conflict', 'invalid_transition');
      expect((await users.activate(orgA, id)).status).toBe('active');
      await expectAppError(users.activate(orgA, id), 'conflict', 'invalid_transition');
      expect((await users.suspend(orgA, id)).status).toBe('suspended');
      await expectAppError(users.suspend(orgA, id), 'conflict', 'invalid_transition');
      expect((await users.unsuspend(orgA, id)).status).toBe('active');
      await expectAppError(users.unlock(orgA, id), 'conflict', 'invalid_transition');
    });

    it('admin lock records the reason and time; unlock resets the counter', async () => {
      const { id, email: address } = await users.create(orgA, { email: email('lk'), password: PASSWORD });
      await users.authenticate(orgA, address, 'wrong password!');
      const locked = await users.lock(orgA, id);
      expect(locked).toMatchObject({ status: 'locked', lockedReason: 'admin_lock', lockedAt: new Date(clock.now()).toISOString(), failedLoginCount: 1 });
      await expectAppError(users.lock(orgA, id), 'conflict', 'invalid_transition');
      const unlocked = await users.unlock(orgA, id);
      expect(unlocked).toMatchObject({ status: 'active', lockedReason: null, lockedAt: null, failedLoginCount: 0 });
      expect((await users.lock(orgA, id, 'fraud review')).lockedReason).toBe('fraud review');
      await users.unlock(orgA, id);
      await expectAppError(users.lock(orgA, id, 'auto_lockout'), 'invalid', 'invalid_lock_reason');
    });
  });

  describe('authenticate', () => {
    it('succeeds for an active user; recordLogin counts the login', async () => {
      const user = await users.create(orgA, { email: email('ok'), password: PASSWORD });
      const result = await users.authenticate(orgA, ` ${user.email.toUpperCase()} `, PASSWORD);
      expect(result).toMatchObject({ ok: true, user: { id: user.id } });
      expect(result).not.toHaveProperty('unlockedAfterCooldown');
      clock.advance(MINUTE);
      const after = await users.recordLogin(orgA, user.id);
      expect(after).toMatchObject({ loginCount: 1, lastLoginAt: new Date(clock.now()).toISOString() });
      await expectAppError(users.recordLogin(orgB, user.id), 'not_found', 'user_not_found');
    });

    it('gives each failure its reason and spends one Argon2 verification on every path', async () => {
      const make = async (tag: string, extra: Record<string, unknown> = {}) =>
        users.create(orgA, { email: email(tag), password: PASSWORD, ...extra });
      const inactive = await make('inactive', { status: 'inactive' });
      const suspended = await make('suspended');
      await users.suspend(orgA, suspended.id);
      const locked = await make('locked');
      await users.lock(orgA, locked.id);
      const passwordless = await users.create(orgA, { email: email('nopw') });
      const active = await make('active');

      const cases: [string, string, string, Record<string, unknown>][] = [
        ['nobody@nowhere.test', PASSWORD, 'unknown_user', {}],
        [active.email, 'wrong password!', 'bad_password', { userId: active.id, failedCount: 1 }],
        [inactive.email, PASSWORD, 'status_inactive', { userId: inactive.id }],
        [suspended.email, PASSWORD, 'status_suspended', { userId: suspended.id }],
        [locked.email, PASSWORD, 'status_locked', { userId: locked.id }],
        [passwordless.email, PASSWORD, 'no_password', { userId: passwordless.id }],
        [inactive.email, 'wrong password!', 'bad_password', { userId: inactive.id }],
        [locked.email, 'wrong password!', 'bad_password', { userId: locked.id }],
      ];
      for (const [address, password, reason, extra] of cases) {
        hashing.reset();
        const result = await users.authenticate(orgA, address, password);
        expect(result).toEqual({ ok: false, reason, ...extra });
        expect(hashing.counter.verify + hashing.counter.dummy, `${reason} verifications`).toBe(1);
      }
      // Non-active accounts never count failures.
      expect((await users.getById(orgA, inactive.id)).failedLoginCount).toBe(0);
      expect((await users.getById(orgA, locked.id)).failedLoginCount).toBe(0);
      // Unknown org or malformed input: still one dummy verification, same answer.
      hashing.reset();
      expect(await users.authenticate('nope', active.email, PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
      expect(await users.authenticate(orgB, active.email, PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
      expect(hashing.counter.dummy).toBe(2);
    });

    it('locks at the threshold, then refuses even the right password', async () => {
      settings.set('account_lockout_threshold', 3);
      try {
        const user = await users.create(orgA, { email: email('thr'), password: PASSWORD });
        expect(await users.authenticate(orgA, user.email, 'bad-1-password')).toMatchObject({ reason: 'bad_password', failedCount: 1 });
        expect(await users.authenticate(orgA, user.email, 'bad-2-password')).not.toHaveProperty('locked');
        clock.advance(1000);
        expect(await users.authenticate(orgA, user.email, 'bad-3-password')).toEqual({
          ok: false, reason: 'bad_password', userId: user.id, failedCount: 3, locked: true, threshold: 3,
        });
        expect(await users.getById(orgA, user.id)).toMatchObject({
          status: 'locked', lockedReason: 'auto_lockout', lockedAt: new Date(clock.now()).toISOString(),
          failedLoginCount: 3, lastFailedLoginAt: new Date(clock.now()).toISOString(),
        });
        expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({ ok: false, reason: 'status_locked', userId: user.id });
        expect((await users.getById(orgA, user.id)).failedLoginCount).toBe(3);
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    it('locks exactly once under concurrent failures', async () => {
      settings.set('account_lockout_threshold', 3);
      try {
        const user = await users.create(orgA, { email: email('conc'), password: PASSWORD });
        const results = await Promise.all(Array.from({ length: 6 }, () => users.authenticate(orgA, user.email, 'wrong password!')));
        expect(results.filter((r) => !r.ok && r.locked)).toHaveLength(1);
        expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'locked', failedLoginCount: 3 });
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    it('unlocks an automatic lock once the cooldown has elapsed, then evaluates the password', async () => {
      settings.set('account_lockout_threshold', 2);
      settings.set('account_lockout_cooldown_minutes', 10);
      try {
        const a = await users.create(orgA, { email: email('cool'), password: PASSWORD });
        const b = await users.create(orgA, { email: email('cool'), password: PASSWORD });
        for (const u of [a, b]) {
          await users.authenticate(orgA, u.email, 'wrong password!');
          expect(await users.authenticate(orgA, u.email, 'wrong password!')).toMatchObject({ locked: true });
        }
        clock.advance(10 * MINUTE - 1);
        expect(await users.authenticate(orgA, a.email, PASSWORD)).toMatchObject({ ok: false, reason: 'status_locked' });
        clock.advance(1);
        const ok = await users.authenticate(orgA, a.email, PASSWORD);
        expect(ok).toMatchObject({ ok: true, unlockedAfterCooldown: true, user: { status: 'active', failedLoginCount: 0 } });
        expect(await users.getById(orgA, a.id)).toMatchObject({ status: 'active', failedLoginCount: 0, lockedAt: null, lockedReason: null });
        // A wrong password after the cooldown starts a fresh count.
        expect(await users.authenticate(orgA, b.email, 'wrong password!')).toEqual({
          ok: false, reason: 'bad_password', userId: b.id, failedCount: 1, unlockedAfterCooldown: true,
        });
        expect((await users.getById(orgA, b.id)).status).toBe('active');
      } finally {
        settings.delete('account_lockout_threshold');
        settings.delete('account_lockout_cooldown_minutes');
      }
    });

    it('never lifts an admin lock automatically', async () => {
      const user = await users.create(orgA, { email: email('adm'), password: PASSWORD });
      await users.lock(orgA, user.id);
      clock.advance(7 * 24 * 60 * MINUTE);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({ ok: false, reason: 'status_locked', userId: user.id });
      expect((await users.getById(orgA, user.id)).status).toBe('locked');
    });

    it('resets the failure counter on success', async () => {
      const user = await users.create(orgA, { email: email('reset'), password: PASSWORD });
      await users.authenticate(orgA, user.email, 'wrong password!');
      await users.authenticate(orgA, user.email, 'wrong password!');
      expect((await users.getById(orgA, user.id)).failedLoginCount).toBe(2);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true, user: { failedLoginCount: 0 } });
      expect((await users.getById(orgA, user.id)).failedLoginCount).toBe(0);
    });

    it('a password reset (clearLockout) lifts an automatic lock', async () => {
      settings.set('account_lockout_threshold', 1);
      try {
        const user = await users.create(orgA, { email: email('rst'), password: PASSWORD });
        expect(await users.authenticate(orgA, user.email, 'wrong password!')).toMatchObject({ locked: true });
        const after = await users.setPassword(orgA, user.id, 'a brand new password', { clearLockout: true });
        expect(after).toMatchObject({ status: 'active', failedLoginCount: 0, lockedReason: null });
        expect((await users.authenticate(orgA, user.email, 'a brand new password')).ok).toBe(true);
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    it('falls back to the default threshold when the setting is unusable', async () => {
      settings.set('account_lockout_threshold', Number.NaN);
      try {
        const user = await users.create(orgA, { email: email('nan'), password: PASSWORD });
        for (let i = 1; i < 5; i++) expect(await users.authenticate(orgA, user.email, 'wrong password!')).not.toHaveProperty('locked');
        expect(await users.authenticate(orgA, user.email, 'wrong password!')).toMatchObject({ locked: true, threshold: 5 });
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });
  });

  describe('tenant isolation', () => {
    it("org B's calls with org A's user id answer not found", async () => {
      const user = await users.create(orgA, { email: email('iso'), password: PASSWORD });
      expect(await users.findById(orgB, user.id)).toBeNull();
      expect(await users.findByEmail(orgB, user.email)).toBeNull();
      await expectAppError(users.getById(orgB, user.id), 'not_found', 'user_not_found');
      await expectAppError(users.update(orgB, user.id, { givenName: 'x' }), 'not_found', 'user_not_found');
      await expectAppError(users.setPassword(orgB, user.id, 'another password'), 'not_found', 'user_not_found');
      await expectAppError(users.clearPassword(orgB, user.id), 'not_found', 'user_not_found');
      for (const action of ['deactivate', 'activate', 'suspend', 'unsuspend', 'lock', 'unlock'] as const) {
        await expectAppError(users[action](orgB, user.id), 'not_found', 'user_not_found');
      }
      expect((await users.list(orgB, { search: user.email })).total).toBe(0);
      expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'active', givenName: null, hasPassword: true });
    });
  });
}

onEachDatabase('users service', userSuite);
