import AxeBuilder from '@axe-core/playwright';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import type { Locator, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startRelyingParty, type RelyingParty } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const TEST_TIMEOUT = 60_000;
const SYSTEM = systemActor();
const COMPANY = 'Kontor';
const PRIMARY = '#0F766E';
const PRIMARY_RGB = 'rgb(15, 118, 110)';
const OLD_PASSWORD = 'Lantern-meadow-9931';
const NEW_PASSWORD = 'Quartz-harbour-5521';
/** A message key or an unfilled placeholder on screen means a missing translation. */
const RAW_KEY = /\b(?:common|login|consent|logout|device|errors?|emails|forgot(?:-password)?|reset(?:-password)?|password|check_email|magic[-_]link|invite|invitation|two-factor)\.[a-z_]+\b|\{[a-zA-Z_]+\}/;

/** What a person sees, per language: the strings the tests look for. */
interface Language {
  code: 'en' | 'de';
  /** Chromium's locale, which it sends as Accept-Language (account pages follow it, spec 60 §11). */
  browserLocale: string;
  loginTitle: (client: string) => string;
  email: string;
  password: string;
  signIn: string;
  magicLink: string;
  forgot: string;
  forgotTitle: string;
  sendReset: string;
  checkEmail: string;
  forgotSent: string;
  magicSent: string;
  resetTitle: string;
  newPassword: string;
  repeat: string;
  save: string;
  tooShort: string;
  tooCommon: string;
  mismatch: string;
  resetDone: string;
  returnTo: (client: string) => string;
  otherBrowserTitle: string;
  otherBrowser: string;
  inviteTitle: string;
  greeting: (name: string) => string;
  accept: string;
  inviteDone: string;
  inviteExpired: string;
  errorTitle: string;
  resetLinkInvalid: string;
  methodUnavailable: string;
}

const ENGLISH: Language = {
  code: 'en',
  browserLocale: 'en-US',
  loginTitle: (client) => `Sign in to ${client}`,
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  magicLink: 'Email me a sign-in link',
  forgot: 'Forgot password?',
  forgotTitle: 'Reset your password',
  sendReset: 'Send reset link',
  checkEmail: 'Check your email',
  forgotSent: 'If an account exists for this address, we sent a link to reset its password.',
  magicSent: 'If an account exists for this address, we sent it a sign-in link.',
  resetTitle: 'Choose a new password',
  newPassword: 'New password',
  repeat: 'Repeat the new password',
  save: 'Save password',
  tooShort: 'The password must be at least 8 characters long.',
  tooCommon: 'This password is too common. Choose another one.',
  mismatch: 'The two passwords do not match.',
  resetDone: 'Password changed',
  returnTo: (client) => `Return to ${client}`,
  otherBrowserTitle: 'Open the link where you started',
  otherBrowser: 'Return to the original window',
  inviteTitle: `Join ${COMPANY}`,
  greeting: (name) => `Hello ${name}, you were invited to create an account.`,
  accept: 'Accept invitation',
  inviteDone: 'Welcome aboard',
  inviteExpired: 'Invitation no longer valid',
  errorTitle: 'Something went wrong',
  resetLinkInvalid: 'This link is invalid or has expired. Request a new one from the sign-in page.',
  methodUnavailable: 'This sign-in method is not available.',
};

const GERMAN: Language = {
  code: 'de',
  browserLocale: 'de-DE',
  loginTitle: (client) => `Bei ${client} anmelden`,
  email: 'E-Mail-Adresse',
  password: 'Passwort',
  signIn: 'Anmelden',
  magicLink: 'Anmeldelink per E-Mail senden',
  forgot: 'Passwort vergessen?',
  forgotTitle: 'Passwort zurücksetzen',
  sendReset: 'Link zum Zurücksetzen senden',
  checkEmail: 'Prüfen Sie Ihr E-Mail-Postfach',
  forgotSent: 'Falls für diese Adresse ein Konto existiert, haben wir einen Link zum Zurücksetzen des Passworts gesendet.',
  magicSent: 'Falls für diese Adresse ein Konto existiert, haben wir einen Anmeldelink gesendet.',
  resetTitle: 'Neues Passwort wählen',
  newPassword: 'Neues Passwort',
  repeat: 'Neues Passwort wiederholen',
  save: 'Passwort speichern',
  tooShort: 'Das Passwort muss mindestens 8 Zeichen lang sein.',
  tooCommon: 'Dieses Passwort ist zu verbreitet. Wählen Sie ein anderes.',
  mismatch: 'Die beiden Passwörter stimmen nicht überein.',
  resetDone: 'Passwort geändert',
  returnTo: (client) => `Zurück zu ${client}`,
  otherBrowserTitle: 'Öffnen Sie den Link dort, wo Sie begonnen haben',
  otherBrowser: 'Kehren Sie zum ursprünglichen Fenster zurück',
  inviteTitle: `${COMPANY} beitreten`,
  greeting: (name) => `Hallo ${name}, Sie wurden eingeladen, ein Konto zu erstellen.`,
  accept: 'Einladung annehmen',
  inviteDone: 'Willkommen',
  inviteExpired: 'Einladung nicht mehr gültig',
  errorTitle: 'Etwas ist schiefgelaufen',
  resetLinkInvalid: 'Dieser Link ist ungültig oder abgelaufen. Fordern Sie auf der Anmeldeseite einen neuen an.',
  methodUnavailable: 'Diese Anmeldemethode ist nicht verfügbar.',
};

/** axe-core's findings of these impacts fail the test; minor and moderate ones are reported only. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Spec 60 §1, §3, §5, §6, §11: every page of the account flows in Chromium, in English and in German. */
describeWithChromium('Browser: account pages (forgot password, magic link, invitation) in two languages', () => {
  let smtp: SmtpHarness;
  let s: TestServer;
  let rp: RelyingParty;
  let t: Tenant;
  let noLink: Tenant;
  let config: oidc.Configuration;
  let noLinkConfig: oidc.Configuration;
  let counter = 0;
  const browsers: ChromiumSession[] = [];

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'embedded', env: smtp.env() });
    rp = await startRelyingParty();
    const discover = (x: Tenant) =>
      oidc.discovery(new URL(`${s.url}/${x.slug}`), x.confidential.clientId, undefined, oidc.ClientSecretBasic(x.confidential.secret), { execute: [oidc.allowInsecureRequests] });
    t = await createTenant(s.porta.services, 'kontor', { redirectUri: rp.callbackUri });
    noLink = await createTenant(s.porta.services, 'kontor-methods', { redirectUri: rp.callbackUri });
    for (const x of [t, noLink]) await s.porta.services.organizations.updateBranding(SYSTEM, x.orgId, { companyName: COMPANY, primaryColor: PRIMARY });
    config = await discover(t);
    noLinkConfig = await discover(noLink);
  });
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
  });
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
    await smtp?.stop();
  });

  async function openPage(lang: Language): Promise<Page> {
    const browser = await launchChromium({ locale: lang.browserLocale });
    browsers.push(browser);
    return browser.newPage();
  }

  async function newUser(lang: Language, tenant = t) {
    const email = `${lang.code}-user${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, tenant.orgId, { email, password: OLD_PASSWORD, givenName: 'Grace', locale: lang.code });
    return { id: user.id, email };
  }

  /** The first link of `kind` in a message to `to` that arrived after the first `after` messages. */
  async function linkIn(to: string, kind: 'reset-password' | 'magic-link' | 'accept-invite', after = 0): Promise<string> {
    const mail = await smtp.waitForMessage(to, { timeoutMs: 10_000, match: (m) => m.text.includes(`/auth/${kind}/`) && smtp.messagesTo(to).indexOf(m) >= after });
    expect(mail.subject).not.toMatch(RAW_KEY);
    const link = new RegExp(`https?://\\S+/auth/${kind}/[A-Za-z0-9_-]{43}`).exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();
    return link!;
  }

  /**
   * What every page must be: in the expected language, branded, with its heading, no raw message key or
   * placeholder, and no serious or critical axe finding; then a screenshot `<name>-<lang>`.
   */
  async function checkPage(page: Page, lang: Language, name: string, heading: string | RegExp): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe(lang.code);
    expect(await page.title()).toMatch(new RegExp(`^\\S.* · ${COMPANY}$`));
    expect(await page.locator('header.brand').textContent()).toContain(COMPANY);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(RAW_KEY);
    if ((await page.locator('button.primary').count()) > 0) {
      expect(await page.evaluate("getComputedStyle(document.querySelector('button.primary')).backgroundColor")).toBe(PRIMARY_RGB);
    }
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, `${name}-${lang.code}`);
  }

  /** Clicks and returns the status of the document the click loaded. */
  async function clickFor(page: Page, target: Locator): Promise<number> {
    const loaded = page.waitForResponse((r: Response) => r.request().isNavigationRequest() && r.frame() === page.mainFrame());
    await target.click();
    return (await loaded).status();
  }
  const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
  const alertText = (page: Page) => page.getByRole('alert').textContent();

  async function gotoStatus(page: Page, url: string): Promise<number> {
    const res = await page.goto(url);
    return res!.status();
  }

  /** Signs in at the relying party's request and returns the verified ID token claims. */
  async function signInAtRp(page: Page, lang: Language, email: string, password: string): Promise<JWTPayload> {
    const { url, state } = await rp.authorizationUrl(config);
    await page.goto(url);
    await page.getByLabel(lang.email, { exact: true }).fill(email);
    await page.getByLabel(lang.password, { exact: true }).fill(password);
    await button(page, lang.signIn).click();
    await page.waitForURL(`${rp.callbackUri}?**`);
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    return rp.signedIn.get(state)!;
  }

  for (const lang of [ENGLISH, GERMAN]) {
    describe(`in ${lang.code} (browser locale ${lang.browserLocale})`, () => {
      it('forgot password: login page → form → check your email → mail → reset form → success → sign-in with a verified ID token', { timeout: TEST_TIMEOUT }, async () => {
        const user = await newUser(lang);
        const page = await openPage(lang);
        const start = await rp.authorizationUrl(config);
        await page.goto(start.url);
        await checkPage(page, lang, 'account-login', lang.loginTitle(`Web ${t.slug}`));

        await page.getByRole('link', { name: lang.forgot, exact: true }).click();
        await checkPage(page, lang, 'forgot-password', lang.forgotTitle);
        expect(new URL(page.url()).pathname).toBe(`/${t.slug}/auth/forgot-password`);
        await page.getByLabel(lang.email, { exact: true }).fill(user.email);
        expect(await clickFor(page, button(page, lang.sendReset))).toBe(200);
        await checkPage(page, lang, 'forgot-password-sent', lang.checkEmail);
        expect(await page.locator('main').innerText()).toContain(lang.forgotSent);
        expect(await page.locator('main').innerText()).toContain(user.email);

        const link = await linkIn(user.email, 'reset-password');
        expect(link.startsWith(`${s.url}/${t.slug}/auth/reset-password/`)).toBe(true);
        expect(await gotoStatus(page, link)).toBe(200);
        await checkPage(page, lang, 'reset-password', lang.resetTitle);
        await page.getByLabel(lang.newPassword, { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel(lang.repeat, { exact: true }).fill(NEW_PASSWORD);
        expect(await clickFor(page, button(page, lang.save))).toBe(200);
        await checkPage(page, lang, 'reset-success', lang.resetDone);

        // Spec 60 §5: back to the sign-in the reset was asked from, which now takes the new password.
        await page.getByRole('link', { name: lang.returnTo(`Web ${t.slug}`), exact: true }).click();
        await checkPage(page, lang, 'account-login-again', lang.loginTitle(`Web ${t.slug}`));
        await page.getByLabel(lang.email, { exact: true }).fill(user.email);
        await page.getByLabel(lang.password, { exact: true }).fill(NEW_PASSWORD);
        await button(page, lang.signIn).click();
        await page.waitForURL(`${rp.callbackUri}?**`);
        await page.getByRole('heading', { name: 'Signed in' }).waitFor();
        expect(rp.signedIn.get(start.state)).toMatchObject({ sub: user.id, email: user.email, iss: `${s.url}/${t.slug}`, aud: t.confidential.clientId });
      });

      /** Starts a sign-in at the relying party in `page` and asks for a magic link there; returns the state and the e-mailed link. */
      async function requestMagicLink(page: Page, email: string): Promise<{ state: string; link: string }> {
        const flow = await rp.authorizationUrl(config);
        await page.goto(flow.url);
        await page.getByLabel(lang.email, { exact: true }).fill(email);
        const before = smtp.messagesTo(email).length;
        expect(await clickFor(page, button(page, lang.magicLink))).toBe(200);
        const link = await linkIn(email, 'magic-link', before);
        expect(link.startsWith(`${s.url}/${t.slug}/auth/magic-link/`)).toBe(true);
        return { state: flow.state, link };
      }

      it('magic link opened in the browser that asked: check your email → signed in at the relying party (verified ID token)', { timeout: TEST_TIMEOUT }, async () => {
        const user = await newUser(lang);
        const page = await openPage(lang);
        const { state, link } = await requestMagicLink(page, user.email);
        await checkPage(page, lang, 'magic-link-sent', lang.checkEmail);
        expect(await page.locator('main').innerText()).toContain(lang.magicSent);
        expect(await page.locator('main').innerText()).toContain(user.email);

        await page.goto(link);
        await page.waitForURL(`${rp.callbackUri}?**`);
        await page.getByRole('heading', { name: 'Signed in' }).waitFor();
        expect(rp.signedIn.get(state)).toMatchObject({ sub: user.id, email: user.email, email_verified: true, aud: t.confidential.clientId });
      });

      it('magic link opened in another browser: "return to the original window", nobody signed in; a never-issued link: error page', { timeout: TEST_TIMEOUT }, async () => {
        const user = await newUser(lang);
        const page = await openPage(lang);
        const { state, link } = await requestMagicLink(page, user.email);
        const elsewhere = await openPage(lang);
        expect(await gotoStatus(elsewhere, link)).toBe(400);
        await checkPage(elsewhere, lang, 'magic-link-success', lang.otherBrowserTitle);
        expect(await elsewhere.locator('main').innerText()).toContain(lang.otherBrowser);
        expect(new URL(elsewhere.url()).pathname).toMatch(new RegExp(`^/${t.slug}/interaction/`));
        expect(rp.signedIn.has(state)).toBe(false);

        expect(await gotoStatus(elsewhere, `${s.url}/${t.slug}/auth/magic-link/${'x'.repeat(43)}`)).toBe(400);
        await checkPage(elsewhere, lang, 'magic-link-invalid', lang.errorTitle);
      });

      it('invitation: greeting by name → mismatch → accept → success; the used link → invite expired; the new account signs in', { timeout: TEST_TIMEOUT }, async () => {
        const email = `${lang.code}-invitee${++counter}@example.com`;
        const invited = await s.porta.services.users.invite(SYSTEM, t.orgId, { email, givenName: 'Grete', locale: lang.code });
        const link = await linkIn(email, 'accept-invite');
        expect(link.startsWith(`${s.url}/${t.slug}/auth/accept-invite/`)).toBe(true);
        const page = await openPage(lang);
        expect(await gotoStatus(page, link)).toBe(200);
        await checkPage(page, lang, 'accept-invite', lang.inviteTitle);
        expect(await page.locator('main').innerText()).toContain(lang.greeting('Grete'));

        await page.getByLabel(lang.newPassword, { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel(lang.repeat, { exact: true }).fill(OLD_PASSWORD);
        expect(await clickFor(page, button(page, lang.accept))).toBe(400);
        expect(await alertText(page)).toBe(lang.mismatch);
        await checkPage(page, lang, 'accept-invite-mismatch', lang.inviteTitle);

        await page.getByLabel(lang.newPassword, { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel(lang.repeat, { exact: true }).fill(NEW_PASSWORD);
        expect(await clickFor(page, button(page, lang.accept))).toBe(200);
        await checkPage(page, lang, 'invite-success', lang.inviteDone);

        expect(await gotoStatus(page, link)).toBe(400);
        await checkPage(page, lang, 'invite-expired-used', lang.inviteExpired);

        const claims = await signInAtRp(page, lang, email, NEW_PASSWORD);
        expect(claims).toMatchObject({ sub: invited.userId, email, email_verified: true });
      });

      it('invitation: an expired link and a garbage one → invite expired', { timeout: TEST_TIMEOUT }, async () => {
        const email = `${lang.code}-late${++counter}@example.com`;
        const invited = await s.porta.services.users.invite(SYSTEM, t.orgId, { email, givenName: 'Lena', locale: lang.code });
        const link = await linkIn(email, 'accept-invite');
        await s.porta.db.query("UPDATE invitation_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [invited.userId]);
        const page = await openPage(lang);
        expect(await gotoStatus(page, link)).toBe(400);
        await checkPage(page, lang, 'invite-expired', lang.inviteExpired);
        expect(await gotoStatus(page, `${s.url}/${t.slug}/auth/accept-invite/not-a-token`)).toBe(400);
        await checkPage(page, lang, 'invite-expired-garbage', lang.inviteExpired);
      });

      it('reset form: too short, breached and mismatched passwords refused; then a used and a garbage link → the error page', { timeout: TEST_TIMEOUT }, async () => {
        const user = await newUser(lang);
        await s.porta.services.users.requestPasswordReset({ id: t.orgId, slug: t.slug, name: `Org ${t.slug}`, companyName: COMPANY }, user.email, {});
        const link = await linkIn(user.email, 'reset-password');
        const page = await openPage(lang);
        expect(await gotoStatus(page, link)).toBe(200);
        const refusals: Array<[string, string, string, string]> = [
          ['too-short', 'Ab1-x', 'Ab1-x', lang.tooShort],
          ['breached', 'password123', 'password123', lang.tooCommon],
          ['mismatch', NEW_PASSWORD, `${NEW_PASSWORD}!`, lang.mismatch],
        ];
        for (const [name, password, confirm, message] of refusals) {
          await page.getByLabel(lang.newPassword, { exact: true }).fill(password);
          await page.getByLabel(lang.repeat, { exact: true }).fill(confirm);
          expect(await clickFor(page, button(page, lang.save)), name).toBe(400);
          expect(await alertText(page)).toBe(message);
          await checkPage(page, lang, `reset-password-${name}`, lang.resetTitle);
        }

        await page.getByLabel(lang.newPassword, { exact: true }).fill(NEW_PASSWORD);
        await page.getByLabel(lang.repeat, { exact: true }).fill(NEW_PASSWORD);
        expect(await clickFor(page, button(page, lang.save))).toBe(200);
        await page.getByRole('heading', { level: 1, name: lang.resetDone }).waitFor();

        expect(await gotoStatus(page, link)).toBe(400);
        await checkPage(page, lang, 'reset-link-used', lang.errorTitle);
        expect(await page.locator('main').innerText()).toContain(lang.resetLinkInvalid);
        expect(await gotoStatus(page, `${s.url}/${t.slug}/auth/reset-password/garbage`)).toBe(400);
        await checkPage(page, lang, 'reset-link-garbage', lang.errorTitle);
        expect(await page.locator('main').innerText()).toContain(lang.resetLinkInvalid);
      });

      it('a method the organization turned off: magic link → 403 login page; forgot password → 403 page', { timeout: TEST_TIMEOUT }, async () => {
        const user = await newUser(lang, noLink);
        const page = await openPage(lang);
        const { url } = await rp.authorizationUrl(noLinkConfig);
        await page.goto(url);
        await button(page, lang.magicLink).waitFor();
        try {
          // The page was shown with the button; the organization turns magic links off before the click.
          await s.porta.services.organizations.update(SYSTEM, noLink.orgId, { defaultLoginMethods: ['password'] });
          await page.getByLabel(lang.email, { exact: true }).fill(user.email);
          expect(await clickFor(page, button(page, lang.magicLink))).toBe(403);
          expect(await alertText(page)).toBe(lang.methodUnavailable);
          expect(await button(page, lang.magicLink).count()).toBe(0);
          await checkPage(page, lang, 'login-method-disabled', lang.loginTitle(`Web ${noLink.slug}`));
          expect(smtp.messagesTo(user.email)).toEqual([]);

          // Now passwords are off: the forgot-password link of the page leads to the 403 page.
          await s.porta.services.organizations.update(SYSTEM, noLink.orgId, { defaultLoginMethods: ['magic_link'] });
          expect(await clickFor(page, page.getByRole('link', { name: lang.forgot, exact: true }))).toBe(403);
          await checkPage(page, lang, 'forgot-password-disabled', lang.errorTitle);
          expect(await page.locator('main').innerText()).toContain(lang.methodUnavailable);
        } finally {
          await s.porta.services.organizations.update(SYSTEM, noLink.orgId, { defaultLoginMethods: ['password', 'magic_link'] });
        }
      });
    });
  }
});
