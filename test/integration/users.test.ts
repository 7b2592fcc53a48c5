import { expectAppError } from '../support/errors.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { systemActor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import { createPasswordHasher, createUserService, type PasswordHasher, type UserService } from '../../src/users/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PASSWORD = 'correct horse battery';
const SYSTEM = systemActor();

/**
 * Counts Argon2 verifications so equal work per login path can be asserted; `verify` counts checks
 * against an account's own hash. `hold` can keep chosen checks waiting, to line up a race.
 */
function countingHasher(inner: PasswordHasher) {
  const counter = { verify: 0, dummy: 0 };
  const state: { hold: ((plain: string) => Promise<void>) | null } = { hold: null };
  const hasher: PasswordHasher = {
    params: inner.params,
    hash: (p) => inner.hash(p),
    verify: async (h, p) => {
      counter.verify += 1;
      await state.hold?.(p);
      return inner.verify(h, p);
    },
    verifyDummy: (p) => ((counter.dummy += 1), inner.verifyDummy(p)),
    needsRehash: (h) => inner.needsRehash(h),
  };
  return { hasher, counter, state, reset: () => Object.assign(counter, { verify: 0, dummy: 0 }) };
}

function userSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let svc: Services;
  let users: UserService;
  let orgA: string;
  let orgB: string;
  const settings = new Map<string, number>();
  const hashing = countingHasher(createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }));
  let seq = 0;
  const email = (tag: string) => `${tag}-${++seq}@example.com`;

  /** What a sign-in leaves behind: a tracked session and a durable token of the account. */
  async function signIn(orgId: string, userId: string): Promise<void> {
    const id = `sess-${++seq}`;
    const at = new Date(clock.now());
    await db.query(
      'INSERT INTO admin_sessions (session_id, user_id, organization_id, created_at, last_activity_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)',
      [id, userId, orgId, at, new Date(clock.now() + HOUR)],
    );
    await db.query(
      "INSERT INTO oidc_payloads (id, type, payload, organization_id, account_id) VALUES ($1, 'AccessToken', '{}', $2, $3)",
      [`at-${id}`, orgId, userId],
    );
  }
  /** Active tracked sessions and durable grants/tokens the user still holds. */
  const holdings = async (userId: string) => ({
    sessions: (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM admin_sessions WHERE user_id = $1 AND revoked_at IS NULL', [userId])).n,
    tokens: (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM oidc_payloads WHERE account_id = $1', [userId])).n,
  });
  const NOTHING = { sessions: 0, tokens: 0 };
  const SIGNED_IN = { sessions: 1, tokens: 1 };

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    orgA = (await db.one<{ id: string }>("SELECT id FROM organizations WHERE slug = 'porta-admin'")).id;
    orgB = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Org B', 'org-b') RETURNING id")).id;
    clock = createManualClock();
    const log = createLog({ env: 'test', level: 'silent' });
    svc = await servicesFor({ db, kv: createMemoryKv({ clock }), clock, log });
    // The one wiring, except for what these cases observe: Argon2 calls counted, and lockout settings
    // (even unusable ones) fed directly rather than through the system configuration.
    users = createUserService({
      db,
      clock,
      log,
      passwords: hashing.hasher,
      settings: { getNumber: async (key) => settings.get(key) ?? (key === 'account_lockout_threshold' ? 5 : 15) },
      audit: svc.audit,
      adminAccess: () => svc.adminAccess,
      sessions: () => svc.sessions,
    });
  });
  afterAll(async () => {
    svc?.stop();
    await dispose?.();
  });

  describe('create', () => {
    it('creates a user with profile, hashed password and defaults', async () => {
      const user = await users.create(SYSTEM, orgA, {
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
      const user = await users.create(SYSTEM, orgA, { email: email('plain'), status: 'inactive' });
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
        const err = await expectAppError(users.create(SYSTEM, orgA, input as never), 'invalid', 'validation_failed');
        expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
    });

    it('keeps e-mails unique per organization, case-insensitively, but not across organizations', async () => {
      const address = email('dup');
      await users.create(SYSTEM, orgA, { email: address });
      await expectAppError(users.create(SYSTEM, orgA, { email: address.toUpperCase() }), 'conflict', 'user_email_taken');
      const other = await users.create(SYSTEM, orgB, { email: address });
      expect(other.organizationId).toBe(orgB);
    });

    it('reports an unknown organization', async () => {
      await expectAppError(users.create(SYSTEM, '00000000-0000-4000-8000-000000000000', { email: email('x') }), 'not_found', 'organization_not_found');
      await expectAppError(users.create(SYSTEM, 'nope', { email: email('x') }), 'not_found', 'organization_not_found');
    });
  });

  describe('read, list, update', () => {
    it('finds by id and e-mail (case-insensitive) and throws user_not_found', async () => {
      const user = await users.create(SYSTEM, orgA, { email: email('find') });
      expect(await users.findById(orgA, user.id)).toEqual(user);
      expect(await users.getById(orgA, user.id)).toEqual(user);
      expect((await users.findByEmail(orgA, ` ${user.email.toUpperCase()} `))?.id).toBe(user.id);
      expect(await users.findById(orgA, 'not-a-uuid')).toBeNull();
      await expectAppError(users.getById(orgA, '00000000-0000-4000-8000-000000000000'), 'not_found', 'user_not_found');
    });

    it('lists with status filter, search and paging', async () => {
      const tag = `lst${Date.now()}`;
      for (let i = 0; i < 5; i++) await users.create(SYSTEM, orgB, { email: `${tag}-${i}@list.test`, givenName: i === 2 ? 'Zelda' : null });
      await users.setStatus(SYSTEM, orgB, (await users.findByEmail(orgB, `${tag}-4@list.test`))!.id, 'deactivate');
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
      const user = await users.create(SYSTEM, orgA, { email: email('upd'), givenName: 'Old', nickname: 'n', address: { street: 'a', country: 'NL' } });
      const updated = await users.update(SYSTEM, orgA, user.id, { givenName: 'New', nickname: null, address: { locality: 'Utrecht' } });
      expect(updated).toMatchObject({ givenName: 'New', nickname: null, address: { street: null, locality: 'Utrecht', country: null } });
      expect((await users.update(SYSTEM, orgA, user.id, { address: null })).address).toBeNull();
      await expectAppError(users.update(SYSTEM, orgA, user.id, { email: 'other@example.com' } as never), 'invalid', 'validation_failed');
      await expectAppError(users.update(SYSTEM, orgA, '00000000-0000-4000-8000-000000000000', { givenName: 'x' }), 'not_found', 'user_not_found');
    });

    it('sets and clears passwords, each ending every session and token of the user', async () => {
      const user = await users.create(SYSTEM, orgA, { email: email('pw') });
      clock.advance(MINUTE);
      await signIn(orgA, user.id);
      const withPassword = await users.setPassword(SYSTEM, orgA, user.id, PASSWORD);
      expect(withPassword).toMatchObject({ hasPassword: true, passwordChangedAt: new Date(clock.now()).toISOString() });
      expect(await holdings(user.id)).toEqual(NOTHING);
      expect((await users.authenticate(orgA, user.email, PASSWORD)).ok).toBe(true);
      await signIn(orgA, user.id);
      await expectAppError(users.setPassword(SYSTEM, orgA, user.id, 'short'), 'invalid', 'validation_failed');
      expect(await holdings(user.id)).toEqual(SIGNED_IN);
      expect((await users.clearPassword(SYSTEM, orgA, user.id)).hasPassword).toBe(false);
      expect(await holdings(user.id)).toEqual(NOTHING);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: false, reason: 'no_password' });
    });
  });

  describe('status changes', () => {
    it('follows the allowed transitions and refuses the rest with invalid_transition', async () => {
      const { id } = await users.create(SYSTEM, orgA, { email: email('st') });
      await signIn(orgA, id);
      expect((await users.setStatus(SYSTEM, orgA, id, 'deactivate')).status).toBe('inactive');
      expect(await holdings(id)).toEqual(NOTHING);
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'deactivate'), 'conflict', 'invalid_transition');
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'suspend'), 'conflict', 'invalid_transition');
      expect((await users.setStatus(SYSTEM, orgA, id, 'activate')).status).toBe('active');
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'activate'), 'conflict', 'invalid_transition');
      await signIn(orgA, id);
      expect((await users.setStatus(SYSTEM, orgA, id, 'suspend')).status).toBe('suspended');
      expect(await holdings(id)).toEqual(NOTHING);
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'suspend'), 'conflict', 'invalid_transition');
      expect((await users.setStatus(SYSTEM, orgA, id, 'unsuspend')).status).toBe('active');
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'unlock'), 'conflict', 'invalid_transition');
    });

    it('admin lock records the reason and time; unlock resets the counter', async () => {
      const { id, email: address } = await users.create(SYSTEM, orgA, { email: email('lk'), password: PASSWORD });
      await users.authenticate(orgA, address, 'wrong password!');
      await signIn(orgA, id);
      const locked = await users.setStatus(SYSTEM, orgA, id, 'lock');
      expect(locked).toMatchObject({ status: 'locked', lockedReason: 'admin_lock', lockedAt: new Date(clock.now()).toISOString(), failedLoginCount: 1 });
      expect(await holdings(id)).toEqual(NOTHING);
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'lock'), 'conflict', 'invalid_transition');
      const unlocked = await users.setStatus(SYSTEM, orgA, id, 'unlock');
      expect(unlocked).toMatchObject({ status: 'active', lockedReason: null, lockedAt: null, failedLoginCount: 0 });
      expect((await users.setStatus(SYSTEM, orgA, id, 'lock', { reason: 'fraud review' })).lockedReason).toBe('fraud review');
      await users.setStatus(SYSTEM, orgA, id, 'unlock');
      await expectAppError(users.setStatus(SYSTEM, orgA, id, 'lock', { reason: 'auto_lockout' }), 'invalid', 'invalid_lock_reason');
    });
  });

  describe('authenticate', () => {
    it('succeeds for an active user; recordLogin counts the login', async () => {
      const user = await users.create(SYSTEM, orgA, { email: email('ok'), password: PASSWORD });
      const result = await users.authenticate(orgA, ` ${user.email.toUpperCase()} `, PASSWORD);
      expect(result).toMatchObject({ ok: true, user: { id: user.id } });
      expect(result).not.toHaveProperty('unlockedAfterCooldown');
      clock.advance(MINUTE);
      const after = await users.recordLogin(SYSTEM, orgA, user.id);
      expect(after).toMatchObject({ loginCount: 1, lastLoginAt: new Date(clock.now()).toISOString() });
      await expectAppError(users.recordLogin(SYSTEM, orgB, user.id), 'not_found', 'user_not_found');
    });

    it('re-hashes a password made with weaker parameters at the next successful sign-in, never downgrading', async () => {
      const stronger = createUserService({
        db, clock, log: createLog({ env: 'test', level: 'silent' }), passwords: createPasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 }),
        settings: { getNumber: async (key) => (key === 'account_lockout_threshold' ? 5 : 15) },
        audit: svc.audit, adminAccess: () => svc.adminAccess, sessions: () => svc.sessions,
      });
      const user = await users.create(SYSTEM, orgA, { email: email('rehash'), password: PASSWORD });
      const stored = async () => (await db.one<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id])).password_hash;
      const original = await stored();
      expect(original).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect(await stronger.authenticate(orgA, user.email, 'not the password')).toMatchObject({ ok: false, reason: 'bad_password' });
      expect(await stored()).toBe(original);
      expect(await stronger.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true });
      const upgraded = await stored();
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
      expect(await stronger.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true });
      expect(await stored()).toBe(upgraded);
      // Lower parameters than the stored ones leave the hash as it is.
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true });
      expect(await stored()).toBe(upgraded);
    });

    it('gives each failure its reason and spends one Argon2 verification on every path', async () => {
      const make = async (tag: string, extra: Record<string, unknown> = {}) =>
        users.create(SYSTEM, orgA, { email: email(tag), password: PASSWORD, ...extra });
      const inactive = await make('inactive', { status: 'inactive' });
      const suspended = await make('suspended');
      await users.setStatus(SYSTEM, orgA, suspended.id, 'suspend');
      const locked = await make('locked');
      await users.setStatus(SYSTEM, orgA, locked.id, 'lock');
      const passwordless = await users.create(SYSTEM, orgA, { email: email('nopw') });
      const active = await make('active');

      const cases: [string, string, string, Record<string, unknown>][] = [
        ['nobody@nowhere.test', PASSWORD, 'unknown_user', {}],
        [active.email, 'wrong password!', 'bad_password', { userId: active.id, failedCount: 1 }],
        [inactive.email, PASSWORD, 'status_inactive', { userId: inactive.id }],
        [suspended.email, PASSWORD, 'status_suspended', { userId: suspended.id }],
        [locked.email, PASSWORD, 'status_locked', { userId: locked.id }],
        [passwordless.email, PASSWORD, 'no_password', { userId: passwordless.id }],
        [inactive.email, 'wrong password!', 'status_inactive', { userId: inactive.id }],
        [locked.email, 'wrong password!', 'status_locked', { userId: locked.id }],
      ];
      for (const [address, password, reason, extra] of cases) {
        hashing.reset();
        const result = await users.authenticate(orgA, address, password);
        expect(result).toEqual({ ok: false, reason, ...extra });
        expect(hashing.counter.verify + hashing.counter.dummy, `${reason} verifications`).toBe(1);
        // Only an active account's own hash is ever checked; the others spend a dummy check.
        expect(hashing.counter.verify, `${reason} checks of the account's hash`).toBe(reason === 'bad_password' ? 1 : 0);
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

    it('locks at the threshold, then refuses even the right password, leaving sessions and tokens alone', async () => {
      settings.set('account_lockout_threshold', 3);
      try {
        const user = await users.create(SYSTEM, orgA, { email: email('thr'), password: PASSWORD });
        await signIn(orgA, user.id);
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
        // Failed guesses by someone else must not sign the owner out (an automatic lockout ends nothing).
        expect(await holdings(user.id)).toEqual(SIGNED_IN);
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    it('locks exactly once under concurrent failures', async () => {
      settings.set('account_lockout_threshold', 3);
      try {
        const user = await users.create(SYSTEM, orgA, { email: email('conc'), password: PASSWORD });
        const results = await Promise.all(Array.from({ length: 6 }, () => users.authenticate(orgA, user.email, 'wrong password!')));
        expect(results.filter((r) => !r.ok && r.locked)).toHaveLength(1);
        expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'locked', failedLoginCount: 3 });
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    describe('lockout races (issue 10): never more than threshold checks per lockout window', () => {
      const THRESHOLD = 3;
      const ROUNDS = 8;
      const withThreshold = async (fn: () => Promise<void>) => {
        settings.set('account_lockout_threshold', THRESHOLD);
        try {
          await fn();
        } finally {
          settings.delete('account_lockout_threshold');
          hashing.state.hold = null;
        }
      };

      it('N concurrent wrong passwords, then the right one: at most threshold checks, the right one refused', () =>
        withThreshold(async () => {
          for (let round = 0; round < ROUNDS; round++) {
            const user = await users.create(SYSTEM, orgA, { email: email('burst'), password: PASSWORD });
            await signIn(orgA, user.id);
            hashing.reset();
            const burst = await Promise.all(Array.from({ length: 4 * THRESHOLD }, () => users.authenticate(orgA, user.email, 'wrong password!')));
            expect(hashing.counter.verify, `round ${round}`).toBe(THRESHOLD);
            expect(hashing.counter.verify + hashing.counter.dummy).toBe(4 * THRESHOLD);
            expect(burst.filter((r) => !r.ok && r.locked)).toHaveLength(1);
            expect(burst.filter((r) => !r.ok && r.reason === 'bad_password')).toHaveLength(THRESHOLD);
            expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({ ok: false, reason: 'status_locked', userId: user.id });
            expect(hashing.counter.verify).toBe(THRESHOLD);
            expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'locked', lockedReason: 'auto_lockout', failedLoginCount: THRESHOLD });
            // The automatic lock ended nothing the owner holds.
            expect(await holdings(user.id)).toEqual(SIGNED_IN);
          }
        }));

      it('the right password inside the burst is accepted only while the window has room, and resets it', () =>
        withThreshold(async () => {
          for (let round = 0; round < ROUNDS; round++) {
            const user = await users.create(SYSTEM, orgA, { email: email('mixed'), password: PASSWORD });
            hashing.reset();
            const attempts = Array.from({ length: 4 * THRESHOLD }, (_, i) => (i === 2 * THRESHOLD ? PASSWORD : 'wrong password!'));
            const results = await Promise.all(attempts.map((p) => users.authenticate(orgA, user.email, p)));
            const successes = results.filter((r) => r.ok).length;
            const after = await users.getById(orgA, user.id);
            // A success resets the count and opens a new window: at most threshold checks on each side of it.
            expect(hashing.counter.verify, `round ${round}`).toBeLessThanOrEqual(THRESHOLD * (1 + successes));
            if (successes === 0) expect(after).toMatchObject({ status: 'locked', failedLoginCount: THRESHOLD });
            expect(after.failedLoginCount).toBeLessThanOrEqual(THRESHOLD);
          }
        }));

      it('refuses the right password without checking it while the last allowed checks are still running', () =>
        withThreshold(async () => {
          for (let round = 0; round < 3; round++) {
            const user = await users.create(SYSTEM, orgA, { email: email('held'), password: PASSWORD });
            hashing.reset();
            let release!: () => void;
            const gate = new Promise<void>((resolve) => (release = resolve));
            hashing.state.hold = (plain) => (plain === PASSWORD ? Promise.resolve() : gate);
            const wrong = Array.from({ length: THRESHOLD }, () => users.authenticate(orgA, user.email, 'wrong password!'));
            await vi.waitFor(() => expect(hashing.counter.verify).toBe(THRESHOLD));
            // Every attempt of the window is taken, none has failed yet: the right password is not evaluated.
            expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({ ok: false, reason: 'status_locked', userId: user.id });
            expect(hashing.counter.verify).toBe(THRESHOLD);
            release();
            const results = await Promise.all(wrong);
            expect(results.filter((r) => !r.ok && r.locked)).toEqual([{ ok: false, reason: 'bad_password', userId: user.id, failedCount: THRESHOLD, locked: true, threshold: THRESHOLD }]);
            expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: false, reason: 'status_locked' });
            expect(hashing.counter.verify).toBe(THRESHOLD);
          }
        }));

      it('accepts the right password as the last allowed check, lifting the lock its own reservation took', () =>
        withThreshold(async () => {
          const user = await users.create(SYSTEM, orgA, { email: email('last'), password: PASSWORD });
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          hashing.state.hold = (plain) => (plain === PASSWORD ? Promise.resolve() : gate);
          hashing.reset();
          const wrong = Array.from({ length: THRESHOLD - 1 }, () => users.authenticate(orgA, user.email, 'wrong password!'));
          await vi.waitFor(() => expect(hashing.counter.verify).toBe(THRESHOLD - 1));
          expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true, user: { status: 'active', failedLoginCount: 0, lockedAt: null } });
          release();
          expect((await Promise.all(wrong)).filter((r) => !r.ok && r.locked)).toEqual([]);
          expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'active', lockedReason: null });
        }));

      it('locks without a check when the count already reached a lowered threshold', async () => {
        const user = await users.create(SYSTEM, orgA, { email: email('lower'), password: PASSWORD });
        for (let i = 0; i < 3; i++) await users.authenticate(orgA, user.email, 'wrong password!');
        settings.set('account_lockout_threshold', 2);
        try {
          hashing.reset();
          expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({
            ok: false, reason: 'status_locked', userId: user.id, failedCount: 4, locked: true, threshold: 2,
          });
          expect([hashing.counter.verify, hashing.counter.dummy]).toEqual([0, 1]);
          expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'locked', lockedReason: 'auto_lockout' });
        } finally {
          settings.delete('account_lockout_threshold');
        }
      });
    });

    it('unlocks an automatic lock once the cooldown has elapsed, then evaluates the password', async () => {
      settings.set('account_lockout_threshold', 2);
      settings.set('account_lockout_cooldown_minutes', 10);
      try {
        const a = await users.create(SYSTEM, orgA, { email: email('cool'), password: PASSWORD });
        const b = await users.create(SYSTEM, orgA, { email: email('cool'), password: PASSWORD });
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
      const user = await users.create(SYSTEM, orgA, { email: email('adm'), password: PASSWORD });
      await users.setStatus(SYSTEM, orgA, user.id, 'lock');
      clock.advance(7 * 24 * 60 * MINUTE);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toEqual({ ok: false, reason: 'status_locked', userId: user.id });
      expect((await users.getById(orgA, user.id)).status).toBe('locked');
    });

    it('resets the failure counter on success', async () => {
      const user = await users.create(SYSTEM, orgA, { email: email('reset'), password: PASSWORD });
      await users.authenticate(orgA, user.email, 'wrong password!');
      await users.authenticate(orgA, user.email, 'wrong password!');
      const failedAt = new Date(clock.now()).toISOString();
      expect(await users.getById(orgA, user.id)).toMatchObject({ failedLoginCount: 2, lastFailedLoginAt: failedAt });
      clock.advance(MINUTE);
      expect(await users.authenticate(orgA, user.email, PASSWORD)).toMatchObject({ ok: true, user: { failedLoginCount: 0 } });
      // The successful check is not left behind as a failure.
      expect(await users.getById(orgA, user.id)).toMatchObject({ failedLoginCount: 0, lastFailedLoginAt: failedAt });
    });

    it('a password reset (clearLockout) lifts an automatic lock', async () => {
      settings.set('account_lockout_threshold', 1);
      try {
        const user = await users.create(SYSTEM, orgA, { email: email('rst'), password: PASSWORD });
        expect(await users.authenticate(orgA, user.email, 'wrong password!')).toMatchObject({ locked: true });
        const after = await users.setPassword(SYSTEM, orgA, user.id, 'a brand new password', { clearLockout: true });
        expect(after).toMatchObject({ status: 'active', failedLoginCount: 0, lockedReason: null });
        expect((await users.authenticate(orgA, user.email, 'a brand new password')).ok).toBe(true);
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });

    it('falls back to the default threshold when the setting is unusable', async () => {
      settings.set('account_lockout_threshold', Number.NaN);
      try {
        const user = await users.create(SYSTEM, orgA, { email: email('nan'), password: PASSWORD });
        for (let i = 1; i < 5; i++) expect(await users.authenticate(orgA, user.email, 'wrong password!')).not.toHaveProperty('locked');
        expect(await users.authenticate(orgA, user.email, 'wrong password!')).toMatchObject({ locked: true, threshold: 5 });
      } finally {
        settings.delete('account_lockout_threshold');
      }
    });
  });

  describe('tenant isolation', () => {
    it("org B's calls with org A's user id answer not found", async () => {
      const user = await users.create(SYSTEM, orgA, { email: email('iso'), password: PASSWORD });
      expect(await users.findById(orgB, user.id)).toBeNull();
      expect(await users.findByEmail(orgB, user.email)).toBeNull();
      await expectAppError(users.getById(orgB, user.id), 'not_found', 'user_not_found');
      await expectAppError(users.update(SYSTEM, orgB, user.id, { givenName: 'x' }), 'not_found', 'user_not_found');
      await expectAppError(users.setPassword(SYSTEM, orgB, user.id, 'another password'), 'not_found', 'user_not_found');
      await expectAppError(users.clearPassword(SYSTEM, orgB, user.id), 'not_found', 'user_not_found');
      for (const action of ['deactivate', 'activate', 'suspend', 'unsuspend', 'lock', 'unlock'] as const) {
        await expectAppError(users.setStatus(SYSTEM, orgB, user.id, action), 'not_found', 'user_not_found');
      }
      expect((await users.list(orgB, { search: user.email })).total).toBe(0);
      expect(await users.getById(orgA, user.id)).toMatchObject({ status: 'active', givenName: null, hasPassword: true });
    });
  });
}

onEachDatabase('users service', userSuite);
