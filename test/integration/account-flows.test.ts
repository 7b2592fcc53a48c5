import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { servicesFor } from '../support/domain.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { systemActor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import { createAccountTokenRepo, hashAccountToken } from '../../src/users/account-tokens.js';

const SYSTEM = systemActor();
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'Lantern-orbit-9317';
const tag = () => randomBytes(4).toString('hex');
const FROM = { ip: '203.0.113.9', userAgent: 'vitest' };

/** Spec 60 §3 and §5 use cases, and the single-use link tables of migration 017. */
function accountFlowSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let org: { id: string; slug: string; name: string; companyName: null };
  const log = createLog({ env: 'test', level: 'silent' });

  const newUser = (status?: 'active' | 'inactive') =>
    svc.users.create(SYSTEM, org.id, { email: `u-${tag()}@example.com`, password: PASSWORD, ...(status ? { status } : {}) });
  const outbox = (to: string) => db.many<{ template: string; data: { link?: string } }>('SELECT template, data FROM mail_outbox WHERE recipient = $1 ORDER BY created_at', [to]);
  const lastLink = async (to: string) => (await outbox(to)).at(-1)?.data.link ?? '';
  const tokenOf = (link: string) => link.split('/').at(-1)!;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.now());
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    const o = await svc.organizations.create(SYSTEM, { name: 'Flow Org', slug: `flow-${tag()}` });
    org = { id: o.id, slug: o.slug, name: o.name, companyName: null };
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  describe('link tokens', () => {
    it('stores only the SHA-256 of the secret and retires the earlier unused links of the same kind', async () => {
      const user = await newUser();
      const tokens = createAccountTokenRepo(db);
      const first = await tokens.issue('password_reset', user.id, new Date(clock.now()), 3600);
      const other = await tokens.issue('magic_link', user.id, new Date(clock.now()), 900);
      const second = await tokens.issue('password_reset', user.id, new Date(clock.now()), 3600);
      const rows = await db.many<{ token_hash: string; used_at: Date | null }>('SELECT token_hash, used_at FROM password_reset_tokens WHERE user_id = $1 ORDER BY created_at, used_at NULLS LAST', [user.id]);
      expect(rows.map((r) => r.token_hash).sort()).toEqual([hashAccountToken(first.token), hashAccountToken(second.token)].sort());
      expect(rows.map((r) => r.token_hash)).not.toContain(first.token);
      expect(await tokens.findUsable('password_reset', org.id, first.token, new Date(clock.now()))).toBeNull();
      expect(await tokens.findUsable('password_reset', org.id, second.token, new Date(clock.now()))).not.toBeNull();
      expect(await tokens.findUsable('magic_link', org.id, other.token, new Date(clock.now()))).not.toBeNull();
    });

    it('is used by exactly one of many concurrent redemptions', async () => {
      const user = await newUser();
      const tokens = createAccountTokenRepo(db);
      for (const kind of ['magic_link', 'password_reset', 'invitation'] as const) {
        const { token } = await tokens.issue(kind, user.id, new Date(clock.now()), 600);
        const results = await Promise.all(Array.from({ length: 12 }, () => tokens.consume(kind, org.id, token, new Date(clock.now()))));
        expect(results.filter(Boolean), kind).toHaveLength(1);
        expect(await tokens.consume(kind, org.id, token, new Date(clock.now())), kind).toBeNull();
      }
    });

    it('is refused once expired and in another organization', async () => {
      const user = await newUser();
      const other = await svc.organizations.create(SYSTEM, { name: 'Elsewhere', slug: `else-${tag()}` });
      const tokens = createAccountTokenRepo(db);
      const { token } = await tokens.issue('magic_link', user.id, new Date(clock.now()), 60);
      expect(await tokens.consume('magic_link', other.id, token, new Date(clock.now()))).toBeNull();
      expect(await tokens.findUsable('magic_link', org.id, token, new Date(clock.now() + 61_000))).toBeNull();
      expect(await tokens.consume('magic_link', org.id, token, new Date(clock.now() + 61_000))).toBeNull();
      expect(await tokens.consume('magic_link', org.id, token, new Date(clock.now()))).not.toBeNull();
    });
  });

  describe('password reset', () => {
    it('sends a link to an active user only', async () => {
      const active = await newUser();
      const inactive = await newUser('inactive');
      const suspended = await newUser();
      await svc.users.setStatus(SYSTEM, org.id, suspended.id, 'suspend');
      for (const u of [active, inactive, suspended]) await svc.users.requestPasswordReset(org, u.email, FROM);
      await svc.users.requestPasswordReset(org, `nobody-${tag()}@example.com`, FROM);
      const link = await lastLink(active.email);
      expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:3000/${org.slug}/auth/reset-password/[A-Za-z0-9_-]{43}$`));
      expect(await outbox(inactive.email)).toEqual([]);
      expect(await outbox(suspended.email)).toEqual([]);
    });

    it('checks the confirmation and the policy before using the link, then ends every session and notifies', async () => {
      const user = await newUser();
      await db.query("INSERT INTO oidc_payloads (id, type, payload, grant_id, organization_id, account_id) VALUES ($1, 'Grant', '{}', $1, $2, $3)", [`g-${tag()}`, org.id, user.id]);
      await svc.users.requestPasswordReset(org, user.email.toUpperCase(), FROM);
      const token = tokenOf(await lastLink(user.email));
      expect(await svc.users.resetPassword(org, token, NEW_PASSWORD, `${NEW_PASSWORD}x`, FROM)).toEqual({ ok: false, reason: 'mismatch' });
      expect(await svc.users.resetPassword(org, token, 'password1', 'password1', FROM)).toEqual({ ok: false, reason: 'too_common' });
      expect(await svc.users.resetPassword(org, token, user.email, user.email, FROM)).toEqual({ ok: false, reason: 'same_as_email' });
      expect(await svc.users.resetPassword(org, token, 'Flow Org', 'Flow Org', FROM)).toEqual({ ok: false, reason: 'same_as_organization' });
      expect(await svc.users.resetPassword(org, token, 'short', 'short', FROM)).toEqual({ ok: false, reason: 'too_short' });
      const done = await svc.users.resetPassword(org, token, NEW_PASSWORD, NEW_PASSWORD, FROM);
      expect(done.ok).toBe(true);
      expect(await db.many('SELECT id FROM oidc_payloads WHERE account_id = $1', [user.id])).toEqual([]);
      expect((await outbox(user.email)).map((m) => m.template)).toEqual(['password_reset', 'password_changed']);
      expect((await svc.users.authenticate(org.id, user.email, NEW_PASSWORD)).ok).toBe(true);
      expect(await svc.users.resetPassword(org, token, NEW_PASSWORD, NEW_PASSWORD, FROM)).toEqual({ ok: false, reason: 'invalid_token' });
      const events = (await svc.audit.list({ targetId: user.id, limit: 20 })).data.map((e) => e.eventType);
      expect(events).toEqual(expect.arrayContaining(['user.password_reset.requested', 'user.password_reset.completed']));
      // A used link no longer names its user: the failure is recorded without one.
      const failed = await db.one<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'user.password_reset.failed' AND organization_id = $1", [org.id]);
      expect(failed.n).toBeGreaterThan(0);
    });

    it('lets exactly one of concurrent resets through', async () => {
      const user = await newUser();
      await svc.users.requestPasswordReset(org, user.email, FROM);
      const token = tokenOf(await lastLink(user.email));
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => svc.users.resetPassword(org, token, `${NEW_PASSWORD}-${i}`, `${NEW_PASSWORD}-${i}`, FROM)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect((await outbox(user.email)).filter((m) => m.template === 'password_changed')).toHaveLength(1);
    });
  });

  describe('the password policy everywhere a password is set', () => {
    it('refuses weak passwords on admin create and set-password, which notifies the user', async () => {
      await expectAppError(svc.users.create(SYSTEM, org.id, { email: `w-${tag()}@example.com`, password: 'qwerty123' }), 'invalid', 'validation_failed');
      const email = `same-${tag()}@example.com`;
      await expectAppError(svc.users.create(SYSTEM, org.id, { email, password: email }), 'invalid', 'validation_failed');
      const user = await newUser();
      await expectAppError(svc.users.setPassword(SYSTEM, org.id, user.id, 'iloveyou1'), 'invalid', 'validation_failed');
      expect(await outbox(user.email)).toEqual([]);
      await svc.users.setPassword(SYSTEM, org.id, user.id, NEW_PASSWORD);
      expect((await outbox(user.email)).map((m) => m.template)).toEqual(['password_changed']);
    });
  });
}

onEachDatabase('account flows', accountFlowSuite);
