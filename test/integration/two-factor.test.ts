import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { servicesFor } from '../support/domain.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { accountActor, adminActor, systemActor, type Actor, type AdminPermission } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import type { TwoFactorPolicy } from '../../src/two-factor/index.js';
import { totpCodeAt, TOTP_PERIOD_SECONDS } from '../../src/two-factor/index.js';
import { createSecretBox } from '../../src/two-factor/crypto.js';

const SYSTEM = systemActor();
const tag = () => randomBytes(4).toString('hex');
const FROM = { ip: '203.0.113.7', userAgent: 'vitest' };
const STEP_MS = TOTP_PERIOD_SECONDS * 1000;
const base32Decode = (s: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};

/** Spec 60 §4 use cases and the single-use guarantees of migration 021, on both database engines. */
function twoFactorSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let orgId: string;
  const log = createLog({ env: 'test', level: 'silent' });

  const setPolicy = (policy: TwoFactorPolicy) => svc.organizations.updateTwoFactorPolicy(SYSTEM, orgId, { twoFactorPolicy: policy });
  const newUser = () => svc.users.create(SYSTEM, orgId, { email: `u-${tag()}@example.com`, password: 'Lantern-orbit-9317' });
  const me = (u: User): Actor => accountActor(u, FROM, 'login');
  const lastMail = async (to: string, template: string) =>
    (await db.maybeOne<{ data: Record<string, unknown> }>('SELECT data FROM mail_outbox WHERE recipient = $1 AND template = $2 ORDER BY created_at DESC, id DESC LIMIT 1', [to, template]))?.data;
  const mails = (to: string, template: string) => db.many<{ data: Record<string, unknown> }>('SELECT data FROM mail_outbox WHERE recipient = $1 AND template = $2 ORDER BY created_at', [to, template]);
  const events = async (userId: string, type: string) => (await svc.audit.list({ event: type, user: userId })).data;
  const lastOtp = async (u: User) => String((await lastMail(u.email, 'otp_code'))!.code);
  /** Outbox rows carry the injected clock's time: a second between sends keeps "the last one" well defined. */
  const sendOtp = async (u: User, options?: { isResend?: boolean }) => {
    clock.advance(1000);
    await svc.twoFactor.sendEmailOtp(me(u), orgId, u.id, options);
    return lastOtp(u);
  };

  /** A user with TOTP enrolled; returns the raw secret so the test computes codes as an app would. */
  async function enrolTotp(u: User): Promise<{ secret: Buffer; recoveryCodes: string[] }> {
    const started = await svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id);
    const secret = base32Decode(started.secret);
    const { recoveryCodes } = await svc.twoFactor.confirmTotpEnrolment(me(u), orgId, u.id, totpCodeAt(secret, clock.now()));
    clock.advance(STEP_MS);
    return { secret, recoveryCodes };
  }

  async function enrolEmail(u: User): Promise<string[]> {
    const result = await svc.twoFactor.verify(me(u), orgId, u.id, { code: await sendOtp(u), codeType: 'otp' });
    expect(result).toMatchObject({ ok: true, method: 'email' });
    return result.ok ? result.recoveryCodes! : [];
  }

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 2, 1, 12, 0, 10));
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    orgId = (await svc.organizations.create(SYSTEM, { name: 'Factor Org', slug: `factors-${tag()}`, branding: { companyName: 'Factor Co' } })).id;
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  describe('authenticator app (TOTP)', () => {
    it('enrols with a QR code, stores the secret sealed, enables TOTP and notifies', async () => {
      await setPolicy('optional');
      const u = await newUser();
      const started = await svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id);
      expect(started.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(started.otpauthUrl).toContain(`otpauth://totp/Factor%20Co:${encodeURIComponent(u.email)}`);
      expect(started.qrCodeDataUri).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      const row = await db.one<{ encrypted_secret: string; verified: boolean }>('SELECT encrypted_secret, verified FROM user_totp WHERE user_id = $1', [u.id]);
      expect(row.verified).toBe(false);
      const secret = base32Decode(started.secret);
      expect(row.encrypted_secret).not.toContain(secret.toString('hex'));
      expect((await svc.twoFactor.status(orgId, u.id))).toMatchObject({ enabled: false, totpConfigured: true, totpVerified: false });

      await expectAppError(svc.twoFactor.confirmTotpEnrolment(me(u), orgId, u.id, '000000' === totpCodeAt(secret, clock.now()) ? '111111' : '000000'), 'invalid', 'invalid_two_factor_code');
      expect(await events(u.id, '2fa.setup.totp.failed')).toHaveLength(1);

      const { recoveryCodes } = await svc.twoFactor.confirmTotpEnrolment(me(u), orgId, u.id, totpCodeAt(secret, clock.now()));
      expect(recoveryCodes).toHaveLength(10);
      expect(await svc.twoFactor.status(orgId, u.id)).toEqual({
        enabled: true, method: 'totp', totpConfigured: true, totpVerified: true, recoveryCodesRemaining: 10, passkeys: 0, policy: 'optional',
      });
      expect(await events(u.id, '2fa.setup.totp.complete')).toHaveLength(1);
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'totp_enrolled', organizationName: 'Factor Co' });
      // The step that confirmed the enrolment is spent.
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' })).toEqual({ ok: false, reason: 'replayed' });
    });

    it('accepts each step once: N concurrent uses of one code have exactly one winner; older steps are refused', async () => {
      const u = await newUser();
      const { secret } = await enrolTotp(u);
      const code = totpCodeAt(secret, clock.now());
      const results = await Promise.all(Array.from({ length: 8 }, () => svc.twoFactor.verify(me(u), orgId, u.id, { code, codeType: 'totp' })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(7).fill('replayed'));
      // The next step (clock skew) is fine once; the previous one is then behind the guard.
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now() + STEP_MS), codeType: 'totp' })).toMatchObject({ ok: true });
      clock.advance(STEP_MS);
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now() - STEP_MS), codeType: 'totp' })).toEqual({ ok: false, reason: 'replayed' });
      clock.advance(STEP_MS);
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now() - 3 * STEP_MS), codeType: 'totp' })).toEqual({ ok: false, reason: 'invalid_code' });
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' })).toMatchObject({ ok: true, method: 'totp' });
      expect((await events(u.id, '2fa.verify.failed')).length).toBeGreaterThanOrEqual(9);
    });

    it('fails verification with a logged reason, not a crash, when TWO_FACTOR_ENCRYPTION_KEY changed', async () => {
      const u = await newUser();
      const { secret } = await enrolTotp(u);
      const lines: Array<Record<string, unknown>> = [];
      const captured = createLog({ env: 'test', level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
      const other = await servicesFor({ db, kv, clock, log: captured }, { TWO_FACTOR_ENCRYPTION_KEY: 'cd'.repeat(32) });
      try {
        const result = await other.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' });
        expect(result).toEqual({ ok: false, reason: 'secret_unreadable' });
        expect((await events(u.id, '2fa.verify.failed')).at(0)?.metadata).toEqual({ method: 'totp', reason: 'secret_unreadable' });
        const logged = lines.find((l) => String(l.msg).startsWith('two_factor.totp_secret_unreadable'));
        expect(logged).toMatchObject({ level: 'error', userId: u.id, organizationId: orgId });
      } finally {
        other.stop();
      }
      // The original key still opens it: nothing was overwritten.
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: totpCodeAt(secret, clock.now()), codeType: 'totp' })).toMatchObject({ ok: true });
    });

    it('binds the sealed secret to its user: a row copied onto another user does not open', async () => {
      const a = await newUser();
      const b = await newUser();
      await enrolTotp(a);
      const { secret: secretB } = await enrolTotp(b);
      await db.query(
        `UPDATE user_totp SET encrypted_secret = s.encrypted_secret, encryption_iv = s.encryption_iv, encryption_tag = s.encryption_tag
           FROM user_totp s WHERE s.user_id = $1 AND user_totp.user_id = $2`,
        [a.id, b.id],
      );
      expect(await svc.twoFactor.verify(me(b), orgId, b.id, { code: totpCodeAt(secretB, clock.now()), codeType: 'totp' })).toEqual({ ok: false, reason: 'secret_unreadable' });
      expect(createSecretBox('ab'.repeat(32)).isConfigured).toBe(true);
    });

    it('refuses a new enrolment while an accepted factor exists, and enrolment by anyone but the owner', async () => {
      const u = await newUser();
      await enrolTotp(u);
      // Someone past the password cannot swap in an authenticator of their own.
      await expectAppError(svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id), 'conflict', 'two_factor_already_enabled');
      await expectAppError(svc.twoFactor.sendEmailOtp(me(u), orgId, u.id), 'forbidden', 'two_factor_method_not_allowed');
      const stranger = await newUser();
      await expectAppError(svc.twoFactor.startTotpEnrolment(me(stranger), orgId, u.id), 'forbidden', 'forbidden');
      const admin = adminActor({ userId: stranger.id, organizationId: orgId, permissions: new Set<AdminPermission>(['admin:user:2fa']), isSuperAdmin: true });
      await expectAppError(svc.twoFactor.startTotpEnrolment(admin, orgId, (await newUser()).id), 'forbidden', 'forbidden');
    });
  });

  describe('e-mail codes', () => {
    it('enrols e-mail on the first good code, shows recovery codes once, never puts the code in the subject', async () => {
      await setPolicy('required_email');
      const u = await newUser();
      await expectAppError(svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id), 'forbidden', 'two_factor_method_not_allowed');
      const recoveryCodes = await enrolEmail(u);
      expect(recoveryCodes).toHaveLength(10);
      expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: true, method: 'email', recoveryCodesRemaining: 10 });
      expect((await events(u.id, '2fa.setup.email.complete'))).toHaveLength(1);
      expect((await events(u.id, '2fa.verify.success')).map((e) => e.metadata)).toEqual([{ method: 'email' }]);
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'email_enrolled' });
      const hash = await db.one<{ code_hash: string }>('SELECT code_hash FROM two_factor_otp_codes WHERE user_id = $1', [u.id]);
      expect(hash.code_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('uses each code once: N concurrent verifies have exactly one winner', async () => {
      await setPolicy('required_email');
      const u = await newUser();
      await enrolEmail(u);
      const code = await sendOtp(u, { isResend: true });
      const results = await Promise.all(Array.from({ length: 8 }, () => svc.twoFactor.verify(me(u), orgId, u.id, { code, codeType: 'otp' })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(7).fill('used'));
      expect(await events(u.id, '2fa.otp.resent')).toHaveLength(1);
    });

    it('stops a code after five wrong tries, and once it expires', async () => {
      await setPolicy('required_email');
      const u = await newUser();
      await enrolEmail(u);
      const code = await sendOtp(u);
      const wrong = code === '000000' ? '000001' : '000000';
      for (let i = 0; i < 5; i++) expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: wrong, codeType: 'otp' })).toEqual({ ok: false, reason: 'invalid_code' });
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code, codeType: 'otp' })).toEqual({ ok: false, reason: 'too_many_attempts' });

      const fresh = await sendOtp(u);
      clock.advance(601_000);
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: fresh, codeType: 'otp' })).toEqual({ ok: false, reason: 'expired' });
    });

    it('keeps at most five live codes per user, dropping the oldest', async () => {
      await setPolicy('required_email');
      const u = await newUser();
      await enrolEmail(u);
      for (let i = 0; i < 7; i++) await sendOtp(u);
      const sent = (await mails(u.email, 'otp_code')).slice(-7).map((m) => String(m.data.code));
      expect((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM two_factor_otp_codes WHERE user_id = $1 AND used_at IS NULL', [u.id])).n).toBe(5);
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: sent[0]!, codeType: 'otp' })).toMatchObject({ ok: false });
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: sent[6]!, codeType: 'otp' })).toMatchObject({ ok: true });
    });

    it('does not let an e-mail factor satisfy a policy that no longer accepts it', async () => {
      await setPolicy('required_email');
      const u = await newUser();
      await enrolEmail(u);
      const recovery = await svc.twoFactor.regenerateRecoveryCodes(SYSTEM, orgId, u.id);
      const code = await sendOtp(u);
      await setPolicy('required_totp');
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code, codeType: 'otp' })).toEqual({ ok: false, reason: 'method_not_allowed' });
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: recovery.recoveryCodes[0]!, codeType: 'recovery' })).toEqual({ ok: false, reason: 'method_not_allowed' });
      await expectAppError(svc.twoFactor.sendEmailOtp(me(u), orgId, u.id), 'forbidden', 'two_factor_method_not_allowed');
      // Re-enrolling in TOTP is what is left, and it replaces e-mail.
      const started = await svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id);
      await svc.twoFactor.confirmTotpEnrolment(me(u), orgId, u.id, totpCodeAt(base32Decode(started.secret), clock.now()));
      expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: true, method: 'totp' });
    });
  });

  describe('recovery codes', () => {
    it('work once each, case- and dash-insensitively, and say how many are left', async () => {
      await setPolicy('optional');
      const u = await newUser();
      const { recoveryCodes } = await enrolTotp(u);
      const typed = recoveryCodes[3]!.toLowerCase().replace('-', ' ');
      const started = Date.now();
      const first = await svc.twoFactor.verify(me(u), orgId, u.id, { code: typed, codeType: 'recovery' });
      const elapsedMs = Date.now() - started;
      expect(first).toEqual({ ok: true, method: 'recovery', recoveryCodesRemaining: 9 });
      expect(elapsedMs).toBeLessThan(10_000);
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: recoveryCodes[3]!, codeType: 'recovery' })).toEqual({ ok: false, reason: 'invalid_code' });
      expect((await events(u.id, '2fa.recovery.used')).map((e) => e.metadata)).toEqual([{ remaining: 9 }]);
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'recovery_code_used', remaining: 9 });
      expect(await svc.twoFactor.verify(me(u), orgId, u.id, { code: 'ABCD-EFGI', codeType: 'recovery' })).toEqual({ ok: false, reason: 'invalid_code' });
    });

    it('N concurrent uses of one recovery code have exactly one winner', async () => {
      const u = await newUser();
      const { recoveryCodes } = await enrolTotp(u);
      const results = await Promise.all(Array.from({ length: 6 }, () => svc.twoFactor.verify(me(u), orgId, u.id, { code: recoveryCodes[0]!, codeType: 'recovery' })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(5).fill('used'));
      expect((await svc.twoFactor.status(orgId, u.id)).recoveryCodesRemaining).toBe(9);
      const stored = await db.many<{ code_hash: string }>('SELECT code_hash FROM two_factor_recovery_codes WHERE user_id = $1', [u.id]);
      expect(stored.every((r) => r.code_hash.startsWith('$argon2id$'))).toBe(true);
    }, 60_000);
  });

  describe('admin control (spec 20 §5.6)', () => {
    let adminUser: User;
    const admin = (permissions: AdminPermission[]) => adminActor({ userId: adminUser.id, organizationId: orgId, permissions: new Set(permissions), isSuperAdmin: false });
    beforeAll(async () => {
      adminUser = await newUser();
    });

    it('disables and resets with 409 when nothing is enabled, deleting every factor, auditing and notifying', async () => {
      await setPolicy('optional');
      const u = await newUser();
      const full = admin(['admin:user:2fa', 'admin:user:read']);
      await expectAppError(svc.twoFactor.disable(full, orgId, u.id), 'conflict', 'two_factor_not_enabled');
      await expectAppError(svc.twoFactor.reset(full, orgId, u.id), 'conflict', 'two_factor_not_enabled');
      await expectAppError(svc.twoFactor.regenerateRecoveryCodes(full, orgId, u.id), 'conflict', 'two_factor_not_enabled');
      await enrolTotp(u);
      await expectAppError(svc.twoFactor.disable(admin(['admin:user:read']), orgId, u.id), 'forbidden', 'forbidden');

      const regenerated = await svc.twoFactor.regenerateRecoveryCodes(full, orgId, u.id);
      expect(regenerated.count).toBe(10);
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'recovery_codes_regenerated' });

      clock.advance(1000);
      await svc.twoFactor.disable(full, orgId, u.id);
      for (const table of ['user_totp', 'two_factor_otp_codes', 'two_factor_recovery_codes']) {
        expect((await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [u.id])).n, table).toBe(0);
      }
      expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: false, method: null, totpConfigured: false, recoveryCodesRemaining: 0 });
      const [disabled] = await events(u.id, 'user.2fa.disabled');
      expect(disabled).toMatchObject({ actorId: adminUser.id, eventCategory: 'admin', metadata: { previousMethod: 'totp', deletedTotp: 1, deletedRecoveryCodes: 10 } });
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'disabled' });

      await enrolTotp(u);
      clock.advance(1000);
      await svc.twoFactor.reset(full, orgId, u.id);
      expect(await events(u.id, 'user.2fa.reset')).toHaveLength(1);
      expect(await lastMail(u.email, 'two_factor_changed')).toMatchObject({ change: 'reset' });
      // A reset user enrols again at the next sign-in the policy asks for (the sign-in pages use this).
      expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: false });
    });

    it('under required_passkey, offers neither e-mail codes nor an authenticator app', async () => {
      await setPolicy('required_passkey');
      const u = await newUser();
      await expectAppError(svc.twoFactor.startTotpEnrolment(me(u), orgId, u.id), 'forbidden', 'two_factor_method_not_allowed');
      await expectAppError(svc.twoFactor.sendEmailOtp(me(u), orgId, u.id), 'forbidden', 'two_factor_method_not_allowed');
      expect(await svc.twoFactor.status(orgId, u.id)).toMatchObject({ enabled: false, policy: 'required_passkey' });
      await setPolicy('optional');
    });

    it('finds no user of another organization', async () => {
      const u = await newUser();
      await enrolTotp(u);
      const otherOrg = await svc.organizations.create(SYSTEM, { name: 'Elsewhere', slug: `else-${tag()}` });
      await expectAppError(svc.twoFactor.disable(admin(['admin:user:2fa']), otherOrg.id, u.id), 'not_found', 'user_not_found');
      await expectAppError(svc.twoFactor.status(otherOrg.id, u.id), 'not_found', 'user_not_found');
    });
  });

  describe('GDPR (spec 50 §11)', () => {
    it('exports factor metadata without secrets, and the purge deletes every factor', async () => {
      await setPolicy('optional');
      const u = await newUser();
      await enrolTotp(u);
      await db.query('INSERT INTO two_factor_otp_codes (user_id, code_hash, expires_at) VALUES ($1, $2, now() + interval \'5 minutes\')', [u.id, 'f'.repeat(64)]);
      const exported = await svc.gdpr.exportData(SYSTEM, orgId, u.id);
      expect(exported.twoFactor).toMatchObject({
        enabled: true, method: 'totp', totpConfigured: true, recoveryCodesRemaining: 10,
        totp: { verified: true }, recoveryCodes: { remaining: 10, used: 0 }, otpCodes: [{ attempts: 0, usedAt: null }],
      });
      const text = JSON.stringify(exported);
      const secrets = await db.one<{ encrypted_secret: string }>('SELECT encrypted_secret FROM user_totp WHERE user_id = $1', [u.id]);
      expect(text).not.toContain(secrets.encrypted_secret);
      expect(text).not.toContain('$argon2id$');
      expect(text).not.toContain('f'.repeat(64));

      const purged = await svc.gdpr.purge(SYSTEM, orgId, u.id);
      expect(purged.deletedTwoFactor).toBe(12);
      for (const table of ['user_totp', 'two_factor_otp_codes', 'two_factor_recovery_codes']) {
        expect((await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [u.id])).n, table).toBe(0);
      }
    });
  });
}

onEachDatabase('two-factor', twoFactorSuite);
