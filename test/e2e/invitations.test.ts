import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_APPLICATION_SLUG, systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
const PASSWORD = 'Meadow-lantern-8842';

/** Spec 60 §6 and 20 §5.6: from the admin's invitation to a verified ID token, with mail through SMTP. */
describe('invitations (e2e)', () => {
  let smtp: SmtpHarness;
  let s: AdminServer;
  let t: Tenant;
  let roleId: string;
  let claimId: string;
  let seq = 0;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startAdminServer({ env: smtp.env() });
    await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_admin_write_max', '100000');
    t = await createTenant(s.porta.services, 'invite-acme');
    roleId = (await s.porta.services.rbac.createRole(SYSTEM, t.appId, { name: 'Editor', slug: 'editor' })).id;
    claimId = (await s.porta.services.rbac.createClaim(SYSTEM, t.appId, { claimName: 'tier', claimType: 'string', includeInIdToken: true })).id;
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.stop();
  });

  const invitePath = (orgId = t.orgId) => `/organizations/${orgId}/users/invite`;
  const nextEmail = () => `invitee-${++seq}@example.com`;
  async function linkIn(to: string, after = 0): Promise<{ link: string; text: string }> {
    const mail = await smtp.waitForMessage(to, { timeoutMs: 10_000, match: (m) => /accept-invite\//.test(m.text) && smtp.messagesTo(to).indexOf(m) >= after });
    return { link: /https?:\/\/\S+\/auth\/accept-invite\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0], text: mail.text };
  }
  const pathOf = (link: string) => new URL(link).pathname;

  it('invites with pre-assigned role and claim, accepts with a password, and signs in to a verified ID token', async () => {
    const email = nextEmail();
    const res = await s.superAdmin.post(invitePath(), {
      email, givenName: 'Grace', personalMessage: 'Welcome to the editorial team!',
      roles: [{ applicationId: t.appId, roleId }], claims: [{ applicationId: t.appId, claimDefinitionId: claimId, value: 'gold' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ email, created: true, invitationSent: true });
    const userId = res.body.data.userId as string;
    const { link, text } = await linkIn(email);
    expect(link.startsWith(`${s.url}/${t.slug}/auth/accept-invite/`)).toBe(true);
    expect(text).toContain('Welcome to the editorial team!');

    const browser = new HttpBrowser(s.url);
    const form = await browser.request(pathOf(link));
    expect(form.status).toBe(200);
    expect(form.body).toContain('Grace');
    const weak = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), password: 'password1', confirm: 'password1' } });
    expect(weak.status).toBe(400);
    const accepted = await browser.request(formAction(weak.body), { form: { _csrf: hiddenInput(weak.body, '_csrf'), password: PASSWORD, confirm: PASSWORD } });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toContain('Your account is ready');
    await smtp.waitForMessage(email, { timeoutMs: 10_000, match: (m) => !/accept-invite\//.test(m.text) });

    const user = await s.porta.services.users.getById(t.orgId, userId);
    expect(user).toMatchObject({ hasPassword: true, emailVerified: true, status: 'active' });
    expect((await s.porta.services.rbac.listUserRoles(t.orgId, userId)).map((r) => r.id)).toEqual([roleId]);
    const events = (await s.porta.services.audit.history('user', userId, { limit: 20 })).data.map((e: { eventType: string }) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['user.invited', 'user.invite.accepted', 'user.invite.pre_assignments_applied']));

    const config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const rp = new HttpBrowser(s.url);
    const login = await rp.follow(url.toString());
    const done = await rp.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email, password: PASSWORD } });
    expect(done.location).toMatch(/\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier });
    expect(tokens.claims()).toMatchObject({ sub: userId, email, tier: 'gold' });

    const reused = await new HttpBrowser(s.url).request(pathOf(link));
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('expired or was already used');
  });

  it('re-invites (200) and retires the earlier link; expired and foreign links show the expired page', async () => {
    const email = nextEmail();
    expect((await s.superAdmin.post(invitePath(), { email })).status).toBe(201);
    const first = await linkIn(email);
    const again = await s.superAdmin.post(invitePath(), { email });
    expect(again.status).toBe(200);
    expect(again.body.data.created).toBe(false);
    const second = await linkIn(email, 1);
    expect(second.link).not.toBe(first.link);
    expect((await new HttpBrowser(s.url).request(pathOf(first.link))).status).toBe(400);
    const other = await createTenant(s.porta.services, 'invite-globex');
    expect((await new HttpBrowser(s.url).request(pathOf(second.link).replace(`/${t.slug}/`, `/${other.slug}/`))).status).toBe(400);
    await s.porta.db.query("UPDATE invitation_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [again.body.data.userId]);
    const expired = await new HttpBrowser(s.url).request(pathOf(second.link));
    expect(expired.status).toBe(400);
    expect(expired.body).toContain('expired or was already used');
  });

  it('refuses an active user with a password, bad references, admin roles and callers without user:invite', async () => {
    expect((await s.superAdmin.post(invitePath(), { email: t.email })).status).toBe(409);
    const unknownRole = await s.superAdmin.post(invitePath(), { email: nextEmail(), roles: [{ applicationId: t.appId, roleId: '00000000-0000-4000-8000-000000000000' }] });
    expect([unknownRole.status, unknownRole.body.error, unknownRole.body.details[0]]).toEqual([400, 'validation_failed', expect.objectContaining({ reason: 'invalid_reference' })]);
    const badType = await s.superAdmin.post(invitePath(), { email: nextEmail(), claims: [{ applicationId: t.appId, claimDefinitionId: claimId, value: 42 }] });
    expect([badType.status, badType.body.error, badType.body.details[0].reason]).toEqual([400, 'validation_failed', 'claim_type_mismatch']);
    const adminApp = await s.porta.services.applications.findBySlug(ADMIN_APPLICATION_SLUG);
    const adminRole = (await s.porta.services.rbac.listRoles(adminApp!.id))[0]!;
    const adminOrg = await s.porta.services.organizations.findBySlug('porta-admin');
    const escalation = await s.superAdmin.post(invitePath(adminOrg!.id), { email: nextEmail(), roles: [{ applicationId: adminApp!.id, roleId: adminRole.id }] });
    expect(escalation.status).toBe(400);
    const auditor = await s.clientWithRoles(['porta-auditor']);
    expect((await auditor.post(invitePath(), { email: nextEmail() })).status).toBe(403);
    const count = await s.porta.db.one<{ n: number }>('SELECT count(*)::int AS n FROM invitation_tokens t JOIN users u ON u.id = t.user_id WHERE u.organization_id = $1', [t.orgId]);
    expect(count.n).toBe(3);
  });
});
