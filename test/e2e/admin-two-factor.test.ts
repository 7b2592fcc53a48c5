import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountActor, systemActor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';
import { describeWithServices } from '../support/services.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
let seq = 0;

/**
 * Spec 20 §5.6 and spec 30 §5: a user's two-factor status, disable, reset and new recovery codes over
 * the Admin API and `porta user 2fa`, with their permissions, protections, audit entries and the
 * factor-change e-mail through SMTP.
 */
describeWithServices('two-factor admin control (API and CLI)', () => {
  let smtp: SmtpHarness;
  let s: AdminServer;
  let services: Services;
  let orgId: string;
  let otherOrgId: string;
  let adminOrgId: string;
  let userAdmin: AdminClient;
  let auditor: AdminClient;
  let orgAdmin: AdminClient;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startAdminServer({ backends: 'services', env: smtp.env() });
    services = s.porta.services;
    await services.systemConfig.set(SYSTEM, 'rate_limit_admin_write_max', '100000');
    orgId = (await services.organizations.create(SYSTEM, { name: 'Acme', slug: 'tfa-acme', branding: { companyName: 'Acme Co' } })).id;
    otherOrgId = (await services.organizations.create(SYSTEM, { name: 'Other', slug: 'tfa-other' })).id;
    adminOrgId = (await services.organizations.getSuperAdmin()).id;
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    const database = s.server.config.database;
    if (database.kind !== 'postgres') throw new Error('needs PostgreSQL');
    cliEnv = { ...process.env, HOME: path.join(os.tmpdir(), 'porta-tfa-nobody'), DATABASE_URL: database.url, NODE_ENV: 'test' };
    for (const name of ['REDIS_URL', 'PORTA_SERVER', 'PORTA_CONTAINER', 'TWO_FACTOR_ENCRYPTION_KEY']) delete cliEnv[name];
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  const newUser = async (org = orgId): Promise<User> =>
    services.users.create(SYSTEM, org, { email: `tfa-${++seq}@example.com`, password: 'Lantern-orbit-9317', givenName: 'Ana' });
  /** E-mail 2FA as the user would enable it (the domain, not the API under test). */
  const withEmailFactor = async (org = orgId): Promise<User> => {
    const u = await newUser(org);
    await services.twoFactor.enableEmail(accountActor(u), org, u.id);
    return u;
  };
  const base = (u: Pick<User, 'id'>, org = orgId) => `/organizations/${org}/users/${u.id}/two-factor`;
  const notice = (to: string, text: RegExp) => smtp.waitForMessage(to, { timeoutMs: 15_000, match: (m) => text.test(m.text) });
  const audit = async (event: string, userId: string) => (await s.superAdmin.get(`/audit?event=${event}&user=${userId}`)).body.data as Array<Record<string, unknown>>;

  it('shows the status, disables with 204, audits and e-mails the user; a second disable is 409', async () => {
    const u = await withEmailFactor();
    const status = await auditor.get(`${base(u)}/status`);
    expect(status.status).toBe(200);
    expect(status.body.data).toEqual({
      enabled: true, method: 'email', totpConfigured: false, totpVerified: false, recoveryCodesRemaining: 10, passkeys: 0, policy: 'optional',
    });

    const disabled = await userAdmin.post(`${base(u)}/disable`);
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(204);
    expect((await auditor.get(`${base(u)}/status`)).body.data).toMatchObject({ enabled: false, method: null, recoveryCodesRemaining: 0 });
    const [entry] = await audit('user.2fa.disabled', u.id);
    expect(entry).toMatchObject({ actorId: userAdmin.userId, targetType: 'user', targetId: u.id, metadata: { previousMethod: 'email', deletedRecoveryCodes: 10 } });
    const mail = await notice(u.email, /turned off/);
    expect(mail.subject).toBe('Your Acme Co sign-in security settings changed');
    expect(mail.text).toContain("If this wasn't you");

    const again = await userAdmin.post(`${base(u)}/disable`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'two_factor_not_enabled' });
    expect((await userAdmin.post(`${base(u)}/reset`)).body.error).toBe('two_factor_not_enabled');
    expect((await userAdmin.post(`${base(u)}/recovery-codes/regenerate`)).status).toBe(409);
  });

  it('resets and regenerates recovery codes (shown once, old ones void)', async () => {
    const u = await withEmailFactor();
    const regenerated = await userAdmin.post(`${base(u)}/recovery-codes/regenerate`);
    expect(regenerated.status).toBe(200);
    expect(regenerated.headers.get('cache-control')).toBe('no-store');
    expect(regenerated.body.warning).toMatch(/not be shown again/);
    const { recoveryCodes, count } = regenerated.body.data as { recoveryCodes: string[]; count: number };
    expect(count).toBe(10);
    expect(recoveryCodes.every((c) => /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/.test(c))).toBe(true);
    await notice(u.email, /New recovery codes were created/);
    expect(await services.twoFactor.verify(accountActor(u), orgId, u.id, { code: recoveryCodes[0]!, codeType: 'recovery' })).toMatchObject({ ok: true, recoveryCodesRemaining: 9 });
    await notice(u.email, /Recovery codes left: 9/);

    expect((await userAdmin.post(`${base(u)}/reset`)).status).toBe(204);
    expect(await audit('user.2fa.reset', u.id)).toHaveLength(1);
    await notice(u.email, /Your second factor was reset/);
    expect((await auditor.get(`${base(u)}/status`)).body.data.enabled).toBe(false);
  });

  it('needs user:2fa to change and user:read to look; stays inside the addressed organization', async () => {
    const u = await withEmailFactor();
    for (const action of ['disable', 'reset', 'recovery-codes/regenerate']) {
      const refused = await auditor.post(`${base(u)}/${action}`);
      expect(refused.status, action).toBe(403);
      expect(refused.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:user:2fa'] } });
    }
    expect((await orgAdmin.get(`${base(u)}/status`)).status).toBe(403);
    expect((await auditor.get(`${base(u)}/status`)).status).toBe(200);

    // The user of one organization is not found under another's path.
    expect((await auditor.get(`${base(u, otherOrgId)}/status`)).status).toBe(404);
    const elsewhere = await userAdmin.post(`${base(u, otherOrgId)}/disable`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error).toBe('not_found');
    expect((await auditor.get(`${base(u)}/status`)).body.data.enabled).toBe(true);
  });

  it('never disables or resets the super-admin user over the API; super admins are managed by super admins only', async () => {
    await services.twoFactor.enableEmail(SYSTEM, adminOrgId, s.superAdminUserId);
    const root = { id: s.superAdminUserId };
    for (const action of ['disable', 'reset']) {
      const res = await s.superAdmin.post(`${base(root, adminOrgId)}/${action}`);
      expect(res.status, action).toBe(403);
      expect(res.body.error).toBe('protected_resource');
    }
    expect((await userAdmin.post(`${base(root, adminOrgId)}/recovery-codes/regenerate`)).status).toBe(403);
    expect((await s.superAdmin.get(`${base(root, adminOrgId)}/status`)).body.data.enabled).toBe(true);
  });

  it('accepts required_passkey as an organization policy and keeps the enrolment summary right', async () => {
    const org = (await services.organizations.create(SYSTEM, { name: 'Summary', slug: 'tfa-summary' })).id;
    await withEmailFactor(org);
    await withEmailFactor(org);
    const disabledOne = await withEmailFactor(org);
    await newUser(org);
    expect((await userAdmin.post(`${base(disabledOne, org)}/disable`)).status).toBe(204);
    const summary = await s.superAdmin.get(`/organizations/${org}/two-factor/summary`);
    expect(summary.body.data).toEqual({ totalUsers: 4, enabledCount: 2, disabledCount: 2, totpCount: 0, emailCount: 2, complianceRate: 0.5 });
    const policy = await orgAdmin.put(`/organizations/${org}/two-factor/policy`, { twoFactorPolicy: 'required_passkey' });
    expect(policy.status).toBe(200);
    expect(policy.body.data).toEqual({ twoFactorPolicy: 'required_passkey', validPolicies: ['optional', 'required_email', 'required_totp', 'required_any', 'required_passkey'] });
    expect((await auditor.get(`${base(disabledOne, org)}/status`)).body.data.policy).toBe('required_passkey');
  });

  it('porta user 2fa status | regenerate-codes | disable | reset in direct mode, audited as the CLI', async () => {
    const cli = (args: string[]) => runPorta([...args, '--direct'], { env: cliEnv, timeoutMs: 60_000 });
    const u = await withEmailFactor();

    const status = await cli(['user', '2fa', 'status', u.id, '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).data).toMatchObject({ enabled: true, method: 'email', recoveryCodesRemaining: 10 });
    const human = await cli(['user', '2fa', 'status', '--org-id', 'tfa-acme', '--user-id', u.id]);
    expect(human.stdout).toMatch(/enabled\s+true/);

    const codes = await cli(['user', '2fa', 'regenerate-codes', u.id]);
    expect(codes.status, codes.stderr).toBe(0);
    expect(codes.stdout.trim().split('\n')).toHaveLength(10);
    expect(codes.stderr).toContain('shown once');

    const disabled = await cli(['user', '2fa', 'disable', u.id, '--force']);
    expect(disabled.status, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain('Disabled two-factor authentication');
    const [entry] = await audit('user.2fa.disabled', u.id);
    expect(entry).toMatchObject({ actorId: null, source: 'cli-direct' });
    // The server's mail worker sends what the CLI queued.
    await notice(u.email, /turned off/);

    const conflict = await cli(['user', '2fa', 'reset', u.id, '--force', '--json']);
    expect(conflict.status).toBe(6);
    expect(JSON.parse(conflict.stderr)).toMatchObject({ error: 'two_factor_not_enabled' });
    const missing = await cli(['user', '2fa', 'status', '00000000-0000-4000-8000-000000000000']);
    expect(missing.status).toBe(5);

    const manifest = JSON.stringify({ organizations: [{ name: 'Passkey Co', slug: 'tfa-passkey-co', two_factor_policy: 'required_passkey' }] });
    const provisioned = await runPorta(['provision', '-f', '-', '--json', '--direct'], { env: cliEnv, input: manifest, timeoutMs: 60_000 });
    expect(provisioned.status, provisioned.stderr).toBe(0);
    expect((await services.organizations.findBySlug('tfa-passkey-co'))?.twoFactorPolicy).toBe('required_passkey');
    const policy = await cli(['org', 'two-factor', 'tfa-passkey-co', '--policy', 'required_totp']);
    expect(policy.stdout).toContain('Two-factor policy of tfa-passkey-co: required_totp');
  }, 180_000);

  it('porta user 2fa reset is the way back for the super-admin user, in direct mode only', async () => {
    const cli = (args: string[]) => runPorta([...args, '--direct'], { env: cliEnv, timeoutMs: 60_000 });
    const res = await cli(['user', '2fa', 'reset', s.superAdminUserId, '--force']);
    expect(res.status, res.stderr).toBe(0);
    expect((await s.superAdmin.get(`${base({ id: s.superAdminUserId }, adminOrgId)}/status`)).body.data.enabled).toBe(false);
  }, 120_000);
});
