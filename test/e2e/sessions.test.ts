import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

/** Seeds 001 and 002: the three-point lifecycle, the mirror and the sessions Admin API, on the configured backends. */
describe('session lifecycle and session management', () => {
  let s: AdminServer;
  let t: Tenant;
  const issuer = () => `${s.url}/${t.slug}`;

  beforeAll(async () => {
    s = await startAdminServer();
    t = await createTenant(s.porta.services, 'sessions-co');
  });
  afterAll(() => s?.stop());

  async function rp(kind: 'confidential' | 'spa') {
    const auth = kind === 'spa' ? oidc.None() : oidc.ClientSecretBasic(t.confidential.secret);
    const clientId = kind === 'spa' ? t.spa.clientId : t.confidential.clientId;
    return oidc.discovery(new URL(issuer()), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  }

  /** Code + PKCE in `browser`; signs in when the browser has no session yet (SSO otherwise). */
  async function signIn(browser: HttpBrowser, kind: 'confidential' | 'spa', scope = 'openid profile email offline_access') {
    const config = await rp(kind);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
      // offline_access is granted only with prompt=consent (OIDC Core §11).
      ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    });
    let page = await browser.follow(url.toString());
    const mirrored = (await trackedFor(t.userId, false)).total;
    const isNewSession = page.status === 200 && page.body.includes('name="password"');
    if (isNewSession) {
      page = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: t.email, password: PASSWORD } });
    }
    expect(page.location).toMatch(/\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.location!), { pkceCodeVerifier: verifier, expectedState: state });
    // The mirror is written beside the flow, never awaited by it (spec 10 §10): wait for the new session's row.
    if (isNewSession) await vi.waitFor(async () => expect((await trackedFor(t.userId, false)).total).toBeGreaterThan(mirrored));
    return { config, tokens };
  }

  async function isLoggedIn(browser: HttpBrowser): Promise<boolean> {
    const config = await rp('spa');
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const res = await browser.follow(url.toString());
    if (/error=login_required/.test(res.location ?? '')) return false;
    expect(res.location).toMatch(/code=/);
    return true;
  }

  async function isActive(token: string): Promise<boolean> {
    const config = await rp('confidential');
    return (await oidc.tokenIntrospection(config, token)).active;
  }

  async function signOut(browser: HttpBrowser, config: oidc.Configuration) {
    const end = oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT_URI, client_id: t.confidential.clientId });
    const page = await browser.follow(end.toString());
    expect(page.body).toContain('Sign out');
    return browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
  }

  const trackedFor = async (userId: string, activeOnly = true) =>
    (await s.superAdmin.get(`/sessions?userId=${userId}&activeOnly=${activeOnly}`)).body as { data: Array<Record<string, unknown>>; total: number };

  it('mirrors a signed-in session with its user, organization, client, grant, IP and user agent', async () => {
    const browser = new HttpBrowser(s.url);
    const { tokens } = await signIn(browser, 'confidential');
    const list = await trackedFor(t.userId);
    expect(list.total).toBe(1);
    expect(list).toMatchObject({ page: 1, pageSize: 20 });
    const row = list.data[0]!;
    expect(row).toMatchObject({ userId: t.userId, organizationId: t.orgId, clientId: t.confidential.id, ipAddress: '127.0.0.1', revokedAt: null });
    expect(typeof row.grantId).toBe('string');
    expect(new Date(row.expiresAt as string).getTime()).toBeGreaterThan(Date.now() + 3600_000);
    const one = await s.superAdmin.get(`/sessions/${row.sessionId}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toEqual(row);
    expect(await isActive(tokens.access_token)).toBe(true);
  });

  it('explicit logout deletes the grants and tokens of every client of the session, and marks the mirror row revoked', async () => {
    const browser = new HttpBrowser(s.url);
    const web = await signIn(browser, 'confidential');
    const spa = await signIn(browser, 'spa');
    expect(web.tokens.refresh_token && spa.tokens.refresh_token).toBeTruthy();
    const before = await trackedFor(t.userId);
    const sessionId = before.data.find((r) => r.clientId === t.spa.id)!.sessionId as string;

    const done = await signOut(browser, web.config);
    expect(done.location).toBe(POST_LOGOUT_URI);
    expect(await isLoggedIn(browser)).toBe(false);
    expect(await isActive(web.tokens.access_token)).toBe(false);
    expect(await isActive(spa.tokens.access_token)).toBe(false);
    await expect(oidc.fetchUserInfo(spa.config, spa.tokens.access_token, t.userId)).rejects.toBeTruthy();
    await expect(oidc.refreshTokenGrant(web.config, web.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(spa.config, spa.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const after = await s.superAdmin.get(`/sessions/${sessionId}`);
    expect(after.body.data.revokedAt).not.toBeNull();
    expect((await trackedFor(t.userId)).data.some((r) => r.sessionId === sessionId)).toBe(false);
    expect((await trackedFor(t.userId, false)).data.some((r) => r.sessionId === sessionId)).toBe(true);
  });

  it('natural expiry ends the session but keeps the offline refresh token usable', async () => {
    const browser = new HttpBrowser(s.url);
    const { config, tokens } = await signIn(browser, 'confidential');
    // A session that reaches its TTL simply vanishes from the store: no destroy, no cascade.
    const row = (await trackedFor(t.userId)).data.at(0)!;
    const id = await s.porta.kv.get(`oidc:Session:uid:${row.sessionId as string}`);
    expect(id).not.toBeNull();
    await s.porta.kv.delete(`oidc:Session:${id}`, `oidc:Session:uid:${row.sessionId as string}`);

    expect(await isLoggedIn(browser)).toBe(false);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    expect(await isActive(refreshed.access_token)).toBe(true);
  });

  it('purges expired oidc_payloads rows when the next login interaction starts, without awaiting it', async () => {
    await s.porta.db.query(
      `INSERT INTO oidc_payloads (id, type, payload, organization_id, expires_at)
       VALUES ('expired-1', 'AccessToken', '{}', $1, now() - interval '1 minute'),
              ('alive-1', 'AccessToken', '{}', $1, now() + interval '1 hour')`,
      [t.orgId],
    );
    const browser = new HttpBrowser(s.url);
    const config = await rp('spa');
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const page = await browser.follow(url.toString());
    expect(page.body).toContain('name="password"');
    const ids = async () => (await s.porta.db.many<{ id: string }>(`SELECT id FROM oidc_payloads WHERE id IN ('expired-1', 'alive-1')`)).map((r) => r.id);
    const deadline = Date.now() + 5000;
    while ((await ids()).includes('expired-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await ids()).toEqual(['alive-1']);
  });

  it('revokes one session through the API: the live session ends at once and its tokens die', async () => {
    const browser = new HttpBrowser(s.url);
    const { tokens } = await signIn(browser, 'confidential');
    const row = (await trackedFor(t.userId)).data.find((r) => r.grantId !== null)!;
    const denied = await (await s.clientWithRoles(['porta-auditor'])).delete(`/sessions/${row.sessionId as string}`);
    expect(denied.status).toBe(403);

    const res = await s.superAdmin.delete(`/sessions/${row.sessionId as string}`);
    expect(res.status).toBe(204);
    expect(await isLoggedIn(browser)).toBe(false);
    expect(await isActive(tokens.access_token)).toBe(false);
    expect((await s.superAdmin.get(`/sessions/${row.sessionId as string}`)).body.data.revokedAt).not.toBeNull();
    const history = await s.porta.services.audit.list({ event: 'session.revoked' });
    expect(history.data[0]).toMatchObject({ targetId: row.sessionId, actorId: s.superAdminUserId, organizationId: t.orgId });

    expect((await s.superAdmin.get('/sessions/unknown-session')).status).toBe(404);
    expect((await s.superAdmin.delete('/sessions/unknown-session')).status).toBe(404);
  });

  it('revokes every session of a user and answers { revoked: n }', async () => {
    const one = new HttpBrowser(s.url);
    const two = new HttpBrowser(s.url);
    await signIn(one, 'confidential');
    await signIn(two, 'spa', 'openid');
    const active = (await trackedFor(t.userId)).total;
    expect(active).toBeGreaterThanOrEqual(2);
    const res = await s.superAdmin.delete(`/users/${t.userId}/sessions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: active });
    expect(await isLoggedIn(one)).toBe(false);
    expect(await isLoggedIn(two)).toBe(false);
    expect((await s.superAdmin.delete(`/users/${t.userId}/sessions`)).body).toEqual({ revoked: 0 });
    expect((await s.superAdmin.delete('/users/00000000-0000-4000-8000-000000000000/sessions')).status).toBe(404);
  });

  it('ends the sessions of a user who is suspended through the API', async () => {
    const browser = new HttpBrowser(s.url);
    const { tokens } = await signIn(browser, 'confidential');
    expect((await s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/suspend`, { reason: 'test' })).status).toBe(204);
    expect(await isLoggedIn(browser)).toBe(false);
    expect(await isActive(tokens.access_token)).toBe(false);
    expect((await trackedFor(t.userId)).total).toBe(0);
    expect((await s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/unsuspend`)).status).toBe(204);
  });

  it('lists with filters and validates its parameters', async () => {
    const browser = new HttpBrowser(s.url);
    await signIn(browser, 'spa', 'openid');
    const byClient = await s.superAdmin.get(`/sessions?clientId=${t.spa.id}&organizationId=${t.orgId}&pageSize=1`);
    expect(byClient.status).toBe(200);
    expect(byClient.body.data).toHaveLength(1);
    expect(byClient.body.data[0].clientId).toBe(t.spa.id);
    expect((await s.superAdmin.get('/sessions?pageSize=101')).status).toBe(400);
    expect((await s.superAdmin.get('/sessions?userId=not-a-uuid')).body.error).toBe('validation_failed');
    expect((await s.anonymous().get('/sessions')).status).toBe(401);
    expect((await (await s.clientWithRoles(['porta-app-admin'])).get('/sessions')).status).toBe(403);
  });
});
