import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';
import { describeWithServices } from '../support/services.js';
import { systemActor } from '../../src/actors/index.js';
import { smtpCheck } from '../../src/cli/commands/doctor.js';
import { testConfig } from '../support/domain.js';
import { captureLog } from '../support/db-roles.js';

const SYSTEM = systemActor();
let seq = 0;

/** A real server start with SMTP_* pointing at the in-process harness (spec 60 §8–§11). */
function smtpDelivery(backends: 'embedded' | 'services') {
  const logs = captureLog();
  let server: TestServer;
  let smtp: SmtpHarness;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    smtp = await startSmtpHarness({ auth: { user: 'mailer', pass: 'harness-pass' } });
    server = await startTestServer({ backends, env: smtp.env(), log: logs.log });
    const created = await server.porta.services.organizations.create(SYSTEM, {
      name: 'Acme Corp', slug: `acme-mail-${backends}`, defaultLocale: 'de',
      branding: { companyName: 'Acme Mail', primaryColor: '#12ab34', logoUrl: 'https://cdn.example.com/acme.png' },
    });
    org = { id: created.id, slug: created.slug };
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it('delivers after commit, off the request path: HTML and text parts, branded, in the recipient locale, links on ISSUER_BASE_URL', async () => {
    const to = `grace-${++seq}@example.com`;
    const { services } = server.porta;
    await server.porta.db.transaction(() =>
      services.mail.enqueue({
        organizationId: org.id, to, template: 'invitation', locale: 'fr',
        data: { link: `/${org.slug}/invite/tok123`, inviterName: 'Ada <admin>', message: 'Bienvenue <script>alert(1)</script>', expiresAt: '2026-12-09T10:00:00Z' },
      }),
    );
    // No runOnce: the server's worker was nudged by the commit.
    const m = await smtp.waitForMessage(to, { timeoutMs: 10_000 });
    expect(m.user).toBe('mailer');
    expect(m.subject).toBe('Ada <admin> vous invite à rejoindre Acme Mail');
    expect(m.html).toBeTruthy();
    const html = m.html as string;
    expect(html).toContain('lang="fr"');
    expect(html).toContain('#12ab34');
    expect(html).toContain('src="https://cdn.example.com/acme.png"');
    expect(html).toContain(`href="${server.config.issuerBaseUrl}/${org.slug}/invite/tok123"`);
    expect(html).toContain('Bienvenue &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(m.text).toContain(`${server.config.issuerBaseUrl}/${org.slug}/invite/tok123`);
    expect(m.text).toContain('Bienvenue <script>alert(1)</script>');
    expect(m.text).toContain('Acme Mail');
    // The log names the template and the outbox id, never the link nor the SMTP password.
    await expect.poll(() => logs.lines.some((l) => l.msg === 'mail.sent' && l.template === 'invitation')).toBe(true);
    const logged = JSON.stringify(logs.lines);
    expect(logged).not.toContain('tok123');
    expect(logged).not.toContain('harness-pass');
    expect(logs.lines.find((l) => l.msg === 'mail.smtp_reachable')).toMatchObject({ target: `127.0.0.1:${smtp.port}` });
  });

  it("falls back to the organization's default locale", async () => {
    const to = `otto-${++seq}@example.com`;
    await server.porta.db.transaction(() =>
      server.porta.services.mail.enqueue({ organizationId: org.id, to, template: 'magic_link', data: { link: `/${org.slug}/magic/x`, minutes: 15 } }),
    );
    const m = await smtp.waitForMessage(to);
    expect(m.subject).toBe('Ihr Anmeldelink für Acme Mail');
    expect(m.text).toContain('15 Minuten');
  });
}

describe('mail delivery over SMTP (embedded)', () => smtpDelivery('embedded'));
describeWithServices('mail delivery over SMTP (PostgreSQL + Redis)', () => smtpDelivery('services'));

describe('development outbox without SMTP', () => {
  let server: TestServer;
  let orgId: string;

  beforeAll(async () => {
    server = await startTestServer({ backends: 'embedded' });
    orgId = (await server.porta.services.organizations.create(SYSTEM, { name: 'Dev <Org>', slug: 'dev-mail' })).id;
  });
  afterAll(async () => server?.stop());

  it('writes .eml and .json files under PORTA_DATA_DIR/mail and lists them, escaped, on /_dev/mail', async () => {
    const dir = path.join(server.config.dataDir, 'mail');
    expect(server.porta.services.mailDelivery.transportKind).toBe('files');
    await server.porta.db.transaction(() =>
      server.porta.services.mail.enqueue({ organizationId: orgId, to: 'dev@example.com', template: 'password_reset', data: { link: '/dev-mail/reset/abc', minutes: 60, userName: '<b>Bob</b>' } }),
    );
    await expect.poll(() => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0), { timeout: 10_000 }).toBe(1);
    const files = fs.readdirSync(dir).sort();
    expect(files.map((f) => path.extname(f))).toEqual(['.eml', '.json']);
    const eml = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(eml).toMatch(/^To: dev@example.com$/m);
    expect(eml).toContain('multipart/alternative');

    const page = await fetch(`${server.url}/_dev/mail`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const body = await page.text();
    expect(body).toContain('dev@example.com');
    expect(body).toContain('Reset your Dev &lt;Org&gt; password');
    expect(body).not.toContain('Dev <Org>');
    expect(body).toContain(`href="${server.config.issuerBaseUrl}/dev-mail/reset/abc"`);

    const id = (JSON.parse(fs.readFileSync(path.join(dir, files[1]!), 'utf8')) as { id: string }).id;
    const one = await fetch(`${server.url}/_dev/mail/${id}`);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-security-policy')).toMatch(/sandbox/);
    const html = await one.text();
    expect(html).toContain('&lt;b&gt;Bob&lt;/b&gt;');
    expect((await fetch(`${server.url}/_dev/mail/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });
});

describe('/_dev/mail in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ backends: 'embedded', configure: (c) => ({ ...c, env: 'production' }) });
  });
  afterAll(async () => server?.stop());

  it('does not exist', async () => {
    expect(server.porta.services.mailDelivery.transportKind).toBe('none');
    expect((await fetch(`${server.url}/_dev/mail`)).status).toBe(404);
  });
});

describe('SMTP reachability (porta doctor, the start-up line)', () => {
  let smtp: SmtpHarness;
  beforeAll(async () => {
    smtp = await startSmtpHarness({ auth: { user: 'mailer', pass: 'harness-pass' } });
  });
  afterAll(async () => smtp?.close());

  it('passes when the server answers and accepts the login, warns (without the password) otherwise', async () => {
    expect(await smtpCheck(testConfig(smtp.env()))).toEqual({ check: 'smtp', status: 'pass', detail: `127.0.0.1:${smtp.port} reachable` });
    const wrong = await smtpCheck(testConfig({ ...smtp.env(), SMTP_PASS: 'not-the-pass' }));
    expect(wrong.status).toBe('warn');
    expect(wrong.detail).toContain('535');
    expect(wrong.detail).not.toContain('not-the-pass');
    await smtp.stop();
    try {
      const started = Date.now();
      const down = await smtpCheck(testConfig(smtp.env()), 1_000);
      expect(down.status).toBe('warn');
      expect(down.detail).toContain('unreachable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await smtp.start();
    }
    expect((await smtpCheck(testConfig({}))).detail).toContain('SMTP_HOST is not set');
  });
});

describe('SMTP down at start-up', () => {
  const logs = captureLog();
  let server: TestServer;
  let smtp: SmtpHarness;
  beforeAll(async () => {
    smtp = await startSmtpHarness();
    await smtp.stop();
    server = await startTestServer({ backends: 'embedded', env: smtp.env(), log: logs.log });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it('/ready does not depend on SMTP; the message waits and arrives once the relay is back', async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    await expect.poll(() => logs.lines.some((l) => l.msg.startsWith('mail.smtp_unreachable')), { timeout: 10_000 }).toBe(true);
    const orgId = (await server.porta.services.organizations.create(SYSTEM, { name: 'Later', slug: 'later-mail' })).id;
    await server.porta.db.transaction(() => server.porta.services.mail.enqueue({ organizationId: orgId, to: 'later@example.com', template: 'welcome', data: {} }));
    await expect
      .poll(async () => (await server.porta.db.maybeOne<{ attempts: number }>("SELECT attempts FROM mail_outbox WHERE recipient = 'later@example.com'"))?.attempts, { timeout: 10_000 })
      .toBe(1);
    expect((await server.porta.db.one<{ status: string }>("SELECT status FROM mail_outbox WHERE recipient = 'later@example.com'")).status).toBe('pending');
    await smtp.start();
    // The retry is 30 s away: bring it forward instead of waiting.
    await server.porta.db.query("UPDATE mail_outbox SET next_attempt_at = now() WHERE recipient = 'later@example.com'");
    await server.porta.services.mailDelivery.runOnce();
    expect((await smtp.waitForMessage('later@example.com')).subject).toBe('Welcome to Later');
  });
});
