/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers asserted field by field */
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountActor, systemActor } from '../../src/actors/index.js';
import { totpCodeAt } from '../../src/two-factor/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';
import { HttpBrowser, hiddenInput, type PageResponse } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';
import { softAuthenticator, type CeremonyBend, type SoftAuthenticator } from '../support/webauthn.js';

const SYSTEM = systemActor();
const base32Decode = (s: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=').replace(/&quot;/g, '"');

/** The form of a passkey ceremony on a page: where it posts, where its script asks for options. */
function ceremonyForm(html: string, purpose: string): { action: string; optionsUrl: string } {
  const tag = new RegExp(`<form[^>]*data-passkey="${purpose}"[^>]*>`).exec(html)?.[0];
  if (!tag) throw new Error(`no ${purpose} passkey form in page`);
  return { action: decode(/action="([^"]*)"/.exec(tag)![1]!), optionsUrl: decode(/data-options-url="([^"]*)"/.exec(tag)![1]!) };
}

/**
 * Spec 70 §1 over plain HTTP, as a browser's script would speak to Porta, with a software authenticator:
 * the login page's passkey offer, enrolment after a password sign-in, usernameless sign-in to a verified ID
 * token with `amr`/`acr`, and the refusals (origin, replay, another organization's passkey, disabled method).
 */
describe('passkeys over HTTP (spec 70 §1)', () => {
  let s: TestServer;
  let issuer: string;
  let a: Tenant;
  let b: Tenant;
  let plain: Tenant;
  let totp: Tenant;
  let auth: SoftAuthenticator;
  const configs = new Map<string, oidc.Configuration>();

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded', issuerHost: 'localhost' });
    issuer = s.config.issuerBaseUrl;
    const services = s.porta.services;
    await services.systemConfig.set(SYSTEM, 'rate_limit_token_max', '100000');
    a = await createTenant(services, 'pkh-a');
    b = await createTenant(services, 'pkh-b');
    plain = await createTenant(services, 'pkh-plain');
    totp = await createTenant(services, 'pkh-totp');
    for (const t of [a, b, totp]) await services.organizations.update(SYSTEM, t.orgId, { defaultLoginMethods: ['password', 'passkey'] });
    await services.organizations.update(SYSTEM, a.orgId, { passkeyEnrolmentPrompt: true });
    await services.organizations.update(SYSTEM, totp.orgId, { twoFactorPolicy: 'required_totp' });
    auth = softAuthenticator(issuer);
  }, 60_000);
  afterAll(() => s?.stop());

  async function configOf(t: Tenant): Promise<oidc.Configuration> {
    if (!configs.has(t.slug)) {
      configs.set(t.slug, await oidc.discovery(new URL(`${issuer}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] }));
    }
    return configs.get(t.slug)!;
  }

  /** A fresh browser at the login page of an authorization request. */
  async function loginPage(t: Tenant) {
    const config = await configOf(t);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new HttpBrowser(issuer);
    const page = await browser.follow(url.toString());
    expect(page.status).toBe(200);
    return { browser, page, config, verifier, state };
  }

  type Flow = Awaited<ReturnType<typeof loginPage>>;

  async function optionsFor(flow: Flow, page: PageResponse, purpose: string): Promise<any> {
    const { optionsUrl } = ceremonyForm(page.body, purpose);
    const res = await flow.browser.request(optionsUrl, { form: { _csrf: hiddenInput(page.body, '_csrf'), purpose } });
    expect(res.status, res.body).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    return JSON.parse(res.body).options;
  }

  async function postCeremony(flow: Flow, page: PageResponse, purpose: string, response: unknown, extra: Record<string, string> = {}) {
    return flow.browser.follow(ceremonyForm(page.body, purpose).action, { form: { _csrf: hiddenInput(page.body, '_csrf'), response: JSON.stringify(response), ...extra } });
  }

  async function idTokenOf(flow: Flow, done: PageResponse) {
    expect(done.status, done.body.slice(0, 300)).toBe(303);
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(done.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return tokens.claims()!;
  }

  async function passwordIn(flow: Flow, email = 'ada@example.com') {
    return flow.browser.request(`${new URL(flow.page.url).pathname}/login`, { form: { _csrf: hiddenInput(flow.page.body, '_csrf'), email, password: PASSWORD } });
  }

  /** Usernameless sign-in at `t` with the soft authenticator, bent as asked. */
  async function passkeySignIn(t: Tenant, bend: CeremonyBend = {}) {
    const flow = await loginPage(t);
    const options = await optionsFor(flow, flow.page, 'sign_in');
    const done = await postCeremony(flow, flow.page, 'sign_in', auth.assert(options, bend));
    return { flow, done, options };
  }

  it('offers passkeys on the login page only where the method is effective, with conditional UI and Porta-served scripts', async () => {
    const { page } = await loginPage(a);
    expect(page.body).toContain('autocomplete="username webauthn"');
    expect(page.body).toContain('data-conditional="true"');
    expect(page.body).toContain('Sign in with a passkey');
    expect(page.body).toContain('Passkeys need JavaScript');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toMatch(/^\/static\/webauthn\/simplewebauthn-browser-\d+\.\d+\.\d+\.umd\.min\.js$/);
    for (const src of scripts) {
      const res = await fetch(`${issuer}${src}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect(await (await fetch(`${issuer}${scripts[0]}`)).text()).toMatch(/^\/\* \[@simplewebauthn\/browser@/);
    expect(await (await fetch(`${issuer}${scripts[1]}`)).text()).toContain("querySelectorAll('form[data-passkey]')");

    const other = (await loginPage(plain)).page;
    expect(other.body).toContain('autocomplete="username"');
    expect(other.body).not.toContain('data-passkey');
    expect(other.headers.get('content-security-policy')).not.toContain('connect-src');
  });

  it('offers a passkey right after a password sign-in, adds it, and finishes the sign-in with one factor', async () => {
    const flow = await loginPage(a);
    const prompt = await passwordIn(flow);
    expect(prompt.status).toBe(303);
    expect(prompt.location).toMatch(/\/pkh-a\/interaction\/[^/]+\/passkey\/enrol$/);
    const page = await flow.browser.request(prompt.location!);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign in faster next time');
    expect(page.body).toContain('Not now');
    const options = await optionsFor(flow, page, 'registration');
    expect(options.rp).toEqual({ id: 'localhost', name: 'pkh-a' });
    expect(options.user.name).toBe('ada@example.com');
    const claims = await idTokenOf(flow, await postCeremony(flow, page, 'registration', auth.register(options), { name: 'HTTP key' }));
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe('urn:porta:acr:1fa');
    expect((await s.porta.services.passkeys.list(a.orgId, a.userId)).map((p) => p.name)).toEqual(['HTTP key']);

    // With a passkey held, the next password sign-in is not held back.
    const next = await loginPage(a);
    const signedIn = await passwordIn(next);
    expect((await idTokenOf(next, await next.browser.follow(signedIn.location!))).amr).toEqual(['pwd']);
  });

  it('lets the prompt be skipped', async () => {
    const other = await s.porta.services.users.create(SYSTEM, a.orgId, { email: 'skip@example.com', password: PASSWORD });
    const flow = await loginPage(a);
    const prompt = await passwordIn(flow, 'skip@example.com');
    const page = await flow.browser.request(prompt.location!);
    const skip = /<form method="post" action="([^"]+\/passkey\/enrol\/skip)"/.exec(page.body)![1]!;
    const claims = await idTokenOf(flow, await flow.browser.follow(skip, { form: { _csrf: hiddenInput(page.body, '_csrf') } }));
    expect(claims.sub).toBe(other.id);
    expect(await s.porta.services.passkeys.countForUser(a.orgId, other.id)).toBe(0);
  });

  it('signs in usernameless with a user-verified passkey: two factors in one (amr hwk user mfa, acr 2fa)', async () => {
    const { flow, done } = await passkeySignIn(a);
    const claims = await idTokenOf(flow, done);
    expect(claims.sub).toBe(a.userId);
    expect([...(claims.amr as string[])].sort()).toEqual(['hwk', 'mfa', 'user']);
    expect(claims.acr).toBe('urn:porta:acr:2fa');
    const [entry] = (await s.porta.services.audit.list({ event: 'user.login.passkey', org: a.orgId })).data;
    expect(entry).toMatchObject({ userId: a.userId, source: 'login', metadata: { purpose: 'sign_in', userVerified: true, clientId: a.confidential.clientId } });
  });

  it('refuses a wrong origin, then the same challenge again (single use), with the generic message', async () => {
    const flow = await loginPage(a);
    const options = await optionsFor(flow, flow.page, 'sign_in');
    const wrong = await postCeremony(flow, flow.page, 'sign_in', auth.assert(options, { origin: 'http://localhost.evil.example' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That passkey could not sign you in.');
    // The challenge went with the refused answer: a correct one for it no longer counts.
    const replay = await postCeremony(flow, wrong, 'sign_in', auth.assert(options));
    expect(replay.status).toBe(401);
    const reasons = (await s.porta.services.audit.list({ event: 'user.login.passkey.failed', org: a.orgId })).data.map((e) => e.metadata?.reason);
    expect(reasons).toEqual(expect.arrayContaining(['origin_mismatch', 'challenge_missing']));

    // A response captured from a completed sign-in is worth nothing in another.
    const first = await loginPage(a);
    const captured = auth.assert(await optionsFor(first, first.page, 'sign_in'));
    await idTokenOf(first, await postCeremony(first, first.page, 'sign_in', captured));
    const second = await loginPage(a);
    await optionsFor(second, second.page, 'sign_in');
    expect((await postCeremony(second, second.page, 'sign_in', captured)).status).toBe(401);
  });

  it('never signs a passkey of organization A in at organization B', async () => {
    const { done } = await passkeySignIn(b);
    expect(done.status).toBe(401);
    expect(done.body).toContain('That passkey could not sign you in.');
    const [failed] = (await s.porta.services.audit.list({ event: 'user.login.passkey.failed', org: b.orgId })).data;
    expect(failed).toMatchObject({ organizationId: b.orgId, userId: null, metadata: { reason: 'unknown_credential', purpose: 'sign_in' } });
  });

  it('answers only for an effective method, with CSRF, inside a live interaction', async () => {
    const flow = await loginPage(plain);
    const base = `${new URL(flow.page.url).pathname}/passkey`;
    const csrf = hiddenInput(flow.page.body, '_csrf');
    const refused = await flow.browser.request(`${base}/options`, { form: { _csrf: csrf, purpose: 'sign_in' } });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ error: 'method_unavailable' });
    const post = await flow.browser.request(`${base}/sign-in`, { form: { _csrf: csrf, response: '{}' } });
    expect(post.status).toBe(403);
    expect(post.body).toContain('This sign-in method is not available.');
    const [disabled] = (await s.porta.services.audit.list({ event: 'security.login_method_disabled', org: plain.orgId })).data;
    expect(disabled).toMatchObject({ metadata: { attemptedMethod: 'passkey' } });

    const other = await loginPage(a);
    const optionsUrl = ceremonyForm(other.page.body, 'sign_in').optionsUrl;
    expect((await other.browser.request(optionsUrl, { form: { purpose: 'sign_in' } })).status).toBe(400);
    expect(JSON.parse((await new HttpBrowser(issuer).request(optionsUrl, { form: { purpose: 'sign_in' } })).body)).toEqual({ error: 'interaction_expired' });
    expect((await other.browser.request(`${new URL(other.page.url).pathname}/passkey/verify`)).status).toBe(403);
    expect((await other.browser.request(`${new URL(other.page.url).pathname}/passkey/enrol`)).status).toBe(403);
  });

  it('a passkey without user verification is one factor: under required_totp the TOTP challenge follows', async () => {
    const services = s.porta.services;
    const user = await services.users.create(SYSTEM, totp.orgId, { email: 'uv@example.com', password: PASSWORD });
    const me = accountActor(user);
    const started = await services.twoFactor.startTotpEnrolment(me, totp.orgId, user.id);
    await services.twoFactor.confirmTotpEnrolment(me, totp.orgId, user.id, totpCodeAt(base32Decode(started.secret), Date.now()));
    const device = softAuthenticator(issuer);
    const reg = await services.passkeys.registrationOptions(SYSTEM, totp.orgId, user.id, { ceremonyId: 'seed' });
    await services.passkeys.register(SYSTEM, totp.orgId, user.id, { ceremonyId: 'seed', response: device.register(reg) });

    const flow = await loginPage(totp);
    const options = await optionsFor(flow, flow.page, 'sign_in');
    const challenge = await postCeremony(flow, flow.page, 'sign_in', device.assert(options, { isUserVerified: false }));
    expect(challenge.status).toBe(200);
    expect(challenge.url).toMatch(/\/pkh-totp\/interaction\/[^/]+\/two-factor$/);
    expect(challenge.body).toContain('name="codeType" value="totp"');
    expect(challenge.body).not.toContain('/passkey/verify');

    const verified = await loginPage(totp);
    const claims = await idTokenOf(verified, await postCeremony(verified, verified.page, 'sign_in', device.assert(await optionsFor(verified, verified.page, 'sign_in'))));
    expect(claims.acr).toBe('urn:porta:acr:2fa');
  });
});

/**
 * Issue 15 item 4: a user's passkeys over the Admin API and `porta user passkeys`, with their permissions,
 * the organization boundary, the audit entry and the factor-change e-mail.
 */
describeWithServices('passkey admin control (API and CLI)', () => {
  let smtp: SmtpHarness;
  let s: AdminServer;
  let services: Services;
  let orgId: string;
  let otherOrgId: string;
  let userAdmin: AdminClient;
  let auditor: AdminClient;
  let orgAdmin: AdminClient;
  let cliEnv: NodeJS.ProcessEnv;
  let seq = 0;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startAdminServer({ backends: 'services', env: smtp.env() });
    services = s.porta.services;
    await services.systemConfig.set(SYSTEM, 'rate_limit_admin_write_max', '100000');
    orgId = (await services.organizations.create(SYSTEM, { name: 'Keys', slug: 'pka-keys', branding: { companyName: 'Keys Co' } })).id;
    otherOrgId = (await services.organizations.create(SYSTEM, { name: 'Else', slug: 'pka-else' })).id;
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    const database = s.server.config.database;
    if (database.kind !== 'postgres') throw new Error('needs PostgreSQL');
    cliEnv = { ...process.env, HOME: path.join(os.tmpdir(), 'porta-pka-nobody'), DATABASE_URL: database.url, NODE_ENV: 'test' };
    for (const name of ['REDIS_URL', 'PORTA_SERVER', 'PORTA_CONTAINER']) delete cliEnv[name];
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  /** A user holding `count` passkeys registered through the domain, as the enrolment page would. */
  async function withPasskeys(count: number): Promise<{ user: User; ids: string[] }> {
    const user = await services.users.create(SYSTEM, orgId, { email: `pka-${++seq}@example.com`, password: 'Lantern-orbit-9317' });
    const device = softAuthenticator(s.server.config.issuerBaseUrl);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const ceremonyId = `admin-${seq}-${i}`;
      const options = await services.passkeys.registrationOptions(accountActor(user), orgId, user.id, { ceremonyId });
      ids.push((await services.passkeys.register(accountActor(user), orgId, user.id, { ceremonyId, response: device.register(options), name: `Key ${i + 1}` })).passkey.id);
    }
    return { user, ids };
  }
  const base = (u: Pick<User, 'id'>, org = orgId) => `/organizations/${org}/users/${u.id}/passkeys`;

  it('lists with user:read, deletes with user:2fa (audited, the user notified), and counts them in the 2FA status', async () => {
    const { user, ids } = await withPasskeys(2);
    const list = await auditor.get(base(user));
    expect(list.status).toBe(200);
    expect(list.body.data.map((p: any) => p.name)).toEqual(['Key 1', 'Key 2']);
    expect(Object.keys(list.body.data[0]).sort()).toEqual(['aaguid', 'createdAt', 'id', 'isBackedUp', 'lastUsedAt', 'name', 'transports']);
    expect((await auditor.get(`/organizations/${orgId}/users/${user.id}/two-factor/status`)).body.data.passkeys).toBe(2);
    expect((await orgAdmin.get(base(user))).status).toBe(403);

    const refused = await auditor.delete(`${base(user)}/${ids[0]}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:user:2fa'] } });
    const deleted = await userAdmin.delete(`${base(user)}/${ids[0]}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    expect((await auditor.get(base(user))).body.data.map((p: any) => p.id)).toEqual([ids[1]]);
    const again = await userAdmin.delete(`${base(user)}/${ids[0]}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('not_found');
    const [entry] = (await s.superAdmin.get(`/audit?event=user.passkey.removed&user=${user.id}`)).body.data;
    expect(entry).toMatchObject({ actorId: userAdmin.userId, eventCategory: 'admin', metadata: { passkeyId: ids[0], remaining: 1 } });
    const mail = await smtp.waitForMessage(user.email, { timeoutMs: 15_000, match: (m) => /A passkey was removed/.test(m.text) });
    expect(mail.subject).toBe('Your Keys Co sign-in security settings changed');
  });

  it('stays inside the addressed organization', async () => {
    const { user, ids } = await withPasskeys(1);
    expect((await auditor.get(base(user, otherOrgId))).status).toBe(404);
    const elsewhere = await userAdmin.delete(`${base(user, otherOrgId)}/${ids[0]}`);
    expect(elsewhere.status).toBe(404);
    expect((await auditor.get(base(user))).body.data).toHaveLength(1);
    // Another user's passkey id under this user is not found either.
    const { user: other } = await withPasskeys(0);
    expect((await userAdmin.delete(`${base(other)}/${ids[0]}`)).status).toBe(404);
    expect((await userAdmin.delete(`${base(user)}/not-a-uuid`)).status).toBe(404);
  });

  it('porta user passkeys list | delete in direct mode, audited as the CLI', async () => {
    const cli = (args: string[]) => runPorta([...args, '--direct'], { env: cliEnv, timeoutMs: 60_000 });
    const { user, ids } = await withPasskeys(1);
    const listed = await cli(['user', 'passkeys', 'list', user.id, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).data.map((p: any) => p.id)).toEqual(ids);
    const human = await cli(['user', 'passkeys', 'list', '--org', 'pka-keys', '--user-id', user.id]);
    expect(human.stdout).toMatch(/Key 1/);
    expect(human.stdout.split('\n')[0]).toMatch(/^id\s+name\s+synced\s+aaguid\s+created_at\s+last_used_at/i);

    const deleted = await cli(['user', 'passkeys', 'delete', user.id, '--passkey', ids[0]!, '--force']);
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted passkey ${ids[0]}`);
    const [entry] = (await s.superAdmin.get(`/audit?event=user.passkey.removed&user=${user.id}`)).body.data;
    expect(entry).toMatchObject({ actorId: null, source: 'cli-direct' });
    const none = await cli(['user', 'passkeys', 'list', user.id]);
    expect(none.stderr).toContain('has no passkeys');
    const missing = await cli(['user', 'passkeys', 'delete', user.id, '--passkey', ids[0]!, '--force']);
    expect(missing.status).toBe(5);

    const org = await cli(['org', 'update', 'pka-keys', '--passkey-enrolment-prompt', 'true', '--login-methods', 'password,passkey', '--json']);
    expect(org.status, org.stderr).toBe(0);
    expect(JSON.parse(org.stdout).data).toMatchObject({ passkeyEnrolmentPrompt: true, defaultLoginMethods: ['password', 'passkey'] });
  }, 180_000);

  it('exposes the setting over the API and in provisioning; refuses passkey as the admin organization\'s only method', async () => {
    const res = await s.superAdmin.put(`/organizations/${otherOrgId}`, { passkeyEnrolmentPrompt: true, defaultLoginMethods: ['passkey'] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data).toMatchObject({ passkeyEnrolmentPrompt: true, defaultLoginMethods: ['passkey'] });
    expect((await s.superAdmin.put(`/organizations/${otherOrgId}`, { defaultLoginMethods: ['sso'] })).status).toBe(400);
    const adminOrg = await services.organizations.getSuperAdmin();
    const adminOnlyPasskeys = await s.superAdmin.put(`/organizations/${adminOrg.id}`, { defaultLoginMethods: ['passkey'] });
    expect(adminOnlyPasskeys.status).toBe(400);
    expect(adminOnlyPasskeys.body.details).toEqual([expect.objectContaining({ path: 'defaultLoginMethods', reason: 'no_usable_login_method' })]);

    const manifest = JSON.stringify({ organizations: [{ name: 'Prov', slug: 'pka-prov', default_login_methods: ['password', 'passkey'], passkey_enrolment_prompt: true }] });
    const provisioned = await runPorta(['provision', '-f', '-', '--json', '--direct'], { env: cliEnv, input: manifest, timeoutMs: 60_000 });
    expect(provisioned.status, provisioned.stderr).toBe(0);
    expect(await services.organizations.findBySlug('pka-prov')).toMatchObject({ passkeyEnrolmentPrompt: true, defaultLoginMethods: ['password', 'passkey'] });
  }, 120_000);
});
