import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CONSOLE_CSP, adminConsole } from '../../src/http/admin-console.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startAdminServer, type AdminServer } from '../support/admin.js';
import { ensureConsoleBuilt } from '../support/console.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';

/** Spec 70 §3 on the wire: the console's files at /admin, its built-in client, and GET /api/admin/me. */
describe('admin console: serving, client and /api/admin/me', () => {
  let s: AdminServer;

  beforeAll(async () => {
    ensureConsoleBuilt();
    s = await startAdminServer();
  }, 300_000);
  afterAll(() => s?.stop());

  describe('serving /admin', () => {
    it('answers /admin and every path below it with the single page, never cached, under the console policy', async () => {
      for (const p of ['/admin', '/admin/', '/admin/callback?code=x&state=y', '/admin/organizations/0b7e/users']) {
        const res = await fetch(`${s.url}${p}`);
        expect(res.status, p).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-security-policy')).toBe(ADMIN_CONSOLE_CSP);
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        const html = await res.text();
        expect(html).toContain('<div id="root"></div>');
        // No inline script: only the bundle, by its /admin/assets path.
        expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(html).toMatch(/<script type="module" crossorigin src="\/admin\/assets\/index-[\w-]+\.js"><\/script>/);
      }
      expect(ADMIN_CONSOLE_CSP).toContain("script-src 'self';");
      expect(ADMIN_CONSOLE_CSP).toContain("connect-src 'self';");
      expect(ADMIN_CONSOLE_CSP).not.toContain('unsafe');
    });

    it('serves the content-hashed assets for a year, and 404 for anything else there', async () => {
      const html = await (await fetch(`${s.url}/admin`)).text();
      const script = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const style = /href="(\/admin\/assets\/[^"]+\.css)"/.exec(html)![1]!;
      const js = await fetch(`${s.url}${script}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await fetch(`${s.url}${style}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      for (const p of ['/admin/assets/missing.js', '/admin/assets/..%2F..%2Fpackage.json', '/admin/assets/', '/admin/assets/.source-hash']) {
        expect((await fetch(`${s.url}${p}`)).status, p).toBe(404);
      }
      expect((await fetch(`${s.url}/admin`, { method: 'POST' })).status).toBe(404);
    });

    it('says how to build the console when it is missing (503), without a stack or a path', async () => {
      const app = new Koa();
      app.use(async (ctx, next) => {
        await next();
        ctx.set('Content-Security-Policy', ctx.state.contentSecurityPolicy as string);
      });
      app.use(adminConsole({ dir: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'porta-console-')), 'none') }));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/admin/keys`);
        expect(res.status).toBe(503);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-security-policy')).not.toContain('script-src');
        const body = await res.text();
        expect(body).toContain('npm run build');
        expect(body).not.toContain(os.tmpdir());
      } finally {
        server.close();
      }
    });
  });

  describe('the porta-admin-console client', () => {
    let config: oidc.Configuration;
    beforeAll(async () => {
      config = await oidc.discovery(new URL(`${s.url}/porta-admin`), 'porta-admin-console', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    });

    async function signIn(redirectUri: string) {
      const browser = new HttpBrowser(s.url);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st',
      });
      const login = await browser.follow(url.toString());
      return { browser, verifier, login };
    }

    it('is created by porta init: public, PKCE, in the admin organization, redirects derived from ISSUER_BASE_URL', async () => {
      const client = (await s.superAdmin.get('/clients/porta-admin-console')).body.data;
      expect(client).toMatchObject({
        clientId: 'porta-admin-console', clientName: 'Porta Admin Console', clientType: 'public', applicationType: 'spa',
        grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'none', requireConsent: false, status: 'active',
      });
      const org = await s.porta.services.organizations.getSuperAdmin();
      expect(client.organizationId).toBe(org.id);
    });

    it('signs an admin in with code + PKCE at {issuer}/admin/callback without consent, and rotates its refresh token', async () => {
      const { browser, verifier, login } = await signIn(`${s.url}/admin/callback`);
      expect(login.status).toBe(200);
      const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
      // Porta's own origin: the browser lands on the console's callback route (the single page).
      expect(done.url).toMatch(new RegExp(`^${s.url}/admin/callback\\?code=`));
      expect(done.body).toContain('<div id="root"></div>');
      const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
      expect(tokens.refresh_token).toBeTruthy();
      const me = await s.withToken(tokens.access_token).get('/me');
      expect(me.status).toBe(200);
      expect(me.body.data.user.email).toBe(ADMIN_EMAIL);

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect((await s.withToken(refreshed.access_token).get('/me')).status).toBe(200);
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('refuses any other redirect URI', async () => {
      const { login } = await signIn(`${s.url}/elsewhere/callback`);
      expect(login.status).toBe(400);
      expect(login.body).toContain('redirect_uri');
    });

    it('is allowed to end the session with {issuer}/admin as the post-logout redirect, and no other', async () => {
      const end = (target: string) =>
        fetch(`${s.url}/porta-admin/auth/session/end?client_id=porta-admin-console&post_logout_redirect_uri=${encodeURIComponent(target)}&state=signed-out`);
      expect((await end(`${s.url}/admin`)).status).toBe(200);
      expect((await end(`${s.url}/elsewhere`)).status).toBe(400);
    });
  });

  describe('GET /api/admin/me', () => {
    it('names the admin, the organization, the roles and their permissions', async () => {
      const org = await s.porta.services.organizations.getSuperAdmin();
      const res = await s.superAdmin.get('/me');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body.data).toMatchObject({
        user: { id: s.superAdminUserId, email: ADMIN_EMAIL, givenName: 'Root', familyName: 'Admin' },
        organization: { id: org.id, slug: 'porta-admin' },
        roles: ['porta-super-admin'],
        actorType: 'admin',
      });
      expect(res.body.data.permissions).toHaveLength(43);

      const auditor = await s.clientWithRoles(['porta-auditor']);
      const mine = (await auditor.get('/me')).body.data;
      expect(mine.roles).toEqual(['porta-auditor']);
      expect(mine.permissions).toContain('admin:config:read');
      expect(mine.permissions).not.toContain('admin:config:update');
      expect(mine.permissions.every((p: string) => p.endsWith(':read'))).toBe(true);
    });

    it('answers a service account with its roles and no user; 401 without a token, 403 without an admin role', async () => {
      const created = (await s.superAdmin.post('/service-accounts', { name: 'Me test', roles: ['porta-org-admin'] })).body.data;
      const token = await fetch(`${s.url}/porta-admin/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${created.serviceAccount.clientId}:${created.secret.plaintext}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const me = (await s.withToken(token.access_token).get('/me')).body.data;
      expect(me).toMatchObject({ user: null, roles: ['porta-org-admin'], actorType: 'service_account' });

      expect((await s.anonymous().get('/me')).status).toBe(401);
      expect((await (await s.clientWithRoles([])).get('/me')).status).toBe(403);
    });
  });
});
