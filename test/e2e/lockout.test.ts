import type Koa from 'koa';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { ADMIN_EMAIL, startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';
import { describeWithServices } from '../support/services.js';

const CLIENT_IP = 'x-test-client-ip';
const asClient = (app: Koa) =>
  app.use(async (ctx, next) => {
    const ip = ctx.get(CLIENT_IP);
    if (ip) ctx.request.ip = ip;
    await next();
  });

const THRESHOLD = 3;
const BURST = 12;

/** Issue 10 item 2 over HTTP: a burst of guesses cannot get more passwords checked than the threshold. */
function lockoutSuite(backends: 'embedded' | 'services') {
  let s: AdminServer;
  let t: Tenant;
  let ipSeq = 0;
  const newIp = () => `203.0.113.${++ipSeq}`;

  beforeAll(async () => {
    s = await startAdminServer({ backends, extend: asClient });
    t = await createTenant(s.porta.services, `lock-${backends}`);
    await s.porta.services.systemConfig.set(systemActor(), 'account_lockout_threshold', String(THRESHOLD));
  });
  afterAll(() => s?.stop());

  const rp = (slug: string, clientId: string, secret: string) =>
    oidc.discovery(new URL(`${s.url}/${slug}`), clientId, undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });

  /** A login page of a fresh code flow, in its own browser, from its own IP. */
  async function openLogin(config: oidc.Configuration, ip = newIp()) {
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access', prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st',
    });
    let page = await browser.request(url.toString(), { headers: { [CLIENT_IP]: ip } });
    while (page.location?.startsWith('/') && page.status >= 300 && page.status < 400) page = await browser.request(new URL(page.location, page.url).toString(), { headers: { [CLIENT_IP]: ip } });
    expect(page.body).toContain('name="password"');
    const submit = (email: string, password: string) =>
      browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email, password }, headers: { [CLIENT_IP]: ip } });
    /** Follows a successful sign-in back to the client's callback. */
    const callback = async (res: Awaited<ReturnType<typeof submit>>) => {
      while (res.location?.startsWith(s.url) || res.location?.startsWith('/')) res = await browser.request(new URL(res.location, res.url).toString(), { headers: { [CLIENT_IP]: ip } });
      return res.location;
    };
    return { submit, callback, verifier };
  }

  /** What a failed sign-in page says, without what differs per request (CSRF token, form action). */
  // The interaction's own links (form actions, the forgot-password link) name its uid, not the account.
  const visible = (html: string) => html.replace(/name="_csrf" value="[^"]*"/, '').replace(/action="[^"]*"/g, '').replace(/interaction(?:=|&#x3D;)[^"]*/g, '');

  it('a burst of wrong passwords checks at most threshold of them; then the right one is refused like a wrong one', async () => {
    const config = await rp(t.slug, t.confidential.clientId, t.confidential.secret);
    const pages = await Promise.all(Array.from({ length: BURST }, () => openLogin(config)));
    const burst = await Promise.all(pages.map((p) => p.submit(t.email, 'wrong password!')));
    expect(burst.map((r) => r.status)).toEqual(Array(BURST).fill(401));
    const wrongPage = visible(burst[0]!.body);
    expect(wrongPage).toContain('Invalid email or password.');

    const right = await (await openLogin(config)).submit(t.email, PASSWORD);
    expect(right.status).toBe(401);
    expect(visible(right.body)).toBe(wrongPage);

    const failed = await s.porta.services.audit.list({ event: 'user.login.password.failed', user: t.userId, limit: 100 });
    const reasons = failed.data.map((e) => (e.metadata as { reason: string }).reason);
    // Only `threshold` passwords were checked; every other attempt was refused unevaluated.
    expect(reasons.filter((r) => r === 'bad_password')).toHaveLength(THRESHOLD);
    expect(reasons.filter((r) => r === 'status_locked')).toHaveLength(BURST - THRESHOLD + 1);
    const locked = await s.porta.services.audit.list({ event: 'user.locked', user: t.userId });
    expect(locked.data).toEqual([expect.objectContaining({ metadata: { trigger: 'auto_lockout', failedCount: THRESHOLD, threshold: THRESHOLD } })]);
    expect(await s.porta.services.users.getById(t.orgId, t.userId)).toMatchObject({ status: 'locked', lockedReason: 'auto_lockout', failedLoginCount: THRESHOLD });
  });

  it("an automatic lock leaves the owner's session and tokens working", async () => {
    const user = await s.porta.services.users.create(systemActor(), t.orgId, { email: 'grace@example.com', password: PASSWORD, emailVerified: true });
    const config = await rp(t.slug, t.confidential.clientId, t.confidential.secret);
    const { submit, callback, verifier } = await openLogin(config);
    const done = await submit('grace@example.com', PASSWORD);
    expect(done.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await callback(done))!), { pkceCodeVerifier: verifier, expectedState: 'st' });

    for (let i = 0; i < THRESHOLD; i++) expect((await (await openLogin(config)).submit('grace@example.com', 'wrong password!')).status).toBe(401);
    expect((await s.porta.services.users.getById(t.orgId, user.id)).status).toBe('locked');
    expect((await (await openLogin(config)).submit('grace@example.com', PASSWORD)).status).toBe(401);

    expect((await oidc.fetchUserInfo(config, tokens.access_token, user.id)).sub).toBe(user.id);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);
  });

  it("an automatically locked admin's Admin API token keeps working", async () => {
    const adminOrg = await s.porta.services.organizations.getSuperAdmin();
    const cli = await oidc.discovery(new URL(`${s.url}/${adminOrg.slug}`), 'porta-admin-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const browser = new HttpBrowser(s.url);
    for (let i = 0; i < THRESHOLD; i++) {
      const url = oidc.buildAuthorizationUrl(cli, {
        redirect_uri: 'http://127.0.0.1:53682/callback', scope: 'openid', prompt: 'login',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: 'st',
      });
      const page = await browser.follow(url.toString());
      const res = await browser.request(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: ADMIN_EMAIL, password: 'wrong password!' }, headers: { [CLIENT_IP]: newIp() } });
      expect(res.status).toBe(401);
    }
    expect((await s.porta.services.users.getById(adminOrg.id, s.superAdminUserId)).status).toBe('locked');
    const res = await s.superAdmin.get('/organizations');
    expect(res.status).toBe(200);
    expect((await s.superAdmin.post(`/users/${s.superAdminUserId}/unlock`)).status).toBe(204);
  });
}

describe('account lockout over HTTP (embedded)', () => lockoutSuite('embedded'));
describeWithServices('account lockout over HTTP (PostgreSQL, Redis)', () => lockoutSuite('services'));
