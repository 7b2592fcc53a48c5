import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

describeWithPostgres('logout while PostgreSQL is unavailable (seed 001: the user can always log out)', () => {
  let database: TestDatabase;
  let pgProxy: TcpProxy;
  let s: TestServer;
  let t: Tenant;

  beforeAll(async () => {
    database = await createTestDatabase();
    const pgUrl = new URL(database.url);
    pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    pgUrl.hostname = '127.0.0.1';
    pgUrl.port = String(pgProxy.port);
    s = await startTestServer({
      useConfiguredStores: true,
      env: { DATABASE_URL: pgUrl.toString(), PORTA_AUTO_MIGRATE: 'true' },
    });
    t = await createTenant(s.porta.services, 'fault-co');
  });
  afterAll(async () => {
    await s?.stop();
    await pgProxy?.close();
    await database?.drop();
  });

  it('destroys the session and redirects even though the token cascade cannot reach the database', async () => {
    const config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new HttpBrowser(s.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const login = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString(),
    );
    const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier });
    expect(tokens.access_token).toBeTruthy();

    const page = await browser.follow(oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT_URI, client_id: t.confidential.clientId }).toString());
    expect(page.body).toContain('Sign out');
    await pgProxy.cut();
    try {
      const out = await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
      expect(out.status).toBe(303);
      expect(out.location).toBe(POST_LOGOUT_URI);
    } finally {
      await pgProxy.restore();
    }
    const again = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      }).toString(),
    );
    expect(again.location).toMatch(/error=login_required/);
  });
});
