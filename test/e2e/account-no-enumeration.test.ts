import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { HttpBrowser, formAction, hiddenInput, type PageResponse } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';
import { startSmtpHarness, type SmtpHarness } from '../support/smtp.js';

const SYSTEM = systemActor();
type Kind = 'active' | 'unknown' | 'suspended' | 'locked' | 'inactive';
const BLOCKED: Array<{ kind: Exclude<Kind, 'active' | 'unknown'>; action: 'suspend' | 'lock' | 'deactivate' }> = [
  { kind: 'suspended', action: 'suspend' },
  { kind: 'locked', action: 'lock' },
  { kind: 'inactive', action: 'deactivate' },
];
/** Headers that differ between any two requests, whoever asks. */
const PER_REQUEST_HEADERS = new Set(['date', 'content-length', 'x-request-id', 'keep-alive', 'connection']);

/** An answer as a person (or a script) could compare them, with what is per request or echoed made neutral. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function normalise(res: PageResponse, email: string): Answer {
  const neutral = (s: string) =>
    s
      .replaceAll(email, '{email}')
      .replace(/(name="_csrf"[^>]*value=")[^"]*"/g, '$1{csrf}"')
      .replace(/(_csrf=)[^;,\s]+/g, '$1{csrf}')
      .replace(/(\/interaction\/)[A-Za-z0-9_-]+/g, '$1{uid}')
      .replace(/(interaction(?:=|&#x3D;))[A-Za-z0-9_-]+/g, '$1{uid}')
      .replace(/(_interaction(?:_resume)?(?:\.sig)?=)[^;,\s]+/g, '$1{cookie}')
      .replace(/expires=[^;]+/gi, 'expires={date}');
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!PER_REQUEST_HEADERS.has(name)) headers[name] = neutral(value);
  });
  return { status: res.status, headers, body: neutral(res.body) };
}

/**
 * Spec 60 §1, §3, §5 and the acceptance: the answers for an existing, unknown, suspended, locked
 * and deactivated account are the same byte for byte, apart from the echoed e-mail (and the per-request
 * CSRF token, interaction id and cookies), on the forgot-password, magic-link and password-login forms;
 * only the active account gets mail.
 */
describeWithServices('no account enumeration on the account pages (e2e)', () => {
  let smtp: SmtpHarness;
  let s: TestServer;
  let t: Tenant;
  let config: oidc.Configuration;
  let counter = 0;

  beforeAll(async () => {
    smtp = await startSmtpHarness();
    s = await startTestServer({ backends: 'services', env: smtp.env() });
    t = await createTenant(s.porta.services, 'enumeration');
    config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.stop();
  });

  /** One address per kind of account, all with the same password; the active one last (see `onlyActiveGetsMail`). */
  async function accounts(prefix: string): Promise<Array<{ kind: Kind; email: string }>> {
    const n = ++counter;
    const list: Array<{ kind: Kind; email: string }> = [{ kind: 'unknown', email: `${prefix}-nobody${n}@example.com` }];
    for (const { kind, action } of BLOCKED) {
      const email = `${prefix}-${kind}${n}@example.com`;
      const user = await s.porta.services.users.create(SYSTEM, t.orgId, { email, password: PASSWORD, givenName: 'Grace' });
      await s.porta.services.users.setStatus(SYSTEM, t.orgId, user.id, action);
      list.push({ kind, email });
    }
    const active = `${prefix}-active${n}@example.com`;
    await s.porta.services.users.create(SYSTEM, t.orgId, { email: active, password: PASSWORD, givenName: 'Grace' });
    list.push({ kind: 'active', email: active });
    return list;
  }

  /** A fresh browser at the login page of a new authorization request. */
  async function loginPage(): Promise<{ browser: HttpBrowser; page: PageResponse }> {
    const browser = new HttpBrowser(s.url);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email', state: 'st',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const page = await browser.follow(url.toString());
    expect(page.status).toBe(200);
    return { browser, page };
  }

  function expectAllEqual(answers: Array<{ kind: Kind; answer: Answer }>): void {
    const [first, ...rest] = answers;
    for (const other of rest) expect(other.answer, `${other.kind} vs ${first!.kind}`).toEqual(first!.answer);
  }

  /**
   * The active account's mail arrives; the others get none. The active account is asked for last, so its
   * message arriving means the earlier (unawaited) requests have been looked at too.
   */
  async function onlyActiveGetsMail(list: Array<{ kind: Kind; email: string }>, path: RegExp): Promise<void> {
    const active = list.find((a) => a.kind === 'active')!;
    await smtp.waitForMessage(active.email, { timeoutMs: 10_000, match: (m) => path.test(m.text) });
    const others = list.filter((a) => a.kind !== 'active').map((a) => a.email);
    for (const email of others) expect(smtp.messagesTo(email), email).toEqual([]);
    const queued = await s.porta.db.one<{ n: number }>('SELECT count(*)::int AS n FROM mail_outbox WHERE lower(recipient) = ANY($1)', [others]);
    expect(queued.n).toBe(0);
  }

  it('POST forgot-password: one answer for every kind of account; only the active one gets a link', async () => {
    const list = await accounts('forgot');
    const answers: Array<{ kind: Kind; answer: Answer }> = [];
    for (const { kind, email } of list) {
      const browser = new HttpBrowser(s.url);
      const form = await browser.request(`/${t.slug}/auth/forgot-password`);
      expect(form.status).toBe(200);
      const res = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email } });
      expect(res.status, kind).toBe(200);
      expect(res.body).toContain(email);
      answers.push({ kind, answer: normalise(res, email) });
    }
    expectAllEqual(answers);
    await onlyActiveGetsMail(list, /\/auth\/reset-password\//);
  });

  it('POST forgot-password reached from a login: the same, with the interaction in the form', async () => {
    const list = await accounts('forgot-login');
    const answers: Array<{ kind: Kind; answer: Answer }> = [];
    for (const { kind, email } of list) {
      const { browser, page } = await loginPage();
      const href = /href="([^"]*forgot-password[^"]*)"/.exec(page.body)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
      const form = await browser.request(href);
      const res = await browser.request(formAction(form.body), { form: { _csrf: hiddenInput(form.body, '_csrf'), email } });
      expect(res.status, kind).toBe(200);
      answers.push({ kind, answer: normalise(res, email) });
    }
    expectAllEqual(answers);
    await onlyActiveGetsMail(list, /\/auth\/reset-password\//);
  });

  it('POST magic-link: one answer for every kind of account; only the active one gets a link', async () => {
    const list = await accounts('magic');
    const answers: Array<{ kind: Kind; answer: Answer }> = [];
    for (const { kind, email } of list) {
      const { browser, page } = await loginPage();
      const res = await browser.request(formAction(page.body).replace(/\/login$/, '/magic-link'), { form: { _csrf: hiddenInput(page.body, '_csrf'), email } });
      expect(res.status, kind).toBe(200);
      expect(res.body).toContain(email);
      answers.push({ kind, answer: normalise(res, email) });
    }
    expectAllEqual(answers);
    await onlyActiveGetsMail(list, /\/auth\/magic-link\//);
  });

  it('POST login: a wrong password for the active account and the right one for the others get one answer (401)', async () => {
    const list = await accounts('login');
    const answers: Array<{ kind: Kind; answer: Answer }> = [];
    for (const { kind, email } of list) {
      const { browser, page } = await loginPage();
      const password = kind === 'active' ? `${PASSWORD}!` : PASSWORD;
      const res = await browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email, password } });
      expect(res.status, kind).toBe(401);
      answers.push({ kind, answer: normalise(res, email) });
    }
    expectAllEqual(answers);
    expect(answers[0]!.answer.body).toContain('Invalid email or password.');
    for (const { email } of list) expect(smtp.messagesTo(email)).toEqual([]);
  });
});
