import AxeBuilder from '@axe-core/playwright';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { REDIRECT_URI, createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const TEST_TIMEOUT = 90_000;
const SYSTEM = systemActor();
const COMPANY = 'Harbourlight';
const PASSWORD = 'Cobalt-orchard-4417';
/** A message key or an unfilled placeholder on screen means a missing translation. */
const RAW_KEY = /\b(?:account|errors|common|login)\.[a-z_.]+\b|\{[a-zA-Z_]+\}/;

/**
 * Spec 70 §2 in Chromium: the account portal signs in through the organization's issuer (porta-account,
 * code + PKCE), and each page's main task is checked from outside: userinfo of a relying party's token,
 * prompt=none of another browser, a refresh token that stops working.
 */
describeWithChromium('Browser: account portal', () => {
  let s: TestServer;
  let smtp: SmtpHarness;
  let issuer: string;
  /** Real time, moved forward on purpose by the stale sign-in test. */
  let skewMs = 0;
  let org: Tenant;
  let otherOrg: Tenant;
  let counter = 0;
  const browsers: ChromiumSession[] = [];
  let config: oidc.Configuration;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'embedded', env: smtp.env(), clock: { now: () => Date.now() + skewMs } });
    issuer = s.config.issuerBaseUrl;
    const services = s.porta.services;
    org = await createTenant(services, 'portal-main');
    await services.organizations.update(SYSTEM, org.orgId, { branding: { companyName: COMPANY } });
    otherOrg = await createTenant(services, 'portal-other');
    config = await oidc.discovery(new URL(`${issuer}/${org.slug}`), org.confidential.clientId, undefined, oidc.ClientSecretBasic(org.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
  }, 60_000);
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  async function openPage(): Promise<Page> {
    const browser = await launchChromium();
    browsers.push(browser);
    return browser.newPage();
  }

  async function newUser(t: Tenant = org) {
    const email = `portal${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, givenName: 'Ada', familyName: 'Byron', emailVerified: true });
    return { id: user.id, email };
  }

  const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

  /** The organization's login page; it links to the portal, except on the portal's own sign-in. */
  async function signInAtIssuer(page: Page, email: string, options: { isPortal?: boolean } = {}): Promise<void> {
    await page.waitForURL(/\/interaction\/[^/]+$/);
    expect(await page.getByRole('link', { name: 'Manage your account' }).count()).toBe(options.isPortal ? 0 : 1);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await button(page, 'Sign in').click();
  }

  /** Opens the portal, signs in at the issuer, lands on the profile page. */
  async function portalSignIn(page: Page, email: string, t: Tenant = org): Promise<void> {
    await page.goto(`${issuer}/${t.slug}/account`);
    await signInAtIssuer(page, email, { isPortal: true });
    await page.waitForURL(`${issuer}/${t.slug}/account`);
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
  }

  /** Branded, in English, no raw key, no serious axe finding; then a screenshot. */
  async function checkPage(page: Page, name: string, heading: string | RegExp): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('header.brand').textContent()).toContain(COMPANY);
    expect(await page.locator('main').innerText()).not.toMatch(RAW_KEY);
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await saveScreenshot(page, name);
  }

  /**
   * A relying party's sign-in in this browser (the confidential client of the tenant): the code is caught
   * at the redirect URI and redeemed here, so the test holds the access and refresh tokens.
   */
  async function appTokens(page: Page, email?: string): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access', prompt: 'consent', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    let callback: string | undefined;
    const isCallback = (u: URL) => u.href.startsWith(`${REDIRECT_URI}?`);
    await page.route(isCallback, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>App</title><h1>App</h1>' });
    });
    await page.goto(url.href).catch(() => undefined);
    if (email) await signInAtIssuer(page, email);
    await expect.poll(() => callback, { timeout: 20_000 }).toBeDefined();
    await page.unroute(isCallback);
    return oidc.authorizationCodeGrant(config, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: state });
  }

  /** prompt=none at the relying party in this browser: the callback's `error`, or null when signed in silently. */
  async function silentError(page: Page): Promise<string | null> {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none', state: oidc.randomState(),
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    let callback: string | undefined;
    const isCallback = (u: URL) => u.href.startsWith(`${REDIRECT_URI}?`);
    await page.route(isCallback, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>App</title><h1>App</h1>' });
    });
    await page.goto(url.href).catch(() => undefined);
    await expect.poll(() => callback, { timeout: 20_000 }).toBeDefined();
    await page.unroute(isCallback);
    return new URL(callback!).searchParams.get('error');
  }

  const refreshFails = async (refreshToken: string) => {
    const error = await oidc.refreshTokenGrant(config, refreshToken).then(() => null, (err: unknown) => (err as { error?: string }).error ?? String(err));
    return error;
  };

  it('signs in through the issuer and a changed name reaches userinfo of an application token', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    await checkPage(page, 'account-profile', 'Profile');
    expect(await page.getByRole('link', { name: 'Profile' }).getAttribute('aria-current')).toBe('page');
    await page.getByLabel('First name').fill('Augusta');
    await page.getByLabel('Last name').fill('King');
    await button(page, 'Save').click();
    await page.getByText('Your profile was saved.').waitFor();
    const tokens = await appTokens(page);
    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, given_name: 'Augusta', family_name: 'King' });
    const [updated] = (await s.porta.services.audit.list({ event: 'user.updated', org: org.orgId, limit: 50 })).data.filter((e) => e.targetId === user.id && e.source === 'account');
    expect(updated).toBeDefined();
    // The language chosen here is the pages' (and the e-mails') from now on.
    await page.goto(`${issuer}/${org.slug}/account`);
    await page.getByLabel('Language').selectOption('de');
    await button(page, 'Save').click();
    await page.getByText('Ihr Profil wurde gespeichert.').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.locator('main').innerText()).not.toMatch(RAW_KEY);
    expect((await s.porta.services.users.findById(org.orgId, user.id))!.locale).toBe('de');
  });

  it("a password change ends another browser's session and its refresh token, and e-mails the user", { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const other = await openPage();
    const otherTokens = await appTokens(other, user.email);
    expect(otherTokens.refresh_token).toBeDefined();
    expect(await silentError(other)).toBeNull();

    const page = await openPage();
    await portalSignIn(page, user.email);
    await page.getByRole('link', { name: 'Password' }).click();
    await checkPage(page, 'account-password', 'Password');
    await page.getByLabel('Current password').fill('not-my-password');
    await page.getByLabel('New password', { exact: true }).fill('Saffron-lantern-8812');
    await page.getByLabel('Confirm the new password').fill('Saffron-lantern-8812');
    await button(page, 'Change password').click();
    await page.getByText('Your current password is not right.').waitFor();

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('Saffron-lantern-8812');
    await page.getByLabel('Confirm the new password').fill('Saffron-lantern-8812');
    await button(page, 'Change password').click();
    await page.getByText('Your password was changed.', { exact: false }).waitFor();

    expect(await silentError(other)).toBe('login_required');
    expect(await refreshFails(otherTokens.refresh_token!)).toBe('invalid_grant');
    const notice = await smtp.waitForMessage(user.email, { timeoutMs: 15_000, match: (m) => /password was changed/.test(m.subject) });
    expect(notice.subject).toBe(`Your ${COMPANY} password was changed`);
    // This browser stays signed in, to the portal and at the issuer.
    await page.goto(`${issuer}/${org.slug}/account/sessions`);
    await page.getByRole('heading', { level: 1, name: 'Sessions and devices' }).waitFor();
    const audit = (await s.porta.services.audit.list({ event: 'user.password_changed', org: org.orgId, limit: 50 })).data.filter((e) => e.targetId === user.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.source).toBe('account');
  });

  it('signs out one other session, then all others; the current one is marked and stays', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const first = await openPage();
    await appTokens(first, user.email);
    const second = await openPage();
    const secondTokens = await appTokens(second, user.email);

    // A deep link: after the sign-in at the issuer the portal returns to the page asked for.
    const page = await openPage();
    await page.goto(`${issuer}/${org.slug}/account/sessions`);
    await signInAtIssuer(page, user.email, { isPortal: true });
    await page.waitForURL(`${issuer}/${org.slug}/account/sessions`);
    await checkPage(page, 'account-sessions', 'Sessions and devices');
    const rows = page.locator('table.portal-list tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    await expect.poll(() => page.locator('tbody tr', { hasText: 'This device' }).count()).toBe(1);

    const sessions = await s.porta.services.sessions.listOwn(org.orgId, user.id);
    await page.locator('tbody tr').filter({ has: page.locator(`input[name=session][value="${sessions.at(-1)!.sessionId}"]`) }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('That session was signed out.').waitFor();
    await expect.poll(() => rows.count()).toBe(2);

    await button(page, 'Sign out everywhere else').click();
    await page.getByText('You were signed out everywhere else.').waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await silentError(first)).toBe('login_required');
    expect(await silentError(second)).toBe('login_required');
    expect(await refreshFails(secondTokens.refresh_token!)).toBe('invalid_grant');
  });

  it('revokes a connected app: its refresh token fails', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    const tokens = await appTokens(page);
    await page.goto(`${issuer}/${org.slug}/account/apps`);
    await checkPage(page, 'account-apps', 'Connected apps');
    const row = page.locator('tbody tr', { hasText: `Web ${org.slug}` });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toContain('offline_access');
    await row.getByRole('button', { name: `Revoke access of Web ${org.slug}` }).click();
    await page.getByText('The application\'s access was revoked.').waitFor();
    await page.getByText('No application has access to your account.').waitFor();
    expect(await refreshFails(tokens.refresh_token!)).toBe('invalid_grant');
    const audit = (await s.porta.services.audit.list({ event: 'grant.revoked', org: org.orgId, limit: 50 })).data.filter((e) => e.userId === user.id);
    expect(audit).toHaveLength(1);
  });

  it('changes the e-mail address only when the link sent to the new address is opened; the old one gets a notice', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const newEmail = `renamed${counter}@example.org`;
    const page = await openPage();
    await portalSignIn(page, user.email);
    await page.getByRole('link', { name: 'Change your e-mail address' }).click();
    await checkPage(page, 'account-email', 'E-mail address');
    await page.getByLabel('New e-mail address').fill(newEmail);
    await button(page, 'Send the confirmation link').click();
    await page.getByText('Check the new address', { exact: false }).waitFor();
    const notice = await smtp.waitForMessage(user.email, { timeoutMs: 15_000 });
    expect(notice.subject).toContain('is being changed');
    expect(notice.text).toContain('r•••@example.org');
    const mail = await smtp.waitForMessage(newEmail, { timeoutMs: 15_000 });
    const link = /https?:\/\/\S+\/account\/email\/confirm\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0];
    expect((await s.porta.services.users.findById(org.orgId, user.id))!.email).toBe(user.email);

    const elsewhere = await openPage();
    await elsewhere.goto(link);
    await checkPage(elsewhere, 'account-email-confirm', 'Confirm your new e-mail address');
    await button(elsewhere, 'Confirm').click();
    await elsewhere.getByRole('heading', { level: 1, name: 'E-mail address changed' }).waitFor();
    const changed = (await s.porta.services.users.findById(org.orgId, user.id))!;
    expect(changed).toMatchObject({ email: newEmail, emailVerified: true });
    // The link is single-use.
    await elsewhere.goto(link);
    await elsewhere.getByText('This link is no longer valid.', { exact: false }).waitFor();
    const events = (await s.porta.services.audit.list({ org: org.orgId, limit: 200 })).data.filter((e) => e.targetId === user.id).map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['user.email_change.requested', 'user.email_changed']));
  });

  it('refuses an address another user of the organization holds, and changes nothing', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const holder = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    await page.goto(`${issuer}/${org.slug}/account/email`);
    await page.getByLabel('New e-mail address').fill(holder.email.toUpperCase());
    await button(page, 'Send the confirmation link').click();
    await page.getByText('This e-mail address is not available. Choose another one.').waitFor();
    expect((await s.porta.services.users.findById(org.orgId, user.id))!.email).toBe(user.email);
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.messagesTo(user.email)).toEqual([]);
    expect(smtp.messagesTo(holder.email)).toEqual([]);
  });

  it("keeps organizations apart: A's user cannot sign in to B's portal, and A's portal cookie means nothing at B", { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    await page.goto(`${issuer}/${otherOrg.slug}/account`);
    await page.waitForURL(new RegExp(`/${otherOrg.slug}/interaction/[^/]+$`));
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await button(page, 'Sign in').click();
    await page.getByRole('alert').waitFor();
    expect(page.url()).toContain(`/${otherOrg.slug}/interaction/`);
    // The same portal cookie, presented to B on purpose, names no session there.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'porta_account')!;
    const res = await fetch(`${issuer}/${otherOrg.slug}/account`, { redirect: 'manual', headers: { cookie: `porta_account=${cookie.value}` } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/${otherOrg.slug}/account/sign-in\\?`));
  });

  it('refuses every form without the right CSRF token', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    const base = `${issuer}/${org.slug}/account`;
    const forms: Array<[string, Record<string, string>]> = [
      ['', { given_name: 'Mallory', family_name: 'X', locale: '' }],
      ['/email', { new_email: 'mallory@example.com' }],
      ['/password', { current_password: PASSWORD, new_password: 'Saffron-lantern-8812', confirm_password: 'Saffron-lantern-8812' }],
      ['/sessions/sign-out', { session: 'x' }],
      ['/sessions/sign-out-others', {}],
      ['/apps/revoke', { client: org.confidential.clientId }],
      ['/sign-out', {}],
      [`/email/confirm/${'a'.repeat(43)}`, {}],
    ];
    for (const [path, fields] of forms) {
      for (const csrf of [undefined, 'wrong-token-value-of-the-right-length-xxxxxxx']) {
        const form = csrf === undefined ? fields : { ...fields, _csrf: csrf };
        const res = await page.request.post(`${base}${path}`, { form, maxRedirects: 0 });
        expect({ path, csrf, status: res.status() }).toEqual({ path, csrf, status: 403 });
        expect(await res.text()).toContain('Your form expired');
      }
    }
    const after = (await s.porta.services.users.findById(org.orgId, user.id))!;
    expect(after).toMatchObject({ givenName: 'Ada', email: user.email });
    await page.goto(base);
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
  });

  it('sends a stale sign-in trying a sensitive change back through the issuer with max_age=600', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    await page.goto(`${issuer}/${org.slug}/account/password`);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    skewMs = 700_000;
    try {
      const res = await page.request.post(`${issuer}/${org.slug}/account/password`, {
        form: { _csrf: csrf, current_password: PASSWORD, new_password: 'Saffron-lantern-8812', confirm_password: 'Saffron-lantern-8812' }, maxRedirects: 0,
      });
      expect(res.status()).toBe(303);
      const signIn = new URL(res.headers().location!, issuer);
      expect(signIn.pathname).toBe(`/${org.slug}/account/sign-in`);
      expect(signIn.searchParams.get('max_age')).toBe('600');
      expect(signIn.searchParams.get('return_to')).toBe(`/${org.slug}/account/password`);
      const toIssuer = await page.request.get(signIn.href, { maxRedirects: 0 });
      const authorize = new URL(toIssuer.headers().location!);
      expect(authorize.pathname).toBe(`/${org.slug}/auth/authorize`);
      expect(authorize.searchParams.get('max_age')).toBe('600');
      expect(authorize.searchParams.get('client_id')).toBe('porta-account');
    } finally {
      skewMs = 0;
    }
    // Nothing changed: the old password still works.
    expect((await s.porta.services.audit.list({ event: 'user.password_changed', org: org.orgId, limit: 50 })).data.filter((e) => e.targetId === user.id)).toEqual([]);
  });

  it('answers a friendly 404 while the organization has the portal off', { timeout: TEST_TIMEOUT }, async () => {
    const t = await createTenant(s.porta.services, 'portal-off');
    await s.porta.services.organizations.update(SYSTEM, t.orgId, { accountPortalEnabled: false, branding: { companyName: COMPANY } });
    const page = await openPage();
    const res = await page.goto(`${issuer}/${t.slug}/account`);
    expect(res!.status()).toBe(404);
    await page.getByText('There is no account page here.').waitFor();
    await checkPage(page, 'account-disabled', 'Something went wrong');
    const client = await fetch(`${issuer}/${t.slug}/auth/authorize?client_id=porta-account&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${issuer}/${t.slug}/account/callback`)}`, { redirect: 'manual' });
    expect(client.status).toBe(400);
  });

  it('signs out of the portal and of the organization in this browser; a suspended user is signed out at the next page', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser();
    const page = await openPage();
    await portalSignIn(page, user.email);
    await button(page, 'Sign out').click();
    await page.getByText('You are signed out.').waitFor();
    await checkPage(page, 'account-signed-out', 'Your account');
    expect(await silentError(page)).toBe('login_required');
    await page.goto(`${issuer}/${org.slug}/account`);
    await page.waitForURL(/\/interaction\/[^/]+$/);

    const again = await openPage();
    await portalSignIn(again, user.email);
    await s.porta.services.users.setStatus(SYSTEM, org.orgId, user.id, 'suspend');
    await again.goto(`${issuer}/${org.slug}/account/sessions`);
    await again.waitForURL(/\/interaction\/[^/]+$/);
    expect(await again.context().cookies().then((all) => all.some((c) => c.name === 'porta_account' && c.value !== ''))).toBe(false);
  });
});
