import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
const NEW_PASSWORD = 'Quartz-harbour-5521';

/** Spec 60 §1, §3, §5 from the first page to a verified ID token, with mail through a real SMTP server. */
describeWithServices('account flows (e2e)', () => {
  let smtp: SmtpHarness;
  let s: TestServer;
  let a: Tenant;
  let b: Tenant;
  let counter = 0;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'services', env: smtp.env() });
    await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_token_max', '100000');
    a = await createTenant(s.porta.services, 'flowacme');
    b = await createTenant(s.porta.services, 'flowglobex');
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.stop();
  });

  const issuerOf = (t: Tenant) => `${s.url}/${t.slug}`;
  const rp = (t: Tenant) =>
    oidc.discovery(new URL(issuerOf(t)), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), { execute: [oidc.allowInsecureRequests] });

  async function newUser(t: Tenant, status?: 'suspend' | 'lock') {
    const email = `user${++counter}@example.com`;
    const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, givenName: 'Grace', emailVerified: false });
    if (status) await s.porta.services.users.setStatus(SYSTEM, t.orgId, user.id, status);
    return { ...user, email };
  }

  /** Starts code + PKCE at the relying party and returns the login page. */
  async function startLogin(config: oidc.Configuration, browser: HttpBrowser, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra,
    });
    const page = await browser.follow(url.toString());
    expect(page.status).toBe(200);
    return { page, verifier, state };
  }

  async function linkIn(to: string, template: RegExp): Promise<string> {
    const mail = await smtp.waitForMessage(to, { timeoutMs: 10_000, match: (m) => template.test(m.text) });
    const link = /https?:\/\/\S+\/auth\/(?:reset-password|magic-link|accept-invite)\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();
    return link!;
  }
  const pathOf = (link: string) => new URL(link).pathname;
  const auditCount = async (eventType: string, orgId: string) =>
    (await s.porta.db.one<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE event_type = $1 AND organization_id = $2', [eventType, orgId])).n;

  describe('forgot and reset password (spec 60 §5)', () => {
    it('goes from the login page to a new password and a verified ID token, ending the old sessions', async () => {
      const user = await newUser(a);
      const config = await rp(a);
      const old = new HttpBrowser(s.url);
      const first = await startLogin(config, old);
      const signedIn = await old.follow(formAction(first.page.body), { form: { _csrf: hiddenInput(first.page.body, '_csrf'), email: user.email, password: PASSWORD } });
      const oldTokens = await oidc.authorizationCodeGrant(config, new URL(signedIn.location!), { pkceCodeVerifier: first.verifier, expectedState: first.state });

      const browser = new HttpBrowser(s.url);
      const { page } = await startLogin(config, browser);
      const forgotHref = /href="([^"]*forgot-password[^"]*)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
      expect(forgotHref).toMatch(new RegExp(`^/${a.slug}/auth/forgot-password\\?interaction=`));
      const forgot = await browser.request(forgotHref!);
      expect(forgot.status).toBe(200);
      const sent = await browser.request(formAction(forgot.body), { form: { _csrf: hiddenInput(forgot.body, '_csrf'), email: user.email } });
      expect(sent.status).toBe(200);
      expect(sent.body).toContain('If an account exists');

      const link = await linkIn(user.email, /reset-password/);
      expect(link.startsWith(`${s.url}/${a.slug}/auth/reset-password/`)).toBe(true);
      const form = await browser.request(pathOf(link));
      expect(form.status).toBe(200);
      const csrf = hiddenInput(form.body, '_csrf');
      const weak = await browser.request(formAction(form.body), { form: { _csrf: csrf, password: 'password123', confirm: 'password123' } });
      expect(weak.status).toBe(400);
      expect(weak.body).toContain('too common');
      const done = await browser.request(formAction(weak.body), { form: { _csrf: hiddenInput(weak.body, '_csrf'), password: NEW_PASSWORD, confirm: NEW_PASSWORD } });
      expect(done.status).toBe(200);
      expect(done.body).toContain('Password changed');
      await smtp.waitForMessage(user.email, { timeoutMs: 10_000, match: (m) => m !== undefined && !/reset-password\//.test(m.text) });

      await expect(oidc.refreshTokenGrant(config, oldTokens.refresh_token ?? 'none')).rejects.toThrow();
      const again = new HttpBrowser(s.url);
      const next = await startLogin(config, again);
      const refused = await again.request(formAction(next.page.body), { form: { _csrf: hiddenInput(next.page.body, '_csrf'), email: user.email, password: PASSWORD } });
      expect(refused.status).toBe(401);
      const ok = await again.follow(formAction(refused.body), { form: { _csrf: hiddenInput(refused.body, '_csrf'), email: user.email, password: NEW_PASSWORD } });
      expect(ok.location).toMatch(/\/callback\?code=/);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(ok.location!), { pkceCodeVerifier: next.verifier, expectedState: next.state });
      expect(tokens.claims()?.sub).toBe(user.id);

      const reused = await browser.request(pathOf(link));
      expect(reused.status).toBe(400);
      expect(reused.body).toContain('invalid or has expired');
    });

    it('answers byte for byte the same for existing, unknown, suspended and locked accounts (apart from the address)', async () => {
      const existing = await newUser(a);
      const suspended = await newUser(a, 'suspend');
      const locked = await newUser(a, 'lock');
      const answers: string[] = [];
      for (const email of [existing.email, 'nobody-here@example.com', suspended.email, locked.email]) {
        const browser = new HttpBrowser(s.url);
        const form = await browser.request(`/${a.slug}/auth/forgot-password`);
        const res = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email } });
        expect(res.status).toBe(200);
        expect(res.headers.get('set-cookie')).toBeNull();
        answers.push(res.body.replaceAll(email, '{email}'));
      }
      expect(new Set(answers).size).toBe(1);
      await linkIn(existing.email, /reset-password/);
      expect(smtp.messagesTo(suspended.email)).toEqual([]);
      expect(smtp.messagesTo(locked.email)).toEqual([]);
    });

    it('builds links from ISSUER_BASE_URL whatever the Host header says', async () => {
      const user = await newUser(a);
      const browser = new HttpBrowser(s.url);
      const form = await browser.request(`/${a.slug}/auth/forgot-password`, { headers: { host: 'evil.example' } });
      await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email: user.email }, headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
      const link = await linkIn(user.email, /reset-password/);
      expect(link.startsWith(`${s.url}/${a.slug}/`)).toBe(true);
    });

    it('refuses expired links and links of another organization', async () => {
      const user = await newUser(a);
      await s.porta.services.users.requestPasswordReset({ id: a.orgId, slug: a.slug, name: 'Org', companyName: null }, user.email, {});
      const link = await linkIn(user.email, /reset-password/);
      const browser = new HttpBrowser(s.url);
      const foreign = await browser.request(pathOf(link).replace(`/${a.slug}/`, `/${b.slug}/`));
      expect(foreign.status).toBe(400);
      await s.porta.db.query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id]);
      const expired = await browser.request(pathOf(link));
      expect(expired.status).toBe(400);
      expect(expired.body).toContain('invalid or has expired');
      expect(await auditCount('user.password_reset.failed', a.orgId)).toBeGreaterThan(0);
    });

    it('refuses a form without its CSRF token', async () => {
      const res = await new HttpBrowser(s.url).request(`/${a.slug}/auth/forgot-password`, { form: { email: 'x@example.com', _csrf: 'forged' } });
      expect(res.status).toBe(400);
    });
  });

  describe("back to the application, in the login's language (spec 60 §5, §11)", () => {
    const ENGLISH = { 'accept-language': 'en' };
    const uidOf = (loginPage: string) => /interaction\/([^/]+)\//.exec(formAction(loginPage))![1]!;
    const forgotHrefOf = (loginPage: string) => /href="([^"]*forgot-password[^"]*)"/.exec(loginPage)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    const returnLinkOf = (body: string) => /<a class="button primary" href="([^"]*)">([^<]*)<\/a>/.exec(body);
    /** What the user's newest reset link remembers of where it was asked for. */
    const originOf = (userId: string) =>
      s.porta.db.one<{ client_id: string | null; interaction_uid: string | null }>(
        'SELECT client_id, interaction_uid FROM password_reset_tokens WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1', [userId],
      );

    /** Asks for a reset on the forgot-password page at `path`; returns the answer and the mailed link's path. */
    async function askReset(browser: HttpBrowser, path: string, email: string, headers: Record<string, string> = {}, extraFields: Record<string, string> = {}) {
      const form = await browser.request(path, { headers });
      expect(form.status).toBe(200);
      const sent = await browser.request(formAction(form.body), { form: { ...extraFields, _csrf: hiddenInput(form.body, '_csrf'), email }, headers });
      expect(sent.status).toBe(200);
      return { form, sent, link: pathOf(await linkIn(email, /reset-password/)) };
    }

    async function completeReset(browser: HttpBrowser, link: string, headers: Record<string, string> = {}) {
      const form = await browser.request(link, { headers });
      expect(form.status).toBe(200);
      const done = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), password: NEW_PASSWORD, confirm: NEW_PASSWORD }, headers });
      expect(done.status).toBe(200);
      return { form, done };
    }

    it('links back to the login the reset was asked from while it lives, and that login then signs in with the new password', async () => {
      const user = await newUser(a);
      const config = await rp(a);
      const browser = new HttpBrowser(s.url);
      const login = await startLogin(config, browser);
      const uid = uidOf(login.page.body);
      const { link } = await askReset(browser, forgotHrefOf(login.page.body), user.email);
      expect(await originOf(user.id)).toEqual({ client_id: a.confidential.clientId, interaction_uid: uid });

      const { done } = await completeReset(browser, link);
      expect(done.body).toContain('Password changed');
      const back = returnLinkOf(done.body);
      expect(back?.[1]).toBe(`/${a.slug}/interaction/${uid}`);
      expect(back?.[2]).toBe(`Return to Web ${a.slug}`);

      const page = await browser.request(back![1]!);
      expect(page.status).toBe(200);
      expect(page.body).toContain('name="password"');
      const ok = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: user.email, password: NEW_PASSWORD } });
      expect(ok.location).toMatch(/\/callback\?code=/);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(ok.location!), { pkceCodeVerifier: login.verifier, expectedState: login.state });
      expect(tokens.claims()?.sub).toBe(user.id);
    });

    it('shows no link once that login is over (the client has no other registered address to return to)', async () => {
      const user = await newUser(a);
      const config = await rp(a);
      const browser = new HttpBrowser(s.url);
      const login = await startLogin(config, browser);
      const { link } = await askReset(browser, forgotHrefOf(login.page.body), user.email);
      // The same login finishes with the old password in the meantime: its interaction is gone.
      const again = await browser.request(`/${a.slug}/interaction/${uidOf(login.page.body)}`);
      const signedIn = await browser.follow(formAction(again.body), { form: { _csrf: hiddenInput(again.body, '_csrf'), email: user.email, password: PASSWORD } });
      expect(signedIn.location).toMatch(/\/callback\?code=/);
      expect(await originOf(user.id)).toEqual({ client_id: a.confidential.clientId, interaction_uid: uidOf(login.page.body) });

      const { done } = await completeReset(browser, link);
      expect(done.body).toContain('Password changed');
      expect(returnLinkOf(done.body)).toBeNull();
      expect(done.body).not.toContain('/interaction/');
      expect(done.body).not.toContain('Return to Web');
    });

    it('shows no link when the reset was not asked from a login', async () => {
      const user = await newUser(a);
      const browser = new HttpBrowser(s.url);
      const { link } = await askReset(browser, `/${a.slug}/auth/forgot-password`, user.email);
      expect(await originOf(user.id)).toEqual({ client_id: null, interaction_uid: null });
      const { done } = await completeReset(browser, link);
      expect(done.body).toContain('Password changed');
      expect(returnLinkOf(done.body)).toBeNull();
      expect(done.body).not.toContain('/interaction/');
    });

    it('remembers nothing from a forged uid, another organization\'s login, or fields the form adds', async () => {
      const foreignBrowser = new HttpBrowser(s.url);
      const foreignUid = uidOf((await startLogin(await rp(b), foreignBrowser)).page.body);
      const ownBrowser = new HttpBrowser(s.url);
      const ownUid = uidOf((await startLogin(await rp(a), ownBrowser)).page.body);
      const attempts: Array<{ path: string; fields?: Record<string, string> }> = [
        { path: `/${a.slug}/auth/forgot-password?interaction=${foreignUid}` },
        { path: `/${a.slug}/auth/forgot-password?interaction=forged-${ownUid}` },
        { path: `/${a.slug}/auth/forgot-password`, fields: { interaction: ownUid, client_id: a.confidential.clientId } },
      ];
      for (const { path, fields } of attempts) {
        const user = await newUser(a);
        const { link } = await askReset(foreignBrowser, path, user.email, {}, fields);
        expect(await originOf(user.id), path).toEqual({ client_id: null, interaction_uid: null });
        const { done } = await completeReset(foreignBrowser, link);
        expect(returnLinkOf(done.body), path).toBeNull();
        expect(done.body).not.toContain('/interaction/');
      }
    });

    it('shows the forgot-password pages in the login\'s ui_locales and the reset pages in the recipient\'s language, whatever the browser asks for', async () => {
      const email = `user${++counter}@example.com`;
      await s.porta.services.users.create(SYSTEM, a.orgId, { email, password: PASSWORD, givenName: 'Grace', locale: 'nl' });
      const browser = new HttpBrowser(s.url);
      const login = await startLogin(await rp(a), browser, { ui_locales: 'de' });
      expect(login.page.body).toContain('<html lang="de">');
      const forgotPath = forgotHrefOf(login.page.body);

      const expiredForm = await browser.request(forgotPath, { headers: ENGLISH });
      const refused = await browser.request(formAction(expiredForm.body), { form: { _csrf: 'forged', email }, headers: ENGLISH });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('<html lang="de">');

      const { form, sent, link } = await askReset(browser, forgotPath, email, ENGLISH);
      expect(form.body).toContain('<html lang="de">');
      expect(form.body).toContain('Passwort zurücksetzen');
      expect(sent.body).toContain('<html lang="de">');
      expect(sent.body).toContain('Prüfen Sie Ihr E-Mail-Postfach');
      // The same page reached on its own follows the browser.
      expect((await new HttpBrowser(s.url).request(`/${a.slug}/auth/forgot-password`, { headers: ENGLISH })).body).toContain('<html lang="en">');

      const { form: resetForm, done } = await completeReset(browser, link, ENGLISH);
      expect(resetForm.body).toContain('<html lang="nl">');
      expect(resetForm.body).toContain('Kies een nieuw wachtwoord');
      expect(done.body).toContain('<html lang="nl">');
      expect(done.body).toContain('Wachtwoord gewijzigd');
      expect(returnLinkOf(done.body)?.[2]).toBe(`Terug naar Web ${a.slug}`);
    });

    it('shows the invitation page in the invited user\'s language', async () => {
      const email = `invitee${++counter}@example.com`;
      await s.porta.services.users.invite(SYSTEM, a.orgId, { email, givenName: 'Ada', locale: 'fr' });
      const link = await linkIn(email, /accept-invite/);
      const page = await new HttpBrowser(s.url).request(pathOf(link), { headers: ENGLISH });
      expect(page.status).toBe(200);
      expect(page.body).toContain('<html lang="fr">');
      expect(page.body).toContain('Rejoindre');
    });
  });

  describe('magic link (spec 60 §3)', () => {
    async function requestLink(t: Tenant, email: string) {
      const config = await rp(t);
      const browser = new HttpBrowser(s.url);
      const login = await startLogin(config, browser);
      expect(login.page.body).toContain('/magic-link"');
      const sent = await browser.request(`${formAction(login.page.body).replace(/\/login$/, '/magic-link')}`, {
        form: { _csrf: hiddenInput(login.page.body, '_csrf'), email },
      });
      return { config, browser, login, sent };
    }

    it('signs in with a link opened in the browser that asked, up to a verified ID token', async () => {
      const user = await newUser(a);
      const { config, browser, login, sent } = await requestLink(a, user.email);
      expect(sent.status).toBe(200);
      expect(sent.body).toContain('sign-in link');
      const link = await linkIn(user.email, /magic-link/);
      expect(link.startsWith(`${s.url}/${a.slug}/auth/magic-link/`)).toBe(true);
      const done = await browser.follow(pathOf(link));
      expect(done.location).toMatch(/\/callback\?code=/);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: login.verifier, expectedState: login.state });
      // The user was created unverified: opening the link verified the address.
      expect(tokens.claims()).toMatchObject({ sub: user.id, email_verified: true });
      expect(await auditCount('user.login.magic_link', a.orgId)).toBeGreaterThan(0);
      const reused = await new HttpBrowser(s.url).request(pathOf(link));
      expect(reused.status).toBe(400);
    });

    it('does not sign anyone in when the link is opened in another browser', async () => {
      const user = await newUser(a);
      const { browser, login } = await requestLink(a, user.email);
      const link = await linkIn(user.email, /magic-link/);
      const elsewhere = await new HttpBrowser(s.url).follow(pathOf(link));
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body).toContain('different browser');
      expect(elsewhere.location).toBeNull();
      const uid = /interaction\/([^/]+)\//.exec(formAction(login.page.body))![1]!;
      const original = await browser.request(`/${a.slug}/interaction/${uid}`);
      expect(original.status).toBe(200);
      expect(original.body).toContain('name="password"');
    });

    it('answers the same for unknown and suspended addresses, sending nothing', async () => {
      const suspended = await newUser(a, 'suspend');
      const answers: string[] = [];
      for (const email of [suspended.email, 'ghost@example.com']) {
        const { sent } = await requestLink(a, email);
        expect(sent.status).toBe(200);
        answers.push(sent.body.replaceAll(email, '{email}'));
      }
      expect(answers[0]).toBe(answers[1]);
      expect(smtp.messagesTo(suspended.email)).toEqual([]);
    });

    it('refuses a link in another organization', async () => {
      const user = await newUser(a);
      await requestLink(a, user.email);
      const link = await linkIn(user.email, /magic-link/);
      const res = await new HttpBrowser(s.url).request(pathOf(link).replace(`/${a.slug}/`, `/${b.slug}/`));
      expect(res.status).toBe(400);
      expect(await auditCount('user.magic_link.failed', b.orgId)).toBeGreaterThan(0);
    });
  });

  describe('rate limits (spec 50 §7)', () => {
    it('limits forgot-password requests per organization and address, with Retry-After', async () => {
      await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_password_reset_max', '2');
      try {
        const email = `limited${++counter}@example.com`;
        const statuses: number[] = [];
        let last: Awaited<ReturnType<HttpBrowser['request']>> | undefined;
        for (let i = 0; i < 3; i++) {
          const browser = new HttpBrowser(s.url);
          const form = await browser.request(`/${a.slug}/auth/forgot-password`);
          last = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email } });
          statuses.push(last.status);
        }
        expect(statuses).toEqual([200, 200, 429]);
        expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
        const other = new HttpBrowser(s.url);
        const form = await other.request(`/${a.slug}/auth/forgot-password`);
        expect((await other.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email: `x-${email}` } })).status).toBe(200);
      } finally {
        await s.porta.services.systemConfig.set(SYSTEM, 'rate_limit_password_reset_max', '5');
      }
    });
  });

  describe('login methods (spec 60 §1)', () => {
    it('refuses a disabled method with 403 and an audit entry, and hides it from the login page', async () => {
      const t = await createTenant(s.porta.services, 'flowmethods');
      await s.porta.services.clients.update(SYSTEM, t.orgId, t.confidential.id, { loginMethods: ['password'] });
      const config = await rp(t);
      const browser = new HttpBrowser(s.url);
      const { page } = await startLogin(config, browser);
      expect(page.body).not.toContain('/magic-link"');
      expect(page.body).toContain('forgot-password');
      const refused = await browser.request(formAction(page.body).replace(/\/login$/, '/magic-link'), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email } });
      expect(refused.status).toBe(403);
      expect(await auditCount('security.login_method_disabled', t.orgId)).toBe(1);
      expect(smtp.messagesTo(t.email)).toEqual([]);

      await s.porta.services.clients.update(SYSTEM, t.orgId, t.confidential.id, { loginMethods: ['magic_link'] });
      const second = new HttpBrowser(s.url);
      const magicOnly = await startLogin(config, second);
      expect(magicOnly.page.body).not.toContain('name="password"');
      expect(magicOnly.page.body).not.toContain('forgot-password');
      const pwd = await second.request(formAction(magicOnly.page.body), { form: { _csrf: hiddenInput(magicOnly.page.body, '_csrf'), email: t.email, password: PASSWORD } });
      expect(pwd.status).toBe(403);
      const uid = /interaction\/([^/]+)\//.exec(formAction(magicOnly.page.body))![1]!;
      const forgot = await second.request(`/${t.slug}/auth/forgot-password?interaction=${uid}`);
      expect(forgot.status).toBe(403);
      expect(await auditCount('security.login_method_disabled', t.orgId)).toBe(2);
    });
  });
});
