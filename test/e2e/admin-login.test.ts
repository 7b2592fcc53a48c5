import * as oidc from 'openid-client';
import { systemActor } from '../../src/actors/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';

const CALLBACK = 'http://127.0.0.1:53682/callback';

/** The CLI's real path: code + PKCE with the public `porta-admin-cli` client, then the token at /api/admin. */
describe('admin sign-in through the super-admin organization, and its security events', () => {
  let s: AdminServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    s = await startAdminServer();
    config = await oidc.discovery(new URL(`${s.url}/porta-admin`), 'porta-admin-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  });
  afterAll(() => s?.stop());

  async function openLogin(browser: HttpBrowser) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile email offline_access',
      prompt: 'login consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const page = await browser.follow(url.toString());
    expect(page.status).toBe(200);
    return { page, verifier, state };
  }

  const submit = (browser: HttpBrowser, html: string, password: string) =>
    browser.follow(formAction(html), { form: { _csrf: hiddenInput(html, '_csrf'), email: ADMIN_EMAIL, password } });

  it('lets the first admin sign in with the CLI client (loopback redirect on any port) and call the Admin API', async () => {
    const browser = new HttpBrowser(s.url);
    const { page, verifier, state } = await openLogin(browser);
    const done = await submit(browser, page.body, ADMIN_PASSWORD);
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1:53682\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.refresh_token).toBeTruthy();

    const res = await s.withToken(tokens.access_token).get('/audit?event=user.login.');
    expect(res.status).toBe(200);
    const success = res.body.data.find((e: { eventType: string }) => e.eventType === 'user.login.password.success');
    expect(success).toMatchObject({ eventCategory: 'authentication', userId: s.superAdminUserId, ipAddress: '127.0.0.1' });
    expect(JSON.stringify(res.body)).not.toContain(ADMIN_EMAIL);

    const user = await s.porta.services.users.getById((await s.porta.services.organizations.getSuperAdmin()).id, s.superAdminUserId);
    expect(user.loginCount).toBe(1);
    expect(user.lastLoginAt).not.toBeNull();

    // A refreshed access token works too; revoking the refresh token's grant ends both.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await s.withToken(refreshed.access_token).get('/audit')).status).toBe(200);
  });

  it('audits failed attempts without the e-mail, and rate-limits password attempts per org, IP and e-mail', async () => {
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_login_max', '3');
    try {
      const browser = new HttpBrowser(s.url);
      const { page } = await openLogin(browser);
      let html = page.body;
      for (let i = 0; i < 3; i++) {
        const failed = await submit(browser, html, 'wrong-password');
        expect(failed.status).toBe(401);
        html = failed.body;
      }
      const limited = await submit(browser, html, ADMIN_PASSWORD);
      expect(limited.status).toBe(429);
      expect(limited.body).toMatch(/Too many attempts\. Please wait \d+ minutes/);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

      const audit = await s.porta.services.audit.list({ event: 'user.login.password.failed' });
      expect(audit.total).toBeGreaterThanOrEqual(3);
      expect(audit.data[0]).toMatchObject({ userId: s.superAdminUserId, metadata: { reason: 'bad_password', clientId: 'porta-admin-cli' } });
      const rateLimited = await s.porta.services.audit.list({ event: 'security.rate_limited' });
      expect(rateLimited.total).toBe(1);
      expect(rateLimited.data[0]!.metadata).toMatchObject({ scope: 'login', limit: 3 });
      expect(JSON.stringify(rateLimited.data[0])).not.toContain(ADMIN_EMAIL);
    } finally {
      await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_login_max', '10');
    }
  });
});
