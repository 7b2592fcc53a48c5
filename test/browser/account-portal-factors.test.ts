import { createHash } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { Secret, TOTP } from 'otpauth';
import type { CDPSession, Locator, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { TwoFactorPolicy } from '../../src/two-factor/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const TEST_TIMEOUT = 120_000;
const SYSTEM = systemActor();
const COMPANY = 'Factor Works';
const PASSWORD = 'Cobalt-orchard-4417';
/** A message key or an unfilled placeholder on screen means a missing translation. */
const RAW_KEY = /\b(?:account|passkeys|two-factor|login|errors|common)\.[a-zA-Z_]+\.[a-zA-Z_.]+\b|\{[a-zA-Z_]+\}/;
const RECOVERY_CODE = /^[A-Z0-9]{4}-[A-Z0-9]{4}$/;

const totpCode = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + steps * 30_000 });

/**
 * Spec 70 §2, the account portal's two-factor and passkeys pages in Chromium: an authenticator app and
 * e-mailed codes turned on and off (off only with a fresh code), recovery codes shown once, passkeys added
 * with the virtual authenticator, renamed and removed; each change audited with source `account` and
 * e-mailed; a stale sign-in sent through the issuer with `max_age=600` and back to the change; every form
 * refusing a missing or wrong CSRF token; every page branded, localized and free of serious axe findings.
 */
describeWithChromium('Browser: account portal, two-factor and passkeys pages', () => {
  let smtp: SmtpHarness;
  let s: TestServer;
  let issuer: string;
  const orgs = new Map<TwoFactorPolicy, { id: string; slug: string }>();
  let counter = 0;
  const browsers: ChromiumSession[] = [];

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    // WebAuthn wants a domain as RP ID: the issuer is http://localhost:{port} (a secure context).
    s = await startTestServer({ backends: 'embedded', issuerHost: 'localhost', env: smtp.env() });
    issuer = s.config.issuerBaseUrl;
    for (const policy of ['optional', 'required_any'] as const) {
      const slug = `apf-${policy.replace('_', '-')}`;
      const org = await s.porta.services.organizations.create(SYSTEM, { name: `Org ${slug}`, slug, branding: { companyName: COMPANY } });
      await s.porta.services.organizations.update(SYSTEM, org.id, { defaultLoginMethods: ['password'], twoFactorPolicy: policy });
      orgs.set(policy, { id: org.id, slug });
    }
  }, 120_000);
  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  const org = (policy: TwoFactorPolicy) => orgs.get(policy)!;
  const portalUrl = (policy: TwoFactorPolicy, path = '') => `${issuer}/${org(policy).slug}/account${path}`;

  async function newUser(policy: TwoFactorPolicy) {
    const email = `factor${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, org(policy).id, { email, password: PASSWORD, givenName: 'Rosa', emailVerified: true });
    return { id: user.id, email };
  }

  async function openPage(): Promise<{ page: Page; consoleErrors: string[] }> {
    const browser = await launchChromium();
    browsers.push(browser);
    const page = await browser.newPage({ timeoutMs: 15_000, navigationTimeoutMs: 20_000 });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      // Refused forms answer 4xx on purpose; the browser logs the status of that document.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && !m.location().url.endsWith('/favicon.ico')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return { page, consoleErrors };
  }

  const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

  /** Clicks and returns the status of the document it finally loaded (after a post/redirect/get, the page). */
  async function clickFor(page: Page, target: Locator): Promise<number> {
    const isFinal = (r: Response) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400);
    const loaded = page.waitForResponse(isFinal);
    await target.click();
    return (await loaded).status();
  }

  /** Branded, in English, no raw key, no serious axe finding; then a screenshot. */
  async function checkPage(page: Page, name: string, heading: string | RegExp): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('body').innerText()).toContain(COMPANY);
    expect(await page.locator('main').innerText()).not.toMatch(RAW_KEY);
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await saveScreenshot(page, name);
  }

  /** The issuer's login (and second step, given the app's secret), as a person would answer it. */
  async function answerSignIn(page: Page, email: string, totpSecret?: string): Promise<void> {
    await page.waitForURL(/\/interaction\/[^/]+$/);
    if (await page.getByLabel('Email', { exact: true }).isVisible()) await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await button(page, 'Sign in').click();
    if (totpSecret) {
      await page.waitForURL(/\/two-factor$/);
      await page.getByLabel('Verification code', { exact: true }).fill(totpCode(totpSecret, 1));
      await button(page, 'Continue').click();
    }
  }

  /** Opens a portal page: the portal signs in through the organization's issuer and comes back to it. */
  async function signInTo(page: Page, policy: TwoFactorPolicy, path: string, email: string): Promise<void> {
    await page.goto(portalUrl(policy, path));
    await answerSignIn(page, email);
    await page.waitForURL(portalUrl(policy, path));
  }

  const audit = async (event: string, userId: string) => (await s.porta.services.audit.list({ event, user: userId, limit: 100 })).data;
  const noticeTo = (email: string, phrase: string) =>
    smtp.waitForMessage(email, { match: (m) => m.subject === `Your ${COMPANY} sign-in security settings changed` && m.text.includes(phrase) });
  const codeMailTo = async (email: string, seen: number) => {
    const mail = await smtp.waitForMessage(email, { match: (m) => /\b\d{6}\b/.test(m.text) && !m.subject.includes('security settings') && smtp.messagesTo(email).indexOf(m) >= seen });
    return /\b(\d{6})\b/.exec(mail.text)![1]!;
  };

  it('turns an authenticator app on, makes new recovery codes, and turns it off only with a fresh code', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('optional');
    const { page, consoleErrors } = await openPage();
    await signInTo(page, 'optional', '/two-factor', user.email);
    await checkPage(page, 'account-two-factor-off', 'Two-step verification');
    expect(await page.locator('main').innerText()).toContain('Off.');

    await clickFor(page, page.getByRole('link', { name: 'Set up an authenticator app', exact: true }));
    await checkPage(page, 'account-two-factor-totp', 'Set up an authenticator app');
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Verification code', { exact: true }).fill(totpCode(secret) === '000000' ? '111111' : '000000');
    expect(await clickFor(page, button(page, 'Turn on'))).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('That code is not valid.');
    // The same secret, shown again after a mistyped code.
    expect((await page.locator('#totp-secret').innerText()).replace(/\s+/g, '')).toBe(secret);
    await page.getByLabel('Verification code', { exact: true }).fill(totpCode(secret));
    expect(await clickFor(page, button(page, 'Turn on'))).toBe(200);
    await checkPage(page, 'account-two-factor-recovery-codes', 'Save your recovery codes');
    const first = await page.locator('ol.recovery-codes code').allInnerTexts();
    expect(first).toHaveLength(10);
    expect(first.every((c) => RECOVERY_CODE.test(c))).toBe(true);
    await noticeTo(user.email, 'An authenticator app was set up');
    expect(await audit('2fa.setup.totp.complete', user.id)).toMatchObject([{ source: 'account', actorType: 'account' }]);

    await clickFor(page, page.getByRole('link', { name: 'Done', exact: true }));
    await checkPage(page, 'account-two-factor-on', 'Two-step verification');
    expect(await page.locator('main').innerText()).toContain('On: codes from an authenticator app.');
    expect(await page.locator('main').innerText()).toContain('Recovery codes left: 10.');

    await clickFor(page, button(page, 'Create new recovery codes'));
    await checkPage(page, 'account-two-factor-new-codes', 'Your new recovery codes');
    const second = await page.locator('ol.recovery-codes code').allInnerTexts();
    expect(second).toHaveLength(10);
    expect(second.filter((c) => first.includes(c))).toEqual([]);
    await noticeTo(user.email, 'New recovery codes were created');
    expect(await audit('user.2fa.recovery_codes_regenerated', user.id)).toMatchObject([{ source: 'account', eventCategory: 'authentication' }]);

    // Off: an old recovery code or a wrong code is no proof; nothing changes.
    await page.goto(portalUrl('optional', '/two-factor'));
    await page.getByLabel('Code or recovery code', { exact: true }).fill(first[0]!);
    expect(await clickFor(page, button(page, 'Turn off'))).toBe(400);
    expect(await page.getByRole('alert').textContent()).toBe('That code is not valid.');
    expect((await s.porta.services.twoFactor.status(org('optional').id, user.id)).enabled).toBe(true);
    await page.getByLabel('Code or recovery code', { exact: true }).fill(totpCode(secret, 1));
    expect(await clickFor(page, button(page, 'Turn off'))).toBe(200);
    await page.waitForURL(portalUrl('optional', '/two-factor'));
    expect(await page.getByRole('status').first().textContent()).toBe('Two-step verification is off.');
    expect(await page.locator('main').innerText()).toContain('Off.');
    expect(await s.porta.services.twoFactor.status(org('optional').id, user.id)).toMatchObject({ enabled: false, totpConfigured: false, recoveryCodesRemaining: 0 });
    await noticeTo(user.email, 'Two-step verification was turned off');
    expect(await audit('user.2fa.disabled', user.id)).toMatchObject([{ source: 'account', actorId: user.id, metadata: { previousMethod: 'totp' } }]);
    expect(consoleErrors).toEqual([]);
  });

  it('turns codes by e-mail on with an e-mailed code, and off with another one', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('optional');
    const { page } = await openPage();
    await signInTo(page, 'optional', '/two-factor', user.email);
    let seen = smtp.messagesTo(user.email).length;
    await clickFor(page, button(page, 'Use codes sent by email'));
    await page.waitForURL(portalUrl('optional', '/two-factor/email'));
    await checkPage(page, 'account-two-factor-email', 'Codes by email');
    expect(await page.getByRole('status').first().textContent()).toBe('We sent a code to your email address.');
    await page.getByLabel('Verification code', { exact: true }).fill(await codeMailTo(user.email, seen));
    expect(await clickFor(page, button(page, 'Turn on'))).toBe(200);
    await checkPage(page, 'account-two-factor-email-codes', 'Save your recovery codes');
    expect(await page.locator('ol.recovery-codes code').count()).toBe(10);
    await noticeTo(user.email, 'Codes sent by e-mail were set up');

    await page.goto(portalUrl('optional', '/two-factor'));
    expect(await page.locator('main').innerText()).toContain('On: codes sent to your email address.');
    seen = smtp.messagesTo(user.email).length;
    await clickFor(page, button(page, 'Send me a code'));
    expect(await page.getByRole('status').first().textContent()).toBe('We sent a code to your email address.');
    await page.getByLabel('Code or recovery code', { exact: true }).fill(await codeMailTo(user.email, seen));
    await clickFor(page, button(page, 'Turn off'));
    expect(await page.getByRole('status').first().textContent()).toBe('Two-step verification is off.');
    expect((await s.porta.services.twoFactor.status(org('optional').id, user.id)).enabled).toBe(false);
    expect(await audit('user.2fa.disabled', user.id)).toMatchObject([{ source: 'account', metadata: { previousMethod: 'email' } }]);
  });

  async function addAuthenticator(page: Page): Promise<CDPSession> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    return cdp;
  }

  it('adds a passkey with the WebAuthn ceremony, renames and removes it; a required policy keeps the last one', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('required_any');
    // Under required_any the first sign-in enrols a factor: e-mail codes, set up here through the domain.
    await s.porta.services.twoFactor.sendEmailOtp(systemActor(), org('required_any').id, user.id);
    const otp = /\b(\d{6})\b/.exec((await smtp.waitForMessage(user.email)).text)![1]!;
    await s.porta.services.twoFactor.verify(systemActor(), org('required_any').id, user.id, { code: otp, codeType: 'otp' });
    const { page, consoleErrors } = await openPage();
    await addAuthenticator(page);
    await page.goto(portalUrl('required_any', '/passkeys'));
    await page.waitForURL(/\/interaction\/[^/]+$/);
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    const seen = smtp.messagesTo(user.email).length;
    await button(page, 'Sign in').click();
    await page.waitForURL(/\/two-factor$/);
    await page.getByLabel('Verification code', { exact: true }).fill(await codeMailTo(user.email, seen));
    await button(page, 'Continue').click();
    await page.waitForURL(portalUrl('required_any', '/passkeys'));
    await checkPage(page, 'account-passkeys-empty', 'Passkeys');
    expect(await page.locator('main').innerText()).toContain('You have no passkeys yet.');

    await clickFor(page, page.getByRole('link', { name: 'Add a passkey', exact: true }));
    await checkPage(page, 'account-passkeys-add', 'Add a passkey');
    await page.getByLabel('Passkey name (optional)').fill('Work laptop');
    await button(page, 'Add a passkey').click();
    await page.waitForURL(portalUrl('required_any', '/passkeys'));
    expect(await page.getByRole('status').first().textContent()).toBe('The passkey was added.');
    await checkPage(page, 'account-passkeys-list', 'Passkeys');
    expect(await page.locator('table.portal-list tbody tr').count()).toBe(1);
    expect(await page.locator('table.portal-list tbody td').first().innerText()).toContain('Work laptop');
    const [stored] = await s.porta.services.passkeys.list(org('required_any').id, user.id);
    expect(stored).toMatchObject({ name: 'Work laptop', transports: ['internal'] });
    await noticeTo(user.email, 'A passkey was added');
    expect(await audit('user.passkey.registered', user.id)).toMatchObject([{ source: 'account', metadata: { passkeyId: stored!.id } }]);

    await page.getByText('Rename', { exact: true }).click();
    await page.getByLabel('New name', { exact: true }).fill('Home desktop');
    await clickFor(page, button(page, 'Save'));
    expect(await page.getByRole('status').first().textContent()).toBe('The passkey was renamed.');
    expect(await page.locator('table.portal-list tbody td').first().innerText()).toContain('Home desktop');
    expect(await audit('user.passkey.renamed', user.id)).toMatchObject([{ source: 'account', metadata: { passkeyId: stored!.id } }]);

    // E-mail codes still stand for required_any, so the passkey may go.
    await clickFor(page, button(page, 'Remove'));
    expect(await page.getByRole('status').first().textContent()).toBe('The passkey was removed.');
    expect(await page.locator('main').innerText()).toContain('You have no passkeys yet.');
    await noticeTo(user.email, 'A passkey was removed');

    // A passkey alone under required_any: e-mail codes off (through the domain), the last passkey stays.
    await clickFor(page, page.getByRole('link', { name: 'Add a passkey', exact: true }));
    await button(page, 'Add a passkey').click();
    await page.waitForURL(portalUrl('required_any', '/passkeys'));
    await s.porta.services.twoFactor.reset(systemActor(), org('required_any').id, user.id);
    expect(await clickFor(page, button(page, 'Remove'))).toBe(403);
    expect(await page.getByRole('alert').textContent()).toBe(`${COMPANY} requires two-step verification: set up another method before you remove your last passkey.`);
    expect(await s.porta.services.passkeys.countForUser(org('required_any').id, user.id)).toBe(1);
    await checkPage(page, 'account-passkeys-last-required', 'Passkeys');
    expect(consoleErrors).toEqual([]);
  });

  it('sends a stale sign-in through the issuer with max_age=600, then back to the change', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('optional');
    const { page } = await openPage();
    await signInTo(page, 'optional', '/two-factor', user.email);
    // Ten minutes and more since the sign-in: the portal session's sign-in time is moved back.
    const id = (await page.context().cookies()).find((c) => c.name === 'porta_account')!.value;
    const key = `porta:account-portal:${org('optional').id}:${createHash('sha256').update(id).digest('base64url')}`;
    const state = JSON.parse((await s.porta.kv.get(key))!) as { authTime: number };
    await s.porta.kv.set(key, JSON.stringify({ ...state, authTime: state.authTime - 601 }), { ttlSeconds: 600 });

    // A change posted now is not made: the answer sends the browser to sign in again, max_age=600.
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const stale = await page.request.post(portalUrl('optional', '/two-factor/email/send'), { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(stale.status()).toBe(303);
    const signIn = new URL(stale.headers().location!, issuer);
    expect(signIn.pathname).toBe(`/${org('optional').slug}/account/sign-in`);
    expect(signIn.searchParams.get('max_age')).toBe('600');
    expect(signIn.searchParams.get('return_to')).toBe(`/${org('optional').slug}/account/two-factor`);
    expect(await audit('2fa.otp.sent', user.id)).toEqual([]);

    const authorize: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/auth?') || r.url().includes('/authorize?')) authorize.push(r.url());
    });
    await clickFor(page, page.getByRole('link', { name: 'Set up an authenticator app', exact: true }));
    // The issuer's session is fresh: max_age=600 is met without a new login, and the page opens.
    await page.waitForURL(portalUrl('optional', '/two-factor/totp'));
    await page.getByRole('heading', { level: 1, name: 'Set up an authenticator app' }).waitFor();
    expect(authorize).toHaveLength(1);
    const request = new URL(authorize[0]!);
    expect(request.searchParams.get('max_age')).toBe('600');
    expect(request.searchParams.get('client_id')).toBe('porta-account');
    expect(await s.porta.services.audit.list({ event: '2fa.setup.totp.started', user: user.id })).toMatchObject({ data: [{ source: 'account' }] });
  });

  it('works without JavaScript but for the passkey ceremony, and says so', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('optional');
    const browser = await launchChromium({ javaScriptEnabled: false });
    browsers.push(browser);
    const page = await browser.newPage({ timeoutMs: 15_000, navigationTimeoutMs: 20_000 });
    await signInTo(page, 'optional', '/passkeys/add', user.email);
    await page.getByRole('heading', { level: 1, name: 'Add a passkey' }).waitFor();
    // Playwright's switch stops scripts but the parser still hides <noscript>: the markup is what is checked.
    expect(await page.locator('noscript').innerHTML()).toContain('Passkeys need JavaScript');
    expect(await button(page, 'Add a passkey').isVisible()).toBe(false);
    await clickFor(page, page.getByRole('link', { name: 'Back to passkeys', exact: true }));
    await clickFor(page, page.getByRole('link', { name: 'Two-factor', exact: true }));
    await clickFor(page, page.getByRole('link', { name: 'Set up an authenticator app', exact: true }));
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
    await page.getByLabel('Verification code', { exact: true }).fill(totpCode(secret));
    expect(await clickFor(page, button(page, 'Turn on'))).toBe(200);
    expect(await page.locator('ol.recovery-codes code').count()).toBe(10);
    expect((await s.porta.services.twoFactor.status(org('optional').id, user.id)).method).toBe('totp');
  });

  it('refuses every form of these pages without the CSRF token, or with a wrong one', { timeout: TEST_TIMEOUT }, async () => {
    const user = await newUser('optional');
    const { page } = await openPage();
    await signInTo(page, 'optional', '/two-factor', user.email);
    const paths = ['/two-factor/totp', '/two-factor/email/send', '/two-factor/email', '/two-factor/recovery-codes', '/two-factor/disable/send-code', '/two-factor/disable',
      '/passkeys/options', '/passkeys/add', `/passkeys/${crypto.randomUUID()}/rename`, `/passkeys/${crypto.randomUUID()}/remove`];
    for (const path of paths) {
      const forms: Array<Record<string, string>> = [{ code: '123456', purpose: 'registration', name: 'x' }, { _csrf: 'forged-token', code: '123456', purpose: 'registration', name: 'x' }];
      for (const form of forms) {
        const res = await page.request.post(portalUrl('optional', path), { form, maxRedirects: 0 });
        expect(res.status(), `${path} ${JSON.stringify(form)}`).toBe(403);
      }
    }
    expect(smtp.messagesTo(user.email)).toEqual([]);
    expect(await audit('2fa.otp.sent', user.id)).toEqual([]);
    expect(await audit('2fa.verify.failed', user.id)).toEqual([]);
  });
});
