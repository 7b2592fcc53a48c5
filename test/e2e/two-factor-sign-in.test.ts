import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { TwoFactorPolicy } from '../../src/two-factor/index.js';
import { HttpBrowser, formAction, hiddenInput, type PageResponse } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
const INVALID = 'That code is not valid.';

/** A code of the authenticator app holding `secret`, `steps` 30-second steps from now. */
const totpCode = (secret: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + steps * 30_000 });

/**
 * Spec 60 §4 over plain HTTP, as an attacker or a careless client would: single-use codes and steps,
 * attempt limits, CSRF, the pending sign-in bound to its interaction and organization, step-up and
 * policy changes of live sessions.
 */
describe('two-factor sign-in over HTTP: the refusals', () => {
  let s: TestServer;
  let smtp: SmtpHarness;
  let totpOrg: Tenant;
  let mailOrg: Tenant;
  let optOrg: Tenant;
  let otherOrg: Tenant;
  let counter = 0;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'embedded', env: smtp.env() });
    await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_token_max', '100000');
    totpOrg = await createTenant(s.porta.services, 'tf-totp');
    mailOrg = await createTenant(s.porta.services, 'tf-mail');
    optOrg = await createTenant(s.porta.services, 'tf-opt');
    otherOrg = await createTenant(s.porta.services, 'tf-other');
    await setPolicy(totpOrg, 'required_totp');
    await setPolicy(mailOrg, 'required_email');
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  const setPolicy = (t: Tenant, twoFactorPolicy: TwoFactorPolicy) => s.porta.services.organizations.update(SYSTEM, t.orgId, { twoFactorPolicy });

  async function newUser(t: Tenant) {
    const email = `user${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, emailVerified: true });
    return { id: user.id, email };
  }

  /** A user with an authenticator app already set up; the step of the set-up is used. */
  async function totpUser(t: Tenant) {
    const user = await newUser(t);
    const { secret } = await s.porta.services.twoFactor.startTotpEnrolment(SYSTEM, t.orgId, user.id);
    await s.porta.services.twoFactor.confirmTotpEnrolment(SYSTEM, t.orgId, user.id, totpCode(secret));
    return { ...user, secret };
  }

  const rp = (t: Tenant) =>
    oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });

  interface Flow {
    config: oidc.Configuration;
    verifier: string;
    state: string;
  }

  /** Authorize at `t` and post the password; returns the answer to the password (a redirect to the second factor). */
  async function passwordStep(t: Tenant, browser: HttpBrowser, email: string, params: Record<string, string> = {}): Promise<{ flow: Flow; answer: PageResponse; login: PageResponse }> {
    const config = await rp(t);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
    });
    const login = await browser.follow(url.toString());
    expect(login.status).toBe(200);
    const answer = await browser.request(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email, password: PASSWORD } });
    return { flow: { config, verifier, state }, answer, login };
  }

  /** Password, then the second-factor page it leads to. */
  async function toSecondFactor(t: Tenant, browser: HttpBrowser, email: string, params: Record<string, string> = {}) {
    const { flow, answer } = await passwordStep(t, browser, email, params);
    expect(answer.status).toBe(303);
    expect(answer.location).toMatch(new RegExp(`^/${t.slug}/interaction/[^/]+/two-factor(/setup)?$`));
    const page = await browser.follow(answer.location!);
    expect(page.status).toBe(200);
    return { flow, page, url: answer.location! };
  }

  const submitCode = (browser: HttpBrowser, page: PageResponse, code: string, codeType = hiddenInput(page.body, 'codeType')) =>
    browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), code, codeType } });

  /** Follows a finished sign-in to the relying party and redeems the code: the ID token's claims. */
  async function idTokenAfter(browser: HttpBrowser, answer: PageResponse, flow: Flow) {
    expect(answer.status).toBe(303);
    const back = await browser.follow(answer.location!);
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:8765\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(flow.config, new URL(back.location!), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return tokens.claims()!;
  }

  /** The 6-digit code of the newest OTP mail to `to` after the first `after` messages. */
  async function mailedCode(to: string, after: number): Promise<string> {
    const mail = await smtp.waitForMessage(to, { match: (m) => smtp.messagesTo(to).indexOf(m) >= after && /\b\d{6}\b/.test(m.text) });
    expect(mail.subject).not.toMatch(/\b\d{6}\b/);
    return /\b(\d{6})\b/.exec(mail.text)![1]!;
  }

  const audits = async (userId: string, eventType: string) =>
    (await s.porta.db.many<{ metadata: Record<string, unknown> }>('SELECT metadata FROM audit_log WHERE user_id = $1 AND event_type = $2 ORDER BY created_at', [userId, eventType])).map((r) => r.metadata);

  it('a TOTP challenge after the password ends in an ID token with amr pwd, otp, mfa and acr 2fa; discovery lists both acr values', async () => {
    const discovery = (await (await fetch(`${s.url}/${totpOrg.slug}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery.acr_values_supported).toEqual(['urn:porta:acr:1fa', 'urn:porta:acr:2fa']);
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr']));
    const user = await totpUser(totpOrg);
    const browser = new HttpBrowser(s.url);
    const { flow, page, url } = await toSecondFactor(totpOrg, browser, user.email);
    expect(url).toMatch(/\/two-factor$/);
    expect(page.body).toContain('autocomplete="one-time-code"');
    expect(page.body).toContain('inputmode="numeric"');
    const claims = await idTokenAfter(browser, await submitCode(browser, page, totpCode(user.secret, 1)), flow);
    expect(claims).toMatchObject({ sub: user.id, acr: 'urn:porta:acr:2fa' });
    expect([...(claims.amr as string[])].sort()).toEqual(['mfa', 'otp', 'pwd']);
  });

  it('refuses a replayed TOTP step: the code that signed in once is "not valid" the second time', async () => {
    const user = await totpUser(totpOrg);
    const code = totpCode(user.secret, 1);
    const first = new HttpBrowser(s.url);
    const one = await toSecondFactor(totpOrg, first, user.email);
    await idTokenAfter(first, await submitCode(first, one.page, code), one.flow);

    const second = new HttpBrowser(s.url);
    const two = await toSecondFactor(totpOrg, second, user.email);
    const replayed = await submitCode(second, two.page, code);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain(INVALID);
    expect(await audits(user.id, '2fa.verify.failed')).toEqual([{ method: 'totp', reason: 'replayed' }]);
  });

  it('refuses a reused e-mailed code; the new one works; resends are limited to 3 in 5 minutes', async () => {
    const user = await newUser(mailOrg);
    await s.porta.services.twoFactor.enableEmail(SYSTEM, mailOrg.orgId, user.id);
    const first = new HttpBrowser(s.url);
    let before = smtp.messagesTo(user.email).length;
    const one = await toSecondFactor(mailOrg, first, user.email);
    expect(one.page.body).toContain('u•••@example.com');
    const oldCode = await mailedCode(user.email, before);
    await idTokenAfter(first, await submitCode(first, one.page, oldCode), one.flow);

    const second = new HttpBrowser(s.url);
    before = smtp.messagesTo(user.email).length;
    const two = await toSecondFactor(mailOrg, second, user.email);
    const newCode = await mailedCode(user.email, before);
    expect(newCode).not.toBe(oldCode);
    const reused = await submitCode(second, two.page, oldCode);
    expect(reused.status).toBe(400);
    expect(reused.body).toContain(INVALID);

    // Resend: 3 per 5 minutes per organization and user, then the 429 page.
    let page = reused;
    for (let i = 0; i < 3; i++) {
      page = await second.request(`${two.url}/resend`, { form: { _csrf: hiddenInput(page.body, '_csrf') } });
      expect(page.status).toBe(200);
      expect(page.body).toContain('A new code was sent.');
    }
    const limited = await second.request(`${two.url}/resend`, { form: { _csrf: hiddenInput(page.body, '_csrf') } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await audits(user.id, '2fa.otp.resent')).toHaveLength(3);

    const latest = await mailedCode(user.email, smtp.messagesTo(user.email).length - 1);
    const claims = await idTokenAfter(second, await submitCode(second, limited, latest), two.flow);
    expect(claims).toMatchObject({ sub: user.id, acr: 'urn:porta:acr:2fa' });
  });

  it('limits guessing: five wrong codes, then 429 with Retry-After even for the right one', async () => {
    const user = await totpUser(totpOrg);
    const browser = new HttpBrowser(s.url);
    const { page: start } = await toSecondFactor(totpOrg, browser, user.email);
    let page = start;
    for (let i = 0; i < 5; i++) {
      page = await submitCode(browser, page, String(100000 + i));
      expect(page.status).toBe(400);
      expect(page.body).toContain(INVALID);
    }
    const limited = await submitCode(browser, page, totpCode(user.secret, 1));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await audits(user.id, '2fa.verify.failed')).toHaveLength(5);
    expect(await audits(user.id, '2fa.verify.success')).toEqual([]);
  });

  it('refuses a form without its CSRF token before looking at the code, and an empty code', async () => {
    const user = await totpUser(totpOrg);
    const browser = new HttpBrowser(s.url);
    const { page, flow } = await toSecondFactor(totpOrg, browser, user.email);
    const code = totpCode(user.secret, 1);
    const noCsrf = await browser.request(formAction(page.body), { form: { code, codeType: 'totp' } });
    expect(noCsrf.status).toBe(400);
    expect(noCsrf.body).toContain('Your form expired, please try again.');
    const empty = await submitCode(browser, noCsrf, ' ');
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter the code.');
    expect(await audits(user.id, '2fa.verify.failed')).toEqual([]);
    expect((await idTokenAfter(browser, await submitCode(browser, empty, code), flow)).sub).toBe(user.id);
  });

  it("binds the pending sign-in to its interaction and organization: not from another interaction, another browser or another organization's path", async () => {
    const user = await totpUser(totpOrg);
    const browser = new HttpBrowser(s.url);
    const a = await toSecondFactor(totpOrg, browser, user.email);
    const uidA = /interaction\/([^/]+)\/two-factor/.exec(a.url)![1]!;
    // Interaction B in the same browser, left at its login page.
    const { login } = await passwordStep(optOrg, browser, 'nobody@example.com');
    const uidB = /interaction\/([^/]+)\/login/.exec(formAction(login.body))![1]!;
    const code = totpCode(user.secret, 1);
    const asB = await browser.request(`/${optOrg.slug}/interaction/${uidB}/two-factor`, { form: { _csrf: hiddenInput(login.body, '_csrf'), code, codeType: 'totp' } });
    expect(asB.status).toBe(403);
    expect(asB.body).toContain('This step comes after you sign in.');
    expect((await browser.request(`/${optOrg.slug}/interaction/${uidB}/two-factor/setup`)).status).toBe(403);

    // Interaction A named under another organization's path, and by a browser without its cookie.
    const crossOrg = await browser.request(`/${otherOrg.slug}/interaction/${uidA}/two-factor`, { form: { _csrf: hiddenInput(a.page.body, '_csrf'), code, codeType: 'totp' } });
    expect(crossOrg.status).toBe(400);
    const stranger = new HttpBrowser(s.url);
    expect((await stranger.request(a.url)).status).toBe(400);
    expect(await audits(user.id, '2fa.verify.success')).toEqual([]);

    // A's own page still works.
    expect((await idTokenAfter(browser, await submitCode(browser, a.page, code), a.flow)).sub).toBe(user.id);
  });

  it('refuses the setup page and the challenge without a pending second factor', async () => {
    const browser = new HttpBrowser(s.url);
    const { login } = await passwordStep(optOrg, browser, 'nobody@example.com');
    const base = formAction(login.body).replace(/\/login$/, '');
    for (const path of ['/two-factor/setup', '/two-factor']) {
      const res = await browser.request(`${base}${path}`);
      expect(res.status, path).toBe(403);
      expect(res.body).toContain('This step comes after you sign in.');
    }
    const post = await browser.request(`${base}/two-factor/setup`, { form: { _csrf: hiddenInput(login.body, '_csrf'), code: '123456' } });
    expect(post.status).toBe(403);
  });

  it('a user enrolled with a factor the policy no longer accepts sets up the required one', async () => {
    const user = await newUser(optOrg);
    await s.porta.services.twoFactor.enableEmail(SYSTEM, optOrg.orgId, user.id);
    const org = await createTenant(s.porta.services, `tf-re${counter}`);
    // The same person in an organization requiring TOTP, enrolled with e-mail codes there.
    const there = await s.porta.services.users.create(SYSTEM, org.orgId, { email: user.email, password: PASSWORD, emailVerified: true });
    await s.porta.services.twoFactor.enableEmail(SYSTEM, org.orgId, there.id);
    await setPolicy(org, 'required_totp');
    const browser = new HttpBrowser(s.url);
    const { page, url, flow } = await toSecondFactor(org, browser, user.email);
    expect(url).toMatch(/\/two-factor\/setup$/);
    const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    const done = await browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), code: totpCode(secret) } });
    expect(done.status).toBe(200);
    expect(done.body.match(/<code>[A-Z2-9]{4}-[A-Z2-9]{4}<\/code>/g)).toHaveLength(10);
    const claims = await idTokenAfter(browser, await browser.request(formAction(done.body), { form: { _csrf: hiddenInput(done.body, '_csrf') } }), flow);
    expect(claims).toMatchObject({ sub: there.id, acr: 'urn:porta:acr:2fa' });
    expect(await s.porta.services.twoFactor.status(org.orgId, there.id)).toMatchObject({ enabled: true, method: 'totp', recoveryCodesRemaining: 10 });
  });

  describe('live sessions', () => {
    it('a policy change applies to the next sign-in: prompt=none answers login_required, otherwise the second factor is asked without the password', async () => {
      const org = await createTenant(s.porta.services, `tf-change${++counter}`);
      const browser = new HttpBrowser(s.url);
      const first = await passwordStep(org, browser, org.email);
      const claims = await idTokenAfter(browser, first.answer, first.flow);
      expect(claims).toMatchObject({ acr: 'urn:porta:acr:1fa', amr: ['pwd'] });

      await setPolicy(org, 'required_totp');
      const config = await rp(org);
      const silent = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      });
      expect((await browser.follow(silent.toString())).location).toMatch(/error=login_required/);

      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const again = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const setup = await browser.follow(again.toString());
      expect(setup.status).toBe(200);
      expect(setup.url).toMatch(/\/two-factor\/setup$/);
      expect(setup.body).not.toContain('name="password"');
      const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
      const codes = await browser.request(formAction(setup.body), { form: { _csrf: hiddenInput(setup.body, '_csrf'), code: totpCode(secret) } });
      const stepped = await idTokenAfter(browser, await browser.request(formAction(codes.body), { form: { _csrf: hiddenInput(codes.body, '_csrf') } }), { config, verifier, state });
      expect(stepped).toMatchObject({ sub: org.userId, acr: 'urn:porta:acr:2fa' });
      expect([...(stepped.amr as string[])].sort()).toEqual(['mfa', 'otp', 'pwd']);

      // Now the session is strong enough: prompt=none answers with a code.
      expect((await browser.follow(silent.toString())).location).toMatch(/\?code=/);
    });

    it('max_age asks for a fresh password and the policy\'s second factor again', async () => {
      const user = await totpUser(totpOrg);
      const browser = new HttpBrowser(s.url);
      const one = await toSecondFactor(totpOrg, browser, user.email);
      const usedStep = Math.floor(Date.now() / 30_000) + 1;
      const first = await idTokenAfter(browser, await submitCode(browser, one.page, totpCode(user.secret, 1)), one.flow);
      expect(first.acr).toBe('urn:porta:acr:2fa');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const startedAt = Math.floor(Date.now() / 1000);
      const two = await toSecondFactor(totpOrg, browser, user.email, { max_age: '0' });
      expect(two.url).toMatch(/\/two-factor$/);
      const later = await freshCode(user.secret, usedStep);
      const claims = await idTokenAfter(browser, await submitCode(browser, two.page, later), two.flow);
      expect(claims.acr).toBe('urn:porta:acr:2fa');
      expect(claims.auth_time as number).toBeGreaterThanOrEqual(startedAt);
    });
  });
});

/**
 * The code of the next step (the server accepts one step either side of now), once that step comes after
 * `usedStep`: each step signs in once, so a second sign-in within the same 30 seconds waits for the next.
 */
async function freshCode(secret: string, usedStep: number): Promise<string> {
  while (Math.floor(Date.now() / 30_000) + 1 <= usedStep) await new Promise((resolve) => setTimeout(resolve, 500));
  return totpCode(secret, 1);
}
