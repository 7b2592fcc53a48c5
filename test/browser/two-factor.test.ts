import AxeBuilder from '@axe-core/playwright';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import type { Locator, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { TwoFactorPolicy } from '../../src/two-factor/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startRelyingParty, type RelyingParty } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const TEST_TIMEOUT = 90_000;
const SYSTEM = systemActor();
const COMPANY = 'Vault Works';
const PRIMARY = '#7C3AED';
const PRIMARY_RGB = 'rgb(124, 58, 237)';
const PASSWORD = 'Cobalt-orchard-4417';
const ACR_1FA = 'urn:porta:acr:1fa';
const ACR_2FA = 'urn:porta:acr:2fa';
/** A message key or an unfilled placeholder on screen means a missing translation. */
const RAW_KEY = /\b(?:two-factor|login|errors|common)\.[a-z_]+\b|\{[a-zA-Z_]+\}/;

/** The authenticator app of the test: RFC 6238 from the base32 secret the setup page shows. */
const totpCode = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + steps * 30_000 });
const stepNow = () => Math.floor(Date.now() / 30_000);

/** The next step's code, once that step comes after `usedStep` (each step signs in once). */
async function freshCode(secret: string, usedStep: number): Promise<{ code: string; step: number }> {
  while (stepNow() + 1 <= usedStep) await new Promise((resolve) => setTimeout(resolve, 500));
  return { code: totpCode(secret, 1), step: stepNow() + 1 };
}

const sortedAmr = (claims: JWTPayload) => [...(claims.amr as string[])].sort();

/**
 * Spec 60 §4 in Chromium: enrolment, challenges, recovery, resets, policy choices and step-up, each ending
 * in an ID token verified at a relying party with the `amr` and `acr` the sign-in earned; every new page
 * branded, free of serious axe findings, and screenshotted.
 */
describeWithChromium('Browser: two-factor sign-in (TOTP, e-mail codes, recovery codes, step-up)', () => {
  let smtp: SmtpHarness;
  let s: TestServer;
  let rp: RelyingParty;
  let totpOrg: Tenant;
  let mailOrg: Tenant;
  let anyOrg: Tenant;
  let optOrg: Tenant;
  let counter = 0;
  const configs = new Map<string, oidc.Configuration>();
  const browsers: ChromiumSession[] = [];

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'embedded', env: smtp.env() });
    rp = await startRelyingParty();
    const orgs: Array<[string, TwoFactorPolicy]> = [['tfb-totp', 'required_totp'], ['tfb-mail', 'required_email'], ['tfb-any', 'required_any'], ['tfb-opt', 'optional']];
    const tenants = await Promise.all(orgs.map(async ([slug, policy]) => {
      const t = await createTenant(s.porta.services, slug, { redirectUri: rp.callbackUri });
      await s.porta.services.organizations.updateBranding(SYSTEM, t.orgId, { companyName: COMPANY, primaryColor: PRIMARY });
      await s.porta.services.organizations.update(SYSTEM, t.orgId, { twoFactorPolicy: policy });
      return t;
    }));
    [totpOrg, mailOrg, anyOrg, optOrg] = tenants as [Tenant, Tenant, Tenant, Tenant];
  }, 120_000);
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
  });
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
    await smtp?.close();
  });

  async function configOf(t: Tenant): Promise<oidc.Configuration> {
    let config = configs.get(t.slug);
    if (!config) {
      const res = await fetch(`${s.url}/${t.slug}/.well-known/openid-configuration`);
      if (res.status !== 200) throw new Error(`discovery ${res.status} ${await res.text()}`);
      config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });
      configs.set(t.slug, config);
    }
    return config;
  }

  async function openPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const browser = await launchChromium(options);
    browsers.push(browser);
    return browser.newPage();
  }

  async function newUser(t: Tenant) {
    const email = `person${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, givenName: 'Ines', emailVerified: true });
    return { id: user.id, email };
  }

  /** Spec 60 §1, §9-§11: branded, in English, no raw key, primary colour, no serious axe finding; then a screenshot. */
  async function checkPage(page: Page, name: string, heading: string): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.title()).toBe(`${heading} · ${COMPANY}`);
    expect(await page.locator('header.brand').textContent()).toContain(COMPANY);
    expect(await page.locator('main').innerText()).not.toMatch(RAW_KEY);
    if ((await page.locator('button.primary').count()) > 0) {
      expect(await page.evaluate("getComputedStyle(document.querySelector('button.primary')).backgroundColor")).toBe(PRIMARY_RGB);
    }
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await saveScreenshot(page, name);
  }

  /** Clicks and returns the status of the document the click loaded. */
  async function clickFor(page: Page, target: Locator): Promise<number> {
    const loaded = page.waitForResponse((r: Response) => r.request().isNavigationRequest() && r.frame() === page.mainFrame());
    await target.click();
    return (await loaded).status();
  }
  const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

  /** Opens the relying party's authorization request; returns its state. */
  async function startAt(page: Page, t: Tenant, extra: Record<string, string> = {}): Promise<string> {
    const { url, state } = await rp.authorizationUrl(await configOf(t), extra);
    await page.goto(url);
    return state;
  }

  async function password(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await button(page, 'Sign in').click();
  }

  /** Waits for the relying party's page and returns the verified ID token of that sign-in. */
  async function signedIn(page: Page, state: string): Promise<JWTPayload> {
    await page.waitForURL(`${rp.callbackUri}?**`);
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    return rp.signedIn.get(state)!;
  }

  async function enterCode(page: Page, code: string, label = 'Verification code'): Promise<number> {
    await page.getByLabel(label, { exact: true }).fill(code);
    return clickFor(page, button(page, 'Continue'));
  }

  /** The setup page of an authenticator app: reads the key shown, enters the current code; the recovery codes page follows. */
  async function setUpApp(page: Page, screenshot?: string): Promise<{ secret: string; step: number; recoveryCodes: string[] }> {
    await page.getByRole('img', { name: 'QR code to add this account to an authenticator app' }).waitFor();
    expect(await page.getByRole('img').first().getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    if (screenshot) await checkPage(page, screenshot, 'Set up two-step verification');
    const step = stepNow();
    expect(await enterCode(page, totpCode(secret))).toBe(200);
    await checkPage(page, `${screenshot ?? 'two-factor'}-recovery-codes`, 'Save your recovery codes');
    const recoveryCodes = await page.locator('ol.recovery-codes code').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    return { secret, step, recoveryCodes };
  }

  /** The newest 6-digit code e-mailed to `to` after the first `after` messages. */
  async function mailedCode(to: string, after: number): Promise<string> {
    const mail = await smtp.waitForMessage(to, { match: (m) => smtp.messagesTo(to).indexOf(m) >= after && /\b\d{6}\b/.test(m.text) });
    expect(mail.subject).not.toMatch(/\d{6}/);
    return /\b(\d{6})\b/.exec(mail.text)![1]!;
  }

  it('TOTP under required_totp: setup with QR and key → recovery codes → Continue → ID token; later the app code alone', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(totpOrg);
    const page = await openPage();
    const state = await startAt(page, totpOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor\/setup$/);
    await page.getByLabel('Verification code', { exact: true }).fill('000000');
    expect(await clickFor(page, button(page, 'Continue'))).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('That code is not valid.');
    await checkPage(page, 'two-factor-setup-totp-invalid', 'Set up two-step verification');
    const { secret, step } = await setUpApp(page, 'two-factor-setup-totp');
    expect(await page.locator('main').innerText()).toContain('These codes are shown only once.');
    await button(page, 'Continue').click();
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);

    // Another browser, later: the password, then the code of the app.
    const other = await openPage();
    const again = await startAt(other, totpOrg);
    await password(other, user.email);
    await other.waitForURL(/\/two-factor$/);
    await checkPage(other, 'two-factor-verify-totp', 'Two-step verification');
    expect(await other.locator('main').innerText()).toContain('Open your authenticator app');
    const input = other.getByLabel('Verification code', { exact: true });
    expect([await input.getAttribute('autocomplete'), await input.getAttribute('inputmode'), await input.getAttribute('name')]).toEqual(['one-time-code', 'numeric', 'code']);
    const { code } = await freshCode(secret, step);
    await enterCode(other, code);
    const later = await signedIn(other, again);
    expect(later).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(later)).toEqual(['mfa', 'otp', 'pwd']);
  });

  it('e-mail codes under required_email: the code from the mail enrols, recovery codes once; later a resent code signs in', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(mailOrg);
    const page = await openPage();
    const state = await startAt(page, mailOrg);
    let before = smtp.messagesTo(user.email).length;
    await password(page, user.email);
    await page.waitForURL(/\/two-factor$/);
    await checkPage(page, 'two-factor-verify-email', 'Two-step verification');
    expect(await page.locator('main').innerText()).toContain('We emailed a 6-digit code to p•••@example.com');
    expect(await enterCode(page, await mailedCode(user.email, before))).toBe(200);
    await checkPage(page, 'two-factor-email-recovery-codes', 'Save your recovery codes');
    await button(page, 'Continue').click();
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);
    expect(await s.porta.services.twoFactor.status(mailOrg.orgId, user.id)).toMatchObject({ enabled: true, method: 'email', recoveryCodesRemaining: 10 });

    const other = await openPage();
    const again = await startAt(other, mailOrg);
    await password(other, user.email);
    await other.waitForURL(/\/two-factor$/);
    before = smtp.messagesTo(user.email).length;
    expect(await clickFor(other, button(other, 'Send a new code'))).toBe(200);
    expect(await other.getByRole('status').textContent()).toBe('A new code was sent.');
    await checkPage(other, 'two-factor-verify-email-resent', 'Two-step verification');
    await enterCode(other, await mailedCode(user.email, before + 1));
    expect(await signedIn(other, again)).toMatchObject({ sub: user.id, acr: ACR_2FA });
  });

  it('a lost app: a recovery code signs in (lower case, no dash) and the count drops; used again it is refused', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(totpOrg);
    const { secret } = await s.porta.services.twoFactor.startTotpEnrolment(SYSTEM, totpOrg.orgId, user.id);
    const { recoveryCodes } = await s.porta.services.twoFactor.confirmTotpEnrolment(SYSTEM, totpOrg.orgId, user.id, totpCode(secret));
    const page = await openPage();
    const state = await startAt(page, totpOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor$/);
    await clickFor(page, page.getByRole('link', { name: 'Use a recovery code', exact: true }));
    await checkPage(page, 'two-factor-verify-recovery', 'Two-step verification');
    expect(await page.getByLabel('Recovery code', { exact: true }).getAttribute('autocomplete')).toBe('off');
    const used = recoveryCodes[3]!;
    await page.getByLabel('Recovery code', { exact: true }).fill(used.replace('-', '').toLowerCase());
    await button(page, 'Continue').click();
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);
    expect((await s.porta.services.twoFactor.status(totpOrg.orgId, user.id)).recoveryCodesRemaining).toBe(9);

    const other = await openPage();
    await startAt(other, totpOrg);
    await password(other, user.email);
    await other.waitForURL(/\/two-factor$/);
    await other.getByRole('link', { name: 'Use a recovery code', exact: true }).click();
    expect(await enterCode(other, used, 'Recovery code')).toBe(400);
    expect(await other.getByRole('alert').textContent()).toBe('That code is not valid.');
    await checkPage(other, 'two-factor-verify-recovery-used', 'Two-step verification');
  });

  it('an admin reset: the next sign-in sets up an authenticator app again', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(totpOrg);
    const { secret } = await s.porta.services.twoFactor.startTotpEnrolment(SYSTEM, totpOrg.orgId, user.id);
    await s.porta.services.twoFactor.confirmTotpEnrolment(SYSTEM, totpOrg.orgId, user.id, totpCode(secret));
    await s.porta.services.twoFactor.reset(SYSTEM, totpOrg.orgId, user.id);
    const page = await openPage();
    const state = await startAt(page, totpOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor\/setup$/);
    const enrolled = await setUpApp(page);
    expect(enrolled.secret).not.toBe(secret);
    await button(page, 'Continue').click();
    expect(await signedIn(page, state)).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(await s.porta.services.twoFactor.status(totpOrg.orgId, user.id)).toMatchObject({ enabled: true, method: 'totp', recoveryCodesRemaining: 10 });
  });

  it('required_any without JavaScript: the user chooses e-mail codes on the choice page', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(anyOrg);
    const page = await openPage({ javaScriptEnabled: false });
    const state = await startAt(page, anyOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor\/setup$/);
    await page.getByRole('heading', { level: 1, name: 'Set up two-step verification' }).waitFor();
    expect(await page.getByRole('link', { name: 'Authenticator app', exact: true }).isVisible()).toBe(true);
    const before = smtp.messagesTo(user.email).length;
    await page.getByRole('link', { name: 'Codes by email', exact: true }).click();
    await page.waitForURL(/\/two-factor$/);
    expect(await page.getByRole('link', { name: 'Choose another method', exact: true }).isVisible()).toBe(true);
    expect(await enterCode(page, await mailedCode(user.email, before))).toBe(200);
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await button(page, 'Continue').click();
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);
  });

  it('a magic link under required_totp still asks for the app: amr otp + mfa', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(totpOrg);
    const { secret } = await s.porta.services.twoFactor.startTotpEnrolment(SYSTEM, totpOrg.orgId, user.id);
    await s.porta.services.twoFactor.confirmTotpEnrolment(SYSTEM, totpOrg.orgId, user.id, totpCode(secret));
    const page = await openPage();
    const state = await startAt(page, totpOrg);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    const before = smtp.messagesTo(user.email).length;
    await button(page, 'Email me a sign-in link').click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await smtp.waitForMessage(user.email, { match: (m) => smtp.messagesTo(user.email).indexOf(m) >= before && m.text.includes('/auth/magic-link/') });
    await page.goto(/https?:\/\/\S+\/auth\/magic-link\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0]);
    await page.waitForURL(/\/two-factor$/);
    expect(await page.locator('main').innerText()).toContain('Open your authenticator app');
    await enterCode(page, totpCode(secret, 1));
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp']);
  });

  it('step-up: acr_values=urn:porta:acr:2fa on a one-factor session goes straight to setting up a second factor', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(optOrg);
    const page = await openPage();
    const first = await startAt(page, optOrg);
    await password(page, user.email);
    const oneFactor = await signedIn(page, first);
    expect(oneFactor).toMatchObject({ sub: user.id, acr: ACR_1FA, amr: ['pwd'] });

    const stepUp = await startAt(page, optOrg, { acr_values: ACR_2FA });
    await page.waitForURL(/\/two-factor\/setup$/);
    expect(await page.getByLabel('Password').count()).toBe(0);
    await checkPage(page, 'two-factor-setup-choice', 'Set up two-step verification');
    await page.getByRole('link', { name: 'Authenticator app', exact: true }).click();
    await setUpApp(page);
    await button(page, 'Continue').click();
    const claims = await signedIn(page, stepUp);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);

    // The session is two-factor now: the same request passes without a page.
    const silent = await startAt(page, optOrg, { acr_values: ACR_2FA });
    expect(await signedIn(page, silent)).toMatchObject({ acr: ACR_2FA });
  });

  it('a policy change mid-session: the live one-factor session is asked for the new second factor, not reused', { timeout: TEST_TIMEOUT }, async () => {
    const org = await createTenant(s.porta.services, `tfb-change${++counter}`, { redirectUri: rp.callbackUri });
    await s.porta.services.organizations.updateBranding(SYSTEM, org.orgId, { companyName: COMPANY, primaryColor: PRIMARY });
    const user = await newUser(org);
    const page = await openPage();
    const first = await startAt(page, org);
    await password(page, user.email);
    expect(await signedIn(page, first)).toMatchObject({ acr: ACR_1FA });

    await s.porta.services.organizations.update(SYSTEM, org.orgId, { twoFactorPolicy: 'required_totp' });
    const next = await startAt(page, org);
    await page.waitForURL(/\/two-factor\/setup$/);
    await setUpApp(page);
    await button(page, 'Continue').click();
    const claims = await signedIn(page, next);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['mfa', 'otp', 'pwd']);
  });
});
