import AxeBuilder from '@axe-core/playwright';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import type { CDPSession, Locator, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { accountActor, systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { startRelyingParty, type RelyingParty } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TEST_TIMEOUT = 90_000;
const SYSTEM = systemActor();
const COMPANY = 'Keyhold';
const PASSWORD = 'Cobalt-orchard-4417';
const ACR_1FA = 'urn:porta:acr:1fa';
const ACR_2FA = 'urn:porta:acr:2fa';
/** A message key or an unfilled placeholder on screen means a missing translation. */
const RAW_KEY = /\b(?:passkeys|two-factor|login|errors|common)\.[a-z_.]+\b|\{[a-zA-Z_]+\}/;

const sortedAmr = (claims: JWTPayload) => [...(claims.amr as string[])].sort();
const totpCode = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + steps * 30_000 });

interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  credentials(): Promise<Array<{ credentialId: string; isResidentCredential: boolean; rpId?: string; signCount: number; userHandle?: string }>>;
}

/**
 * Spec 70 §1 in Chromium with its virtual authenticator (CDP WebAuthn: ctap2, internal transport, resident
 * keys, user verification): enrolment after a password sign-in and at a required second factor's setup,
 * usernameless sign-in, the passkey as a second factor, a passkey without user verification under a
 * TOTP policy, another organization's passkey, and the pages without JavaScript or WebAuthn. Each sign-in
 * ends in an ID token verified at a relying party with its `amr` and `acr`; each page passes axe.
 */
describeWithChromium('Browser: passkeys (WebAuthn virtual authenticator)', () => {
  let s: TestServer;
  let issuer: string;
  let rp: RelyingParty;
  let promptOrg: Tenant;
  let requiredOrg: Tenant;
  let totpOrg: Tenant;
  let otherOrg: Tenant;
  let counter = 0;
  const configs = new Map<string, oidc.Configuration>();
  const browsers: ChromiumSession[] = [];

  beforeAll(async () => {
    // WebAuthn wants a domain as RP ID: the issuer is http://localhost:{port} (a secure context).
    s = await startTestServer({ backends: 'embedded', issuerHost: 'localhost' });
    issuer = s.config.issuerBaseUrl;
    rp = await startRelyingParty();
    const services = s.porta.services;
    const tenant = async (slug: string, settings: Parameters<typeof services.organizations.update>[2]) => {
      const t = await createTenant(services, slug, { redirectUri: rp.callbackUri });
      await services.organizations.update(SYSTEM, t.orgId, { ...settings, branding: { companyName: COMPANY } });
      return t;
    };
    promptOrg = await tenant('pkb-prompt', { defaultLoginMethods: ['password', 'passkey'], passkeyEnrolmentPrompt: true });
    requiredOrg = await tenant('pkb-required', { defaultLoginMethods: ['password'], twoFactorPolicy: 'required_passkey' });
    totpOrg = await tenant('pkb-totp', { defaultLoginMethods: ['password', 'passkey'], twoFactorPolicy: 'required_totp', passkeyEnrolmentPrompt: true });
    otherOrg = await tenant('pkb-other', { defaultLoginMethods: ['password', 'passkey'] });
  }, 60_000);
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
  });
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  });

  async function configOf(t: Tenant): Promise<oidc.Configuration> {
    if (!configs.has(t.slug)) {
      configs.set(t.slug, await oidc.discovery(new URL(`${issuer}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] }));
    }
    return configs.get(t.slug)!;
  }

  /** A fresh browser; its console errors (a CSP refusal among them) are collected. */
  async function openPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; consoleErrors: string[] }> {
    const browser = await launchChromium(options);
    browsers.push(browser);
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      // A refused sign-in answers 401 on purpose; the browser logs the status of that document.
      const where = m.location().url;
      if (m.type() === 'error' && !/status of 401/.test(m.text()) && !where.endsWith('/favicon.ico')) consoleErrors.push(`${m.text()} (${where})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return { page, consoleErrors };
  }

  async function addAuthenticator(page: Page, options: { hasUserVerification?: boolean; isUserVerified?: boolean } = {}): Promise<VirtualAuthenticator> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: options.hasUserVerification ?? true,
        isUserVerified: options.isUserVerified ?? true, automaticPresenceSimulation: true,
      },
    });
    return { cdp, authenticatorId, credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials };
  }

  async function newUser(t: Tenant) {
    const email = `keyholder${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, givenName: 'Noor', emailVerified: true });
    return { id: user.id, email };
  }

  /** Spec 60 §1, §9-§11: branded, in English, no raw key, no serious axe finding; then a screenshot. */
  async function checkPage(page: Page, name: string, heading: string | RegExp, options: { isScriptless?: boolean } = {}): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('header.brand').textContent()).toContain(COMPANY);
    expect(await page.locator('main').innerText()).not.toMatch(RAW_KEY);
    // axe runs in the page: not where scripts are off (the same markup is checked with them on).
    if (!options.isScriptless) {
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
    await saveScreenshot(page, name);
  }

  async function clickFor(page: Page, target: Locator): Promise<number> {
    const loaded = page.waitForResponse((r: Response) => r.request().isNavigationRequest() && r.frame() === page.mainFrame());
    await target.click();
    return (await loaded).status();
  }
  const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

  /** Opens the relying party's authorization request; `isLoginExpected`: waits for the login page. */
  async function startAt(page: Page, t: Tenant, isLoginExpected = true): Promise<string> {
    const { url, state } = await rp.authorizationUrl(await configOf(t));
    await page.goto(url);
    if (isLoginExpected) await page.waitForURL(new RegExp(`/${t.slug}/interaction/[^/]+$`));
    return state;
  }

  /**
   * The virtual authenticator answers a conditional (autofill) request at once, as a person picking the
   * passkey from the e-mail field's suggestions would. To press the button instead, the page is told the
   * browser has no autofill for passkeys.
   */
  async function withoutAutofill(page: Page): Promise<void> {
    await page.addInitScript(() => {
      const scope = globalThis as unknown as { PublicKeyCredential?: { isConditionalMediationAvailable?: () => Promise<boolean> } };
      if (scope.PublicKeyCredential) scope.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
  }

  async function password(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await button(page, 'Sign in').click();
  }

  async function signedIn(page: Page, state: string): Promise<JWTPayload> {
    await page.waitForURL(`${rp.callbackUri}?**`);
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    return rp.signedIn.get(state)!;
  }

  const audit = async (event: string, orgId: string) => (await s.porta.services.audit.list({ event, org: orgId, limit: 500 })).data;

  it('offers a passkey after a password sign-in, then signs in usernameless with it (amr hwk user mfa, acr 2fa)', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(promptOrg);
    const { page, consoleErrors } = await openPage();
    const authenticator = await addAuthenticator(page);
    const optionRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/passkey/options')) optionRequests.push(r.postData() ?? '');
    });

    let state = await startAt(page, promptOrg);
    const email = page.getByLabel('Email', { exact: true });
    expect(await email.getAttribute('autocomplete')).toBe('username webauthn');
    await button(page, 'Sign in with a passkey').waitFor();
    expect(await page.getByText('Passkeys need JavaScript').isVisible()).toBe(false);
    await checkPage(page, 'passkeys-login', 'Sign in to Web pkb-prompt');
    // Conditional UI: where the browser offers passkeys in autofill, the page asked for options at once.
    const isConditional = await page.evaluate<boolean>('PublicKeyCredential.isConditionalMediationAvailable ? PublicKeyCredential.isConditionalMediationAvailable() : false');
    if (isConditional) await expect.poll(() => optionRequests.length).toBeGreaterThan(0);

    await password(page, user.email);
    await page.waitForURL(/\/passkey\/enrol$/);
    await checkPage(page, 'passkeys-enrol-prompt', 'Sign in faster next time');
    expect(await button(page, 'Not now').isVisible()).toBe(true);
    await page.getByLabel('Passkey name (optional)').fill('Test laptop');
    await button(page, 'Add a passkey').click();
    const first = await signedIn(page, state);
    expect(first).toMatchObject({ sub: user.id, acr: ACR_1FA, amr: ['pwd'] });

    const [credential] = await authenticator.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    const [stored] = await s.porta.services.passkeys.list(promptOrg.orgId, user.id);
    expect(stored).toMatchObject({ name: 'Test laptop', isBackedUp: false, transports: ['internal'] });
    expect(Buffer.from(credential!.credentialId, 'base64').length).toBeGreaterThan(0);

    // Signed out (no cookies), later: conditional UI. Nothing typed, nothing clicked: the passkey offered
    // in the e-mail field's autofill names the account.
    expect(isConditional).toBe(true);
    await page.context().clearCookies();
    state = await startAt(page, promptOrg, false);
    const viaAutofill = await signedIn(page, state);
    expect(viaAutofill).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(viaAutofill)).toEqual(['hwk', 'mfa', 'user']);
    expect(optionRequests.filter((body) => body.includes('purpose=sign_in')).length).toBeGreaterThan(0);

    // And with the button "Sign in with a passkey" (a modal request for a discoverable credential).
    await withoutAutofill(page);
    await page.context().clearCookies();
    state = await startAt(page, promptOrg);
    await button(page, 'Sign in with a passkey').click();
    const second = await signedIn(page, state);
    expect(second).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(second)).toEqual(['hwk', 'mfa', 'user']);
    const logins = (await audit('user.login.passkey', promptOrg.orgId)).filter((e) => e.userId === user.id);
    expect(logins).toHaveLength(2);
    expect(logins[0]).toMatchObject({ metadata: { passkeyId: stored!.id, userVerified: true, purpose: 'sign_in' } });
    expect((await s.porta.services.passkeys.list(promptOrg.orgId, user.id))[0]!.lastUsedAt).not.toBeNull();

    // The same authenticator at another organization of this Porta (same RP ID): the browser offers the
    // passkey, Porta refuses it there.
    await page.context().clearCookies();
    await startAt(page, otherOrg);
    expect(await clickFor(page, button(page, 'Sign in with a passkey'))).toBe(401);
    expect(await page.getByRole('alert').first().textContent()).toBe('That passkey could not sign you in. Try again, or sign in another way.');
    await checkPage(page, 'passkeys-login-other-org', 'Sign in to Web pkb-other');
    const [refused] = await audit('user.login.passkey.failed', otherOrg.orgId);
    expect(refused).toMatchObject({ organizationId: otherOrg.orgId, metadata: { reason: 'unknown_credential' } });
    expect(consoleErrors).toEqual([]);
  });

  it('required_passkey: a passkey is set up at the second step, and later answers it', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(requiredOrg);
    const { page, consoleErrors } = await openPage();
    await addAuthenticator(page);
    let state = await startAt(page, requiredOrg);
    expect(await page.getByLabel('Email', { exact: true }).getAttribute('autocomplete')).toBe('username');
    expect(await button(page, 'Sign in with a passkey').count()).toBe(0);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor\/setup$/);
    await checkPage(page, 'passkeys-two-factor-setup-choice', 'Set up two-step verification');
    await clickFor(page, page.getByRole('link', { name: 'Add a passkey', exact: true }));
    await checkPage(page, 'passkeys-setup', 'Set up a passkey');
    expect(await button(page, 'Not now').count()).toBe(0);
    await button(page, 'Add a passkey').click();
    const enrolled = await signedIn(page, state);
    expect(enrolled).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(enrolled)).toEqual(['hwk', 'mfa', 'pwd', 'user']);
    expect(await s.porta.services.passkeys.countForUser(requiredOrg.orgId, user.id)).toBe(1);

    await page.context().clearCookies();
    state = await startAt(page, requiredOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor$/);
    await checkPage(page, 'passkeys-two-factor-challenge', 'Two-step verification');
    await clickFor(page, page.getByRole('link', { name: 'Use a passkey', exact: true }));
    await checkPage(page, 'passkeys-verify', 'Confirm it is you');
    await button(page, 'Use a passkey').click();
    const verified = await signedIn(page, state);
    expect(verified).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(verified)).toEqual(['hwk', 'mfa', 'pwd', 'user']);
    const [success] = (await audit('2fa.verify.success', requiredOrg.orgId)).filter((e) => e.userId === user.id);
    expect(success).toMatchObject({ metadata: { method: 'passkey' } });
    expect(consoleErrors).toEqual([]);
  });

  it('a passkey without user verification is one factor: under required_totp the TOTP code is still asked', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(totpOrg);
    // The authenticator app, enrolled on the previous step so that this one is free for the first sign-in.
    const { secret } = await s.porta.services.twoFactor.startTotpEnrolment(accountActor({ id: user.id, organizationId: totpOrg.orgId }), totpOrg.orgId, user.id);
    await s.porta.services.twoFactor.confirmTotpEnrolment(SYSTEM, totpOrg.orgId, user.id, totpCode(secret, -1));
    const { page, consoleErrors } = await openPage();
    const authenticator = await addAuthenticator(page);
    // Chromium has its authenticator verify the user whenever it can, unless the request discourages it
    // (and refuses usernameless requests to authenticators that cannot). An answer without user verification
    // is made here by discouraging it in the sign-in options on their way to the page: Porta asked for
    // `preferred`, so it accepts the answer and counts it as one factor.
    await page.route('**/passkey/options', async (route) => {
      const response = await route.fetch();
      const json = await response.json();
      if (route.request().postData()?.includes('purpose=sign_in')) json.options.userVerification = 'discouraged';
      await route.fulfill({ response, json });
    });

    // Password and TOTP; then the organization's prompt adds a passkey (this authenticator cannot verify the user).
    let state = await startAt(page, totpOrg);
    await password(page, user.email);
    await page.waitForURL(/\/two-factor$/);
    await page.getByLabel('Verification code', { exact: true }).fill(totpCode(secret));
    await button(page, 'Continue').click();
    await page.waitForURL(/\/passkey\/enrol$/);
    await button(page, 'Add a passkey').click();
    expect(sortedAmr(await signedIn(page, state))).toEqual(['mfa', 'otp', 'pwd']);
    expect(await authenticator.credentials()).toHaveLength(1);

    await withoutAutofill(page);
    await page.context().clearCookies();
    state = await startAt(page, totpOrg);
    await button(page, 'Sign in with a passkey').click();
    await page.waitForURL(/\/two-factor$/);
    expect(await page.locator('main').innerText()).toContain('authenticator app');
    expect(await page.getByRole('link', { name: 'Use a passkey', exact: true }).count()).toBe(0);
    await page.getByLabel('Verification code', { exact: true }).fill(totpCode(secret, 1));
    await button(page, 'Continue').click();
    const claims = await signedIn(page, state);
    expect(claims).toMatchObject({ sub: user.id, acr: ACR_2FA });
    expect(sortedAmr(claims)).toEqual(['hwk', 'mfa', 'otp']);
    const [login] = (await audit('user.login.passkey', totpOrg.orgId)).filter((e) => e.userId === user.id);
    expect(login).toMatchObject({ metadata: { userVerified: false } });
    expect(consoleErrors).toEqual([]);
  });

  it('works without JavaScript except the ceremony, and says so; says so too when the browser has no WebAuthn', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser(promptOrg);
    const { page } = await openPage({ javaScriptEnabled: false });
    const state = await startAt(page, promptOrg);
    // The message is a <noscript> element, which browsers show with scripting off; Playwright's switch only
    // stops scripts (the parser still treats noscript as hidden), so the markup is what can be checked here.
    const noscript = async () => page.locator('noscript').innerHTML();
    expect(await noscript()).toContain('Passkeys need JavaScript. Turn it on in your browser to use one.');
    expect(await button(page, 'Sign in with a passkey').isVisible()).toBe(false);
    expect(await page.getByLabel('Password', { exact: true }).isVisible()).toBe(true);
    await checkPage(page, 'passkeys-login-no-javascript', 'Sign in to Web pkb-prompt', { isScriptless: true });
    await password(page, user.email);
    await page.waitForURL(/\/passkey\/enrol$/);
    expect(await noscript()).toContain('Passkeys need JavaScript');
    expect(await button(page, 'Add a passkey').isVisible()).toBe(false);
    await checkPage(page, 'passkeys-enrol-no-javascript', 'Sign in faster next time', { isScriptless: true });
    await button(page, 'Not now').click();
    expect(await signedIn(page, state)).toMatchObject({ sub: user.id, amr: ['pwd'] });

    const { page: old } = await openPage();
    await old.addInitScript(() => {
      delete (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    await startAt(old, promptOrg);
    await old.getByText('This browser cannot use passkeys.', { exact: false }).waitFor();
    expect(await button(old, 'Sign in with a passkey').isVisible()).toBe(false);
    await checkPage(old, 'passkeys-login-no-webauthn', 'Sign in to Web pkb-prompt');
  });
});
