import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  INTEROP_TIMEOUT_MS, PASSWORD, InteropBrowser, createInteropTenant, json, loginForm, portaSessionState, registerClient,
  startRelyingPartyServer, type InteropTenant, type RegisteredClient, type RelyingPartyServer,
} from '../support/interop.js';

interface RpSession {
  pending?: { verifier: string; state: string };
  tokens?: { accessToken: string; refreshToken?: string; idToken: string; sub: string };
  /** Tokens revoked by /revoke, kept to show they no longer work. */
  revoked?: { accessToken: string; refreshToken?: string };
}

/**
 * oauth4webapi, the low-level library openid-client and Auth.js build on, used as its README's code flow:
 * discovery, PKCE, authorization code grant, userinfo, refresh, revocation; plus RP-initiated logout to the
 * discovered end_session_endpoint. The relying party is a bare node:http server with a cookie session. The
 * client is a confidential web client with Porta's defaults (client_secret_basic, PKCE).
 */
describe('interop: oauth4webapi', { timeout: INTEROP_TIMEOUT_MS }, () => {
  let s: TestServer;
  let t: InteropTenant;
  let rp: RelyingPartyServer;
  let registered: RegisteredClient;
  let browser: InteropBrowser;
  const sessions = new Map<string, RpSession>();
  const insecure = { [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createInteropTenant(s, 'o4w');
    rp = await startRelyingPartyServer();
    registered = await registerClient(s, t, {
      clientName: 'oauth4webapi app',
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: [`${rp.origin}/callback`],
      postLogoutRedirectUris: [`${rp.origin}/logged-out`],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });

    const issuer = new URL(t.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    const client: oauth.Client = { client_id: registered.clientId };
    const clientAuth = oauth.ClientSecretBasic(registered.secret!);
    const redirectUri = `${rp.origin}/callback`;

    const routes: Record<string, (url: URL, session: RpSession) => Promise<[number, unknown] | string>> = {
      async '/login'(_url, session) {
        const verifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        session.pending = { verifier, state };
        const authorize = new URL(as.authorization_endpoint!);
        authorize.search = new URLSearchParams({
          client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email', state,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        }).toString();
        return authorize.href;
      },
      async '/callback'(url, session) {
        const pending = session.pending;
        session.pending = undefined;
        if (!pending) return [400, { error: 'no pending login' }];
        const params = oauth.validateAuthResponse(as, client, url, pending.state);
        const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, pending.verifier, insecure);
        const result = await oauth.processAuthorizationCodeResponse(as, client, response);
        const claims = oauth.getValidatedIdTokenClaims(result)!;
        session.tokens = { accessToken: result.access_token, refreshToken: result.refresh_token, idToken: result.id_token!, sub: claims.sub };
        return '/me';
      },
      async '/me'(_url, session) {
        if (!session.tokens) return [401, { signedIn: false }];
        const response = await oauth.userInfoRequest(as, client, session.tokens.accessToken, insecure);
        const info = await oauth.processUserInfoResponse(as, client, session.tokens.sub, response);
        return [200, { sub: info.sub, name: info.name, email: info.email }];
      },
      async '/refresh'(_url, session) {
        if (!session.tokens?.refreshToken) return [401, { refreshToken: false }];
        const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, session.tokens.refreshToken, insecure);
        const result = await oauth.processRefreshTokenResponse(as, client, response);
        const before = session.tokens;
        session.tokens = { ...before, accessToken: result.access_token, refreshToken: result.refresh_token, idToken: result.id_token ?? before.idToken };
        return [200, { newAccessToken: result.access_token !== before.accessToken, rotated: !!result.refresh_token && result.refresh_token !== before.refreshToken }];
      },
      async '/revoke'(_url, session) {
        if (!session.tokens) return [401, { signedIn: false }];
        for (const token of [session.tokens.refreshToken, session.tokens.accessToken]) {
          if (token) await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, token, insecure));
        }
        session.revoked = { accessToken: session.tokens.accessToken, refreshToken: session.tokens.refreshToken };
        return [200, { revoked: true }];
      },
      async '/revoked-tokens'(_url, session) {
        if (!session.revoked) return [400, { revoked: false }];
        const userinfo = await oauth.userInfoRequest(as, client, session.revoked.accessToken, insecure);
        const refresh = await oauth.refreshTokenGrantRequest(as, client, clientAuth, session.revoked.refreshToken!, insecure);
        const refreshError = await oauth.processRefreshTokenResponse(as, client, refresh).then(() => null, (err: unknown) => (err as { error?: string }).error ?? String(err));
        return [200, { userinfoStatus: userinfo.status, refreshError }];
      },
      async '/logout'(_url, session) {
        const idToken = session.tokens?.idToken;
        session.tokens = undefined;
        const end = new URL(as.end_session_endpoint!);
        end.search = new URLSearchParams({ post_logout_redirect_uri: `${rp.origin}/logged-out`, ...(idToken ? { id_token_hint: idToken } : { client_id: client.client_id }) }).toString();
        return end.href;
      },
      async '/logged-out'() {
        return [200, { loggedOut: true }];
      },
    };

    rp.serve((req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = new URL(req.url ?? '/', rp.origin);
      let sid = /(?:^|;\s*)rp_sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (!sid || !sessions.has(sid)) {
        sid = randomBytes(16).toString('hex');
        sessions.set(sid, {});
        res.setHeader('set-cookie', `rp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
      }
      const route = routes[url.pathname];
      if (!route) return void res.writeHead(404).end();
      route(url, sessions.get(sid)!).then(
        (answer) => {
          if (typeof answer === 'string') return void res.writeHead(302, { location: answer }).end();
          res.writeHead(answer[0], { 'content-type': 'application/json' }).end(JSON.stringify(answer[1]));
        },
        (err: unknown) => {
          const e = err as { message?: string; error?: string; cause?: unknown };
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ rpError: e.message, error: e.error, cause: String(e.cause ?? '') }));
        },
      );
    });
    browser = new InteropBrowser(s.url);
  }, INTEROP_TIMEOUT_MS);
  afterAll(async () => {
    await rp?.close();
    await s?.stop();
  }, INTEROP_TIMEOUT_MS);

  it('signs in with code + PKCE and the app shows who is logged in (userinfo)', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.url).toBe(`${rp.origin}/me`);
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email });
  });

  it('refreshes with the rotating refresh token', async () => {
    for (let i = 0; i < 2; i++) {
      const { page } = await browser.go(`${rp.origin}/refresh`);
      expect(page.status, page.body).toBe(200);
      expect(json(page)).toEqual({ newAccessToken: true, rotated: true });
    }
    expect(json((await browser.go(`${rp.origin}/me`)).page)).toMatchObject({ sub: t.userId });
  });

  it('revokes its tokens: the access token and the refresh token stop working', async () => {
    const { page } = await browser.go(`${rp.origin}/revoke`);
    expect(page.status, page.body).toBe(200);
    const check = json((await browser.go(`${rp.origin}/revoked-tokens`)).page);
    expect(check).toEqual({ userinfoStatus: 401, refreshError: 'invalid_grant' });
  });

  it('logs out at Porta (end_session_endpoint with the ID token as hint)', async () => {
    const { page, visited } = await browser.go(`${rp.origin}/logout`);
    expect(visited.some((u) => u.startsWith(`${t.issuer}/auth/session/end`))).toBe(true);
    expect(page.url).toBe(`${rp.origin}/logged-out`);
    expect(await portaSessionState(browser, t.issuer, registered.clientId, `${rp.origin}/callback`)).toBe('ended');
    const again = await browser.go(`${rp.origin}/login`);
    expect(loginForm(again.page)).toBeDefined();
  });

  it('signs in again afterwards', async () => {
    const { page } = await browser.signIn(`${rp.origin}/login`, { email: t.email, password: PASSWORD });
    expect(page.status, page.body).toBe(200);
    expect(json(page)).toEqual({ sub: t.userId, name: t.name, email: t.email });
  });

  it('gets a client-credentials token, as the curl call in docs/oidc.md does', async () => {
    const basic = Buffer.from(`${encodeURIComponent(registered.clientId)}:${encodeURIComponent(registered.secret!)}`).toString('base64');
    const res = await fetch(`${t.issuer}/auth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ access_token: expect.stringMatching(/.{20,}/), expires_in: 3600, token_type: 'Bearer' });
  });
});
