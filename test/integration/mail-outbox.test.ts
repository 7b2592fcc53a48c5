import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { testConfig } from '../support/domain.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';
import { captureLog } from '../support/db-roles.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { systemActor } from '../../src/actors/index.js';
import { createServices, type Services } from '../../src/services.js';
import { createMailDelivery, DEFAULT_DELIVERY_POLICY, type MailTransport, type OutgoingMail } from '../../src/mail/index.js';
import { createMailRepo } from '../../src/mail/repo.js';

const SYSTEM = systemActor();
const POLICY = { baseDelayMs: 30_000, maxDelayMs: 3_600_000, maxAttempts: 4, pollIntervalMs: 60_000 };
let counter = 0;
const address = () => `r${++counter}-${Date.now().toString(36)}@example.com`;

/** Spec 60 §8: the durable outbox, on PGlite and on PostgreSQL. */
function outboxSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let smtp: SmtpHarness;
  let orgId: string;
  const log = createLog({ env: 'test', level: 'silent' });

  const row = (to: string) =>
    db.maybeOne<{ id: string; status: string; attempts: number; next_attempt_at: Date; last_error: string | null; data: Record<string, unknown> }>(
      'SELECT id, status, attempts, next_attempt_at, last_error, data FROM mail_outbox WHERE recipient = $1',
      [to],
    );

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    smtp = await startSmtpHarness({ auth: { user: 'porta', pass: 's3cret-smtp-pass' } });
    clock = createManualClock(Date.now());
    kv = createMemoryKv({ clock });
    svc = await createServices({
      config: testConfig({ ...smtp.env(), ISSUER_BASE_URL: 'https://id.example.com' }), db, kv, clock, log, isSchemaCurrent: () => true, mail: { policy: POLICY },
    });
    orgId = (await svc.organizations.create(SYSTEM, { name: 'Mail Org', slug: `mail-${Date.now().toString(36)}`, branding: { companyName: 'Mailco', primaryColor: '#aa3300' } })).id;
  });
  afterAll(async () => {
    svc?.stop();
    await svc?.mailDelivery.stop();
    await smtp?.close();
    await kv?.close();
    await dispose?.();
  });

  it('enqueue inside a rolled-back transaction leaves no row and sends nothing', async () => {
    const to = address();
    await expect(
      db.transaction(async () => {
        await svc.mail.enqueue({ organizationId: orgId, to, template: 'magic_link', data: { link: '/x/magic/abc', minutes: 15 } });
        expect(await row(to)).not.toBeNull();
        throw new Error('use case failed');
      }),
    ).rejects.toThrow('use case failed');
    expect(await row(to)).toBeNull();
    await svc.mailDelivery.runOnce();
    expect(smtp.messagesTo(to)).toHaveLength(0);
  });

  it('a committed message is sent over SMTP with a login, HTML and text parts, and marked sent without its data', async () => {
    const to = address();
    await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'magic_link', locale: 'fr', data: { link: '/x/magic/abc', minutes: 15 } }));
    expect((await row(to))?.status).toBe('pending');
    await svc.mailDelivery.runOnce();
    const m = await smtp.waitForMessage(to, { timeoutMs: 5000 });
    expect(m.user).toBe('porta');
    expect(m.from).toBe('porta@test.example');
    expect(m.subject).toBe('Votre lien de connexion à Mailco');
    expect(m.html).toContain('href="https://id.example.com/x/magic/abc"');
    expect(m.html).toContain('#aa3300');
    expect(m.text).toContain('https://id.example.com/x/magic/abc');
    const sent = await row(to);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, last_error: null, data: {} });
  });

  it('two workers claiming at once never send one row twice', async () => {
    const sends: string[] = [];
    const slowTransport: MailTransport = {
      kind: 'smtp', target: 'test',
      async send(mail: OutgoingMail) {
        sends.push(mail.outboxId);
        await new Promise((r) => setTimeout(r, 5));
      },
      close: () => undefined,
    };
    const workers = [0, 1, 2].map(() =>
      createMailDelivery({
        config: testConfig({ ISSUER_BASE_URL: 'https://id.example.com' }), db, clock, log, audit: svc.audit, organizations: svc.organizations, branding: svc.branding,
        isSchemaCurrent: () => true, policy: { ...POLICY, batchSize: 3 }, transport: slowTransport,
      }),
    );
    const recipients = Array.from({ length: 20 }, () => address());
    await db.transaction(async () => {
      for (const to of recipients) await svc.mail.enqueue({ organizationId: orgId, to, template: 'welcome', data: {} });
    });
    const handled = await Promise.all(workers.map((w) => w.runOnce()));
    const ids = new Set((await Promise.all(recipients.map((to) => row(to)))).map((r) => r!.id));
    expect(sends.filter((id) => ids.has(id)).sort()).toEqual([...ids].sort());
    expect(new Set(sends).size).toBe(sends.length);
    expect(handled.reduce((a, b) => a + b, 0)).toBe(sends.length);
    for (const to of recipients) expect((await row(to))?.status).toBe('sent');
  });

  it('a refusing server gets the message again after the backoff (30 s, then 60 s), and the password never reaches last_error', async () => {
    const to = address();
    smtp.refuse(true);
    try {
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'password_reset', data: { link: '/x/reset/abc', minutes: 60 } }));
      await svc.mailDelivery.runOnce();
      let r = (await row(to))!;
      expect(r).toMatchObject({ status: 'pending', attempts: 1 });
      expect(r.next_attempt_at.getTime()).toBe(clock.now() + 30_000);
      expect(r.last_error).toContain('451');
      expect(r.last_error).not.toContain('s3cret-smtp-pass');

      await svc.mailDelivery.runOnce(); // not due yet
      expect((await row(to))!.attempts).toBe(1);
      clock.advance(30_000);
      await svc.mailDelivery.runOnce();
      r = (await row(to))!;
      expect(r).toMatchObject({ status: 'pending', attempts: 2 });
      expect(r.next_attempt_at.getTime()).toBe(clock.now() + 60_000);

      smtp.refuse(false);
      clock.advance(60_000);
      await svc.mailDelivery.runOnce();
      expect((await row(to))?.status).toBe('sent');
      expect((await smtp.waitForMessage(to)).subject).toContain('Mailco');
    } finally {
      smtp.refuse(false);
    }
  });

  it('SMTP down, then back: the message waits in the outbox and arrives later; after the last attempt it is failed and audited', async () => {
    const to = address();
    await smtp.stop();
    try {
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'password_changed', data: { changedAt: new Date(clock.now()).toISOString() } }));
      await svc.mailDelivery.runOnce();
      expect(await row(to)).toMatchObject({ status: 'pending', attempts: 1 });
      expect((await row(to))!.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    } finally {
      await smtp.start();
    }
    clock.advance(30_000);
    await svc.mailDelivery.runOnce();
    expect((await row(to))?.status).toBe('sent');
    expect(smtp.messagesTo(to)).toHaveLength(1);

    const doomed = address();
    smtp.refuse(true);
    try {
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to: doomed, template: 'welcome', data: {} }));
      for (let i = 0; i < POLICY.maxAttempts; i++) {
        await svc.mailDelivery.runOnce();
        clock.advance(POLICY.maxDelayMs);
      }
    } finally {
      smtp.refuse(false);
    }
    const failed = (await row(doomed))!;
    expect(failed).toMatchObject({ status: 'failed', attempts: POLICY.maxAttempts, data: {} });
    const audit = await db.many<{ event_type: string; metadata: Record<string, unknown> }>(
      "SELECT event_type, metadata FROM audit_log WHERE target_id = $1 AND event_type LIKE 'email.%'", [failed.id]);
    expect(audit).toEqual([{ event_type: 'email.send.failed', metadata: { template: 'welcome', attempts: POLICY.maxAttempts, permanent: false, responseCode: 451 } }]);
  });

  /** A worker of its own on the same outbox, logging into `lines`. */
  function workerWith(env: Record<string, string>) {
    const logs = captureLog();
    const worker = createMailDelivery({
      config: testConfig({ ...env, ISSUER_BASE_URL: 'https://id.example.com' }), db, clock, log: logs.log, audit: svc.audit,
      organizations: svc.organizations, branding: svc.branding, isSchemaCurrent: () => true, policy: POLICY,
    });
    return { worker, lines: logs.lines };
  }

  it.each([550, 553])('a %i answer to the recipient fails the message at once: no retry, audited and logged as permanent, no secret', async (code) => {
    const to = address();
    const { worker, lines } = workerWith(smtp.env());
    smtp.refuse(code);
    try {
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'password_reset', data: { link: '/x/reset/secret-token-abc', minutes: 60 } }));
      await worker.runOnce();
      const failed = (await row(to))!;
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, data: {} });
      expect(failed.last_error).toContain(String(code));
      expect(failed.last_error).not.toContain('s3cret-smtp-pass');
      const audit = await db.many<{ event_type: string; metadata: Record<string, unknown> }>(
        "SELECT event_type, metadata FROM audit_log WHERE target_id = $1 AND event_type LIKE 'email.%'", [failed.id]);
      expect(audit).toEqual([{ event_type: 'email.send.failed', metadata: { template: 'password_reset', attempts: 1, permanent: true, responseCode: code } }]);
      expect(lines.find((l) => l.msg === 'mail.send_failed')).toMatchObject({ outboxId: failed.id, template: 'password_reset', permanent: true, responseCode: code });
      expect(lines.some((l) => l.msg === 'mail.send_retry')).toBe(false);
      const logged = JSON.stringify(lines);
      for (const secret of ['s3cret-smtp-pass', 'secret-token-abc', to]) expect(logged).not.toContain(secret);

      smtp.refuse(false);
      clock.advance(POLICY.maxDelayMs);
      await worker.runOnce();
      await svc.mailDelivery.runOnce();
      expect((await row(to))!).toMatchObject({ status: 'failed', attempts: 1 });
      expect(smtp.messagesTo(to)).toHaveLength(0);
    } finally {
      smtp.refuse(false);
      await worker.stop();
    }
  });

  it('a 5xx answer to the login (the relay refusing Porta, not the message) keeps the retries', async () => {
    const to = address();
    const { worker, lines } = workerWith({ ...smtp.env(), SMTP_PASS: 'a-wrong-password' });
    try {
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'welcome', data: {} }));
      await worker.runOnce();
      const waiting = (await row(to))!;
      expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
      expect(waiting.last_error).toContain('535');
      expect(waiting.last_error).not.toContain('a-wrong-password');
      expect(lines.find((l) => l.msg === 'mail.send_retry')).toMatchObject({ outboxId: waiting.id, attempts: 1, retryInMs: 30_000 });
    } finally {
      await worker.stop();
    }
    clock.advance(30_000);
    await svc.mailDelivery.runOnce();
    expect((await row(to))).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it("speaks the user's locale, else the organization's default_locale, else the configured default_locale, else English", async () => {
    const subjectOf = async (org: string, locale?: string) => {
      const user = await svc.users.create(SYSTEM, org, { email: address(), ...(locale ? { locale } : {}) });
      await svc.users.setPassword(SYSTEM, org, user.id, 'Lantern-meadow-4471');
      await svc.mailDelivery.runOnce();
      return (await smtp.waitForMessage(user.email, { timeoutMs: 5000 })).subject;
    };
    const french = (await svc.organizations.create(SYSTEM, { name: 'Fr Org', slug: `mail-fr-${Date.now().toString(36)}`, defaultLocale: 'fr', branding: { companyName: 'Mailco' } })).id;
    // Italian is no language Porta ships: the organization's choice falls through.
    const italian = (await svc.organizations.create(SYSTEM, { name: 'It Org', slug: `mail-it-${Date.now().toString(36)}`, defaultLocale: 'it', branding: { companyName: 'Mailco' } })).id;
    expect(await subjectOf(french, 'es')).toBe('Se ha cambiado su contraseña de Mailco');
    expect(await subjectOf(french)).toBe('Votre mot de passe Mailco a été modifié');
    expect(await subjectOf(italian)).toBe('Your Mailco password was changed');
    await svc.systemConfig.set(SYSTEM, 'default_locale', 'de');
    try {
      expect(await subjectOf(italian)).toBe('Ihr Passwort für Mailco wurde geändert');
      expect(await subjectOf(french)).toBe('Votre mot de passe Mailco a été modifié');
      await svc.systemConfig.set(SYSTEM, 'default_locale', 'ja');
      expect(await subjectOf(italian)).toBe('Your Mailco password was changed');
    } finally {
      await svc.systemConfig.set(SYSTEM, 'default_locale', 'en');
    }
  });

  it('a row claimed by a process that died mid-send is sent by another one once its lease ends', async () => {
    const to = address();
    await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to, template: 'welcome', data: {} }));
    const now = clock.now();
    const claimed = await createMailRepo(db).claimDue(new Date(now), new Date(now + DEFAULT_DELIVERY_POLICY.leaseMs), 100);
    expect(claimed.map((r) => r.recipient)).toContain(to);
    await svc.mailDelivery.runOnce();
    expect(smtp.messagesTo(to)).toHaveLength(0);
    clock.advance(DEFAULT_DELIVERY_POLICY.leaseMs);
    await svc.mailDelivery.runOnce();
    expect((await row(to))?.status).toBe('sent');
    expect(smtp.messagesTo(to)).toHaveLength(1);
  });

  it('deletes sent and failed rows 30 days after they were queued, keeps pending ones', async () => {
    const waiting = address();
    smtp.refuse(true);
    try {
      clock.advance(31 * 86_400_000);
      await db.transaction(() => svc.mail.enqueue({ organizationId: orgId, to: waiting, template: 'welcome', data: {} }));
      await svc.mailDelivery.runOnce();
    } finally {
      smtp.refuse(false);
    }
    const left = await db.many<{ status: string }>('SELECT status FROM mail_outbox');
    expect(left).toEqual([{ status: 'pending' }]);
  });
}

describe('mail outbox', () => {
  onEachDatabase('mail outbox', outboxSuite);
});
