import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { ADMIN_EMAIL, mintAccessToken, startAdminServer, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';
import { HttpBrowser } from '../support/http-browser.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
const INVITER = 'Root Admin';

/** Spec 20 §5.6 `POST …/users/invite/preview` and spec 60 §8 (admin set-password), mail through SMTP. */
describe('invitation preview (e2e)', { timeout: 120_000 }, () => {
  let smtp: SmtpHarness;
  let s: AdminServer;
  let acme: { id: string; slug: string };
  let other: Tenant;
  let seq = 0;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-invite-preview-'));

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startAdminServer({ env: smtp.env() });
    await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_admin_write_max', '100000');
    const org = await s.porta.services.organizations.create(SYSTEM, {
      name: 'Acme', slug: 'preview-acme', defaultLocale: 'de', branding: { companyName: 'Acme Preview', primaryColor: '#aa3300' },
    });
    acme = { id: org.id, slug: org.slug };
    other = await createTenant(s.porta.services, 'preview-globex');
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const previewPath = (orgId = acme.id) => `/organizations/${orgId}/users/invite/preview`;
  const nextEmail = () => `preview-${++seq}@example.com`;
  // `email.*` entries of earlier tests' messages may land at any time; a preview queues none (the outbox count).
  const counts = async () =>
    s.porta.db.one<{ outbox: number; tokens: number; users: number; audit: number }>(
      `SELECT (SELECT count(*)::int FROM mail_outbox) AS outbox, (SELECT count(*)::int FROM invitation_tokens) AS tokens,
              (SELECT count(*)::int FROM users WHERE organization_id IN ($1, $2)) AS users, (SELECT count(*)::int FROM audit_log WHERE organization_id IN ($1, $2) AND event_type NOT LIKE 'email.%') AS audit`,
      [acme.id, other.orgId],
    );
  /** The lines of a text part but its expiry (a time to the minute, a few milliseconds apart). */
  const withoutExpiry = (text: string) => text.split('\n').filter((line) => !line.includes(' UTC')).join('\n').trim();

  it('renders the e-mail an invitation would send, in the asked language or else the organization’s, and stores, sends and audits nothing', async () => {
    const email = nextEmail();
    const before = await counts();
    const input = { email, givenName: 'Nia', personalMessage: 'Hello <b>team</b>\nSee you soon', locale: 'fr' };
    const res = await s.superAdmin.post(previewPath(), input);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const preview = res.body.data as { subject: string; html: string; text: string };
    expect(Object.keys(preview).sort()).toEqual(['html', 'subject', 'text']);
    expect(preview.subject).toBe(`${INVITER} vous invite à rejoindre Acme Preview`);
    const link = `${s.url}/${acme.slug}/auth/accept-invite/preview`;
    expect(preview.html).toContain('lang="fr"');
    expect(preview.html).toContain('#aa3300');
    expect(preview.html).toContain(`href="${link}"`);
    expect(preview.html).toContain('Hello &lt;b&gt;team&lt;/b&gt;<br>See you soon');
    expect(preview.html).not.toContain('<b>team');
    expect(preview.text).toContain('Nia');
    expect(preview.text).toContain(link);
    expect(preview.text).toContain('Hello <b>team</b>\nSee you soon');
    expect(preview.text).toContain(String(new Date(Date.now() + 7 * 86_400_000).getUTCFullYear()));

    const german = await s.superAdmin.post(previewPath(), { email, givenName: 'Nia' });
    expect(german.status).toBe(200);
    expect(german.body.data.subject).toBe(`${INVITER} hat Sie zu Acme Preview eingeladen`);
    expect(german.body.data.html).toContain('lang="de"');

    await s.porta.services.mailDelivery.runOnce();
    expect(await counts()).toEqual(before);
    expect(await s.porta.services.users.findByEmail(acme.id, email)).toBeNull();
    expect(smtp.messagesTo(email)).toEqual([]);
    // The placeholder is no token: following it shows the "invitation no longer valid" page.
    expect((await new HttpBrowser(s.url).request(new URL(link).pathname)).status).toBe(400);

    // The invitation itself sends the same e-mail, but for its link and the minute it expires.
    expect((await s.superAdmin.post(`/organizations/${acme.id}/users/invite`, input)).status).toBe(201);
    const sent = await smtp.waitForMessage(email, { timeoutMs: 10_000 });
    expect(sent.subject).toBe(preview.subject);
    const real = /accept-invite\/[A-Za-z0-9_-]{43}/.exec(sent.text)![0];
    expect(withoutExpiry(sent.text.replace(real, 'accept-invite/preview'))).toBe(withoutExpiry(preview.text));
  });

  it('an existing invitee is named and spoken to as the invitation would: their name and locale', async () => {
    const email = nextEmail();
    await s.porta.services.users.create(SYSTEM, acme.id, { email, givenName: 'Imke', locale: 'es' });
    const res = await s.superAdmin.post(previewPath(), { email, givenName: 'Someone Else' });
    expect(res.status).toBe(200);
    expect(res.body.data.subject).toBe(`${INVITER} le ha invitado a Acme Preview`);
    expect(res.body.data.text).toContain('Imke');
    expect(res.body.data.text).not.toContain('Someone Else');
  });

  it('refuses what the invitation refuses: bad input, a missing permission, an unknown organization, an active user with a password', async () => {
    const before = await counts();
    const badEmail = await s.superAdmin.post(previewPath(), { email: 'not-an-address' });
    expect([badEmail.status, badEmail.body.error]).toEqual([400, 'validation_failed']);
    const long = await s.superAdmin.post(previewPath(), { email: nextEmail(), personalMessage: 'x'.repeat(501) });
    expect([long.status, long.body.error, long.body.details[0].path]).toEqual([400, 'validation_failed', 'personalMessage']);
    const withRoles = await s.superAdmin.post(previewPath(), { email: nextEmail(), roles: [] });
    expect([withRoles.status, withRoles.body.error]).toEqual([400, 'validation_failed']);

    for (const role of ['porta-auditor', 'porta-org-admin']) {
      const refused = await (await s.clientWithRoles([role])).post(previewPath(), { email: nextEmail() });
      expect([refused.status, refused.body.error, refused.body.details?.missing]).toEqual([403, 'forbidden', ['admin:user:invite']]);
    }
    const userAdmin = await s.clientWithRoles(['porta-user-admin']);
    expect((await userAdmin.post(previewPath(), { email: nextEmail() })).status).toBe(200);
    // A super admin is no one a user admin may invite again, nor preview an invitation for.
    const adminOrg = await s.porta.services.organizations.getSuperAdmin();
    for (const route of ['invite', 'invite/preview']) {
      const protectedTarget = await userAdmin.post(`/organizations/${adminOrg.id}/users/${route}`, { email: ADMIN_EMAIL });
      expect([route, protectedTarget.status]).toEqual([route, 403]);
    }

    for (const orgId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      for (const route of ['invite', 'invite/preview']) {
        const missing = await s.superAdmin.post(`/organizations/${orgId}/users/${route}`, { email: nextEmail() });
        expect([route, missing.status, missing.body.error]).toEqual([route, 404, 'not_found']);
      }
    }
    const active = await s.superAdmin.post(previewPath(other.orgId), { email: other.email });
    expect([active.status, active.body.error]).toEqual([409, 'already_active']);
    expect(await counts()).toEqual(before);
  });

  it('keeps organizations apart: another organization’s token is refused as for the invitation, and a preview shows only its own organization', async () => {
    const tenantToken = await mintAccessToken(s.porta, other.orgId, other.spa.clientId, other.userId);
    for (const route of ['invite', 'invite/preview']) {
      const res = await s.withToken(tenantToken).post(`/organizations/${other.orgId}/users/${route}`, { email: nextEmail() });
      expect([route, res.status, res.body.error]).toEqual([route, 401, 'unauthorized']);
    }
    const email = nextEmail();
    await s.porta.services.users.create(SYSTEM, acme.id, { email, givenName: 'Acmeonly' });
    const elsewhere = await s.superAdmin.post(previewPath(other.orgId), { email });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.data.subject).toBe(`${INVITER} invited you to Org preview-globex`);
    expect(elsewhere.body.data.text).not.toContain('Acmeonly');
    expect(elsewhere.body.data.html).not.toContain('Acme Preview');
    expect(elsewhere.body.data.text).toContain(`${s.url}/${other.slug}/auth/accept-invite/preview`);
  });

  it('an admin setting a password sends the password-changed e-mail, in the organization’s language', async () => {
    const user = await s.porta.services.users.create(SYSTEM, acme.id, { email: nextEmail(), givenName: 'Pia' });
    const res = await s.superAdmin.post(`/users/${user.id}/password`, { password: 'Harbour-lantern-5521' });
    expect(res.status, JSON.stringify(res.body)).toBe(204);
    const mail = await smtp.waitForMessage(user.email, { timeoutMs: 10_000 });
    expect(mail.subject).toBe('Ihr Passwort für Acme Preview wurde geändert');
    expect(mail.text).toContain('Pia');
    const events = (await s.porta.services.audit.history('user', user.id, { limit: 10 })).data.map((e: { eventType: string }) => e.eventType);
    expect(events).toContain('user.password_set');
  });

  it('porta user invite --preview over HTTP prints the subject and the text part, or with --json the API body; it sends nothing', async () => {
    const credentials = path.join(tmp, 'credentials.json');
    fs.writeFileSync(credentials, JSON.stringify({
      server: s.url, orgSlug: 'porta-admin', clientId: 'porta-admin-cli', accessToken: s.superAdmin.token, refreshToken: null, idToken: null,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(), user: { sub: s.superAdminUserId, email: ADMIN_EMAIL, name: INVITER },
    }), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_CREDENTIALS_FILE: credentials, PORTA_DATA_DIR: path.join(tmp, 'none') };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORTA_SERVER']) delete env[name];
    const cli = (args: string[]) => runPorta(args, { env });
    const email = nextEmail();
    const before = await counts();
    const args = ['user', 'invite', '--org', acme.slug, '--email', email, '--given-name', 'Ola', '--message', 'See <you>', '--locale', 'fr', '--preview'];

    const human = await cli(args);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout.startsWith(`Subject: ${INVITER} vous invite à rejoindre Acme Preview\n\n`)).toBe(true);
    expect(human.stdout).toContain('Ola');
    expect(human.stdout).toContain('See <you>');
    expect(human.stdout).toContain(`${s.url}/${acme.slug}/auth/accept-invite/preview`);
    expect(human.stdout).not.toContain('<html');

    const json = await cli([...args, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const body = JSON.parse(json.stdout) as { data: { subject: string; html: string; text: string } };
    expect(body.data.subject).toBe(`${INVITER} vous invite à rejoindre Acme Preview`);
    expect(body.data.html).toContain('See &lt;you&gt;');
    expect(human.stdout).toBe(`Subject: ${body.data.subject}\n\n${body.data.text}`);

    const withRole = await cli([...args, '--role', 'app:editor']);
    expect(withRole.status).toBe(2);
    expect(withRole.stderr).toContain('--role');
    const invalid = await cli(['user', 'invite', '--org', acme.slug, '--email', 'nope', '--preview', '--json']);
    expect(invalid.status).toBe(2);
    expect(JSON.parse(invalid.stderr)).toMatchObject({ error: 'validation_failed' });
    expect(await counts()).toEqual(before);
  });
});
