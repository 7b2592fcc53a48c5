import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { createLog } from '../../src/platform/log.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { startTestServer } from '../support/server.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** One attempt may take this long; three attempts, two short pauses. */
const POLICY = { timeoutMs: 1500, retryDelaysMs: [100, 200], drainMs: 1000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Behaviour = 'ok' | 'no-content' | 'hang' | 'fail' | 'redirect';

interface Received {
  path: string;
  contentType: string | undefined;
  token: string;
}

/** A relying party on 127.0.0.1: `/{behaviour}/{anything}` answers as its first segment says, and every POST is kept. */
async function startRelyingParty() {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], token: new URLSearchParams(body).get('logout_token') ?? '' });
      const behaviour = (req.url ?? '').split('/')[1] as Behaviour;
      if (behaviour === 'hang') return;
      if (behaviour === 'fail') return void res.writeHead(500).end('oops');
      if (behaviour === 'redirect') return void res.writeHead(302, { Location: '/ok/redirected' }).end();
      res.writeHead(behaviour === 'no-content' ? 204 : 200, { 'Cache-Control': 'no-store' }).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    to: (path: string) => received.filter((r) => r.path === path),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitFor<T>(read: () => T | Promise<T>, isDone: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (isDone(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

/** OIDC Back-Channel Logout 1.0 (spec 70 §5), end to end: a relying party receives and verifies logout tokens. */
describe('back-channel logout', () => {
  let s: AdminServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let counter = 0;

  beforeAll(async () => {
    rp = await startRelyingParty();
    s = await startAdminServer({ backchannelLogout: POLICY });
  });
  afterAll(async () => {
    await s?.stop();
    await rp?.stop();
  });

  const issuerOf = (t: Tenant) => `${s.url}/${t.slug}`;

  /** A tenant whose web and SPA clients register `/{behaviour}/{slug}-web` and `…-spa` at the relying party. */
  async function tenant(web: Behaviour | null, spa: Behaviour | null = web, options: { isSessionRequired?: boolean } = {}) {
    const slug = `bcl-${++counter}`;
    const t = await createTenant(s.porta.services, slug);
    const paths = { web: web && `/${web}/${slug}-web`, spa: spa && `/${spa}/${slug}-spa` };
    for (const [kind, path] of Object.entries(paths)) {
      if (!path) continue;
      await s.porta.services.clients.update(systemActor(), t.orgId, kind === 'web' ? t.confidential.id : t.spa.id, {
        backchannelLogoutUri: `${rp.url}${path}`,
        backchannelLogoutSessionRequired: options.isSessionRequired ?? true,
      });
    }
    return { t, paths: paths as { web: string; spa: string } };
  }

  async function config(t: Tenant, kind: 'web' | 'spa') {
    const auth = kind === 'spa' ? oidc.None() : oidc.ClientSecretBasic(t.confidential.secret);
    const clientId = kind === 'spa' ? t.spa.clientId : t.confidential.clientId;
    return oidc.discovery(new URL(issuerOf(t)), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  }

  /** Code + PKCE; signs in when the browser has no session at this organization yet (SSO otherwise). Returns the ID token's claims. */
  async function signIn(t: Tenant, browser: HttpBrowser, kind: 'web' | 'spa', email = t.email) {
    const c = await config(t, kind);
    const verifier = oidc.randomPKCECodeVerifier();
    let page = await browser.follow(
      oidc.buildAuthorizationUrl(c, {
        redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }).toString(),
    );
    if (page.status === 200 && page.body.includes('name="password"')) {
      page = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email, password: PASSWORD } });
    }
    expect(page.location).toMatch(/\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(c, new URL(page.location!), { pkceCodeVerifier: verifier });
    const claims = tokens.claims()!;
    expect(typeof claims.sid).toBe('string');
    return claims;
  }

  /** "Sign out" on the logout page; resolves with the time the end-session answer took. */
  async function signOut(t: Tenant, browser: HttpBrowser): Promise<number> {
    const end = oidc.buildEndSessionUrl(await config(t, 'web'), { post_logout_redirect_uri: POST_LOGOUT_URI, client_id: t.confidential.clientId });
    const page = await browser.follow(end.toString());
    expect(page.body).toContain('Sign out');
    const started = Date.now();
    const done = await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
    const elapsed = Date.now() - started;
    expect(done.location).toBe(POST_LOGOUT_URI);
    return elapsed;
  }

  /** The relying party's checks of §2.6, with the issuer's published keys. */
  async function verifyLogoutToken(t: Tenant, token: string, clientId: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuerOf(t)}/auth/jwks`)), {
      issuer: issuerOf(t), audience: clientId, typ: 'logout+jwt', maxTokenAge: 120,
    });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.events).toEqual({ [LOGOUT_EVENT]: {} });
    expect(payload).not.toHaveProperty('nonce');
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.iat).toBe('number');
    expect(payload.exp! - payload.iat!).toBe(120);
    return payload;
  }

  const trackedSessions = async (userId: string) =>
    (await waitFor(() => s.superAdmin.get(`/sessions?userId=${userId}`), (r) => r.body.total > 0)).body.data as Array<{ sessionId: string; clientId: string }>;

  const failures = async (t: Tenant) => (await s.porta.services.audit.list({ event: 'session.backchannel_logout.failed', org: t.orgId })).data;

  it('is advertised in discovery', async () => {
    const { t } = await tenant(null);
    const meta = (await (await fetch(`${issuerOf(t)}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });

  it('on end-session logout, sends a verified logout token to each client of the session, and none for another user', async () => {
    const { t, paths } = await tenant('ok', 'no-content');
    const bob = await s.porta.services.users.create(systemActor(), t.orgId, { email: 'bob@example.com', password: PASSWORD, emailVerified: true });
    const ada = new HttpBrowser(s.url);
    const adaWeb = await signIn(t, ada, 'web');
    const adaSpa = await signIn(t, ada, 'spa');
    const other = new HttpBrowser(s.url);
    await signIn(t, other, 'web', 'bob@example.com');
    expect(rp.to(paths.web)).toHaveLength(0);

    await signOut(t, ada);
    await waitFor(() => rp.to(paths.web).length + rp.to(paths.spa).length, (n) => n >= 2);
    await sleep(300);
    const [web, spa] = [rp.to(paths.web), rp.to(paths.spa)];
    expect(web).toHaveLength(1);
    expect(spa).toHaveLength(1);
    expect(web[0]!.contentType).toBe('application/x-www-form-urlencoded');
    const webToken = await verifyLogoutToken(t, web[0]!.token, t.confidential.clientId);
    const spaToken = await verifyLogoutToken(t, spa[0]!.token, t.spa.clientId);
    expect(webToken).toMatchObject({ sub: t.userId, sid: adaWeb.sid });
    expect(spaToken).toMatchObject({ sub: t.userId, sid: adaSpa.sid });
    expect(webToken.jti).not.toBe(spaToken.jti);
    expect(decodeProtectedHeader(web[0]!.token).alg).toBe('RS256');
    // Bob's session at the same web client is not ended, so no token names him.
    expect(rp.received.map((r) => decodeJwt(r.token).sub)).not.toContain(bob.id);
    expect(await failures(t)).toEqual([]);
  });

  it('on admin revocation of one session, and of all sessions of a user', async () => {
    const { t, paths } = await tenant('ok', null);
    const one = await signIn(t, new HttpBrowser(s.url), 'web');
    const [tracked] = await trackedSessions(t.userId);
    expect((await s.superAdmin.delete(`/sessions/${tracked!.sessionId}`)).status).toBe(204);
    await waitFor(() => rp.to(paths.web).length, (n) => n >= 1);
    expect(await verifyLogoutToken(t, rp.to(paths.web)[0]!.token, t.confidential.clientId)).toMatchObject({ sub: t.userId, sid: one.sid });

    const two = await signIn(t, new HttpBrowser(s.url), 'web');
    const three = await signIn(t, new HttpBrowser(s.url), 'web');
    await waitFor(() => trackedSessions(t.userId), (rows) => rows.length >= 2);
    expect((await s.superAdmin.delete(`/users/${t.userId}/sessions`)).body).toEqual({ revoked: 2 });
    await waitFor(() => rp.to(paths.web).length, (n) => n >= 3);
    await sleep(200);
    const sids = await Promise.all(rp.to(paths.web).slice(1).map(async (r) => (await verifyLogoutToken(t, r.token, t.confidential.clientId)).sid));
    expect(sids.sort()).toEqual([two.sid, three.sid].sort());
  });

  it.each([
    ['suspension', (t: Tenant) => s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/suspend`, { reason: 'test' })],
    ['admin lock', (t: Tenant) => s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/lock`, {})],
    ['password set', (t: Tenant) => s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/password`, { password: 'A-brand-new-password-42' })],
  ])('on %s, to every client of the user\'s session', async (_name, act) => {
    const { t, paths } = await tenant('ok');
    const browser = new HttpBrowser(s.url);
    const web = await signIn(t, browser, 'web');
    const spa = await signIn(t, browser, 'spa');
    await trackedSessions(t.userId);
    expect((await act(t)).status).toBe(204);
    await waitFor(() => rp.to(paths.web).length + rp.to(paths.spa).length, (n) => n >= 2);
    expect(await verifyLogoutToken(t, rp.to(paths.web)[0]!.token, t.confidential.clientId)).toMatchObject({ sub: t.userId, sid: web.sid });
    expect(await verifyLogoutToken(t, rp.to(paths.spa)[0]!.token, t.spa.clientId)).toMatchObject({ sub: t.userId, sid: spa.sid });
  });

  it('leaves sid out when the client does not require it', async () => {
    const { t, paths } = await tenant('ok', null, { isSessionRequired: false });
    const browser = new HttpBrowser(s.url);
    await signIn(t, browser, 'web');
    await signOut(t, browser);
    await waitFor(() => rp.to(paths.web).length, (n) => n >= 1);
    const payload = await verifyLogoutToken(t, rp.to(paths.web)[0]!.token, t.confidential.clientId);
    expect(payload.sub).toBe(t.userId);
    expect(payload).not.toHaveProperty('sid');
  });

  it('never lets a relying party that does not answer slow a logout or an admin request; audits the failure after the retries', async () => {
    const { t, paths } = await tenant('hang', null);
    const first = new HttpBrowser(s.url);
    await signIn(t, first, 'web');
    // One attempt alone would take 1.5 s, three attempts 4.8 s.
    expect(await signOut(t, first)).toBeLessThan(1000);

    await signIn(t, new HttpBrowser(s.url), 'web');
    await trackedSessions(t.userId);
    const started = Date.now();
    expect((await s.superAdmin.post(`/organizations/${t.orgId}/users/${t.userId}/suspend`, { reason: 'test' })).status).toBe(204);
    expect(Date.now() - started).toBeLessThan(1000);

    const entries = await waitFor(() => failures(t), (rows) => rows.length >= 2, 10_000);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        eventCategory: 'security', actorType: 'system', organizationId: t.orgId, userId: t.userId, targetType: 'client', targetId: t.confidential.id,
        metadata: { clientId: t.confidential.clientId, reason: 'timeout', attempts: 3 },
      });
    }
    expect(entries.map((e) => e.metadata.trigger).sort()).toEqual(['end_session', 'session_ended']);
    expect(rp.to(paths.web)).toHaveLength(6);
  });

  it('retries a relying party that answers 500 with the same token, then audits the failure', async () => {
    const { t, paths } = await tenant('fail', null);
    const browser = new HttpBrowser(s.url);
    await signIn(t, browser, 'web');
    await signOut(t, browser);
    const [entry] = await waitFor(() => failures(t), (rows) => rows.length >= 1);
    expect(entry).toMatchObject({ targetId: t.confidential.id, metadata: { clientId: t.confidential.clientId, reason: 'http_500', attempts: 3, trigger: 'end_session' } });
    const attempts = rp.to(paths.web);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.token)).size).toBe(1);
    await verifyLogoutToken(t, attempts[0]!.token, t.confidential.clientId);
  });

  it('does not follow a redirect', async () => {
    const { t, paths } = await tenant('redirect', null);
    const browser = new HttpBrowser(s.url);
    await signIn(t, browser, 'web');
    await signOut(t, browser);
    const [entry] = await waitFor(() => failures(t), (rows) => rows.length >= 1);
    expect(entry).toMatchObject({ metadata: { reason: 'http_302', attempts: 3 } });
    expect(rp.to(paths.web)).toHaveLength(3);
    expect(rp.to('/ok/redirected')).toHaveLength(0);
  });
});

describe('back-channel logout on shutdown', () => {
  it('gives deliveries under way the drain bound, then abandons and records them', async () => {
    const rp = await startRelyingParty();
    const lines: Array<Record<string, unknown>> = [];
    const log = createLog({ env: 'test', level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    // Without the drain bound, closing would wait for three 5 s attempts, or drop them unrecorded.
    const s = await startTestServer({ log, backchannelLogout: { timeoutMs: 5000, retryDelaysMs: [100, 200], drainMs: 500 } });
    try {
      const t = await createTenant(s.porta.services, 'bcl-shutdown');
      await s.porta.services.clients.update(systemActor(), t.orgId, t.confidential.id, { backchannelLogoutUri: `${rp.url}/hang/shutdown` });
      const c = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
        execute: [oidc.allowInsecureRequests],
      });
      const browser = new HttpBrowser(s.url);
      const login = await browser.follow(
        oidc.buildAuthorizationUrl(c, {
          redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
        }).toString(),
      );
      await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: t.email, password: PASSWORD } });
      const page = await browser.follow(oidc.buildEndSessionUrl(c, { client_id: t.confidential.clientId }).toString());
      await browser.follow(formAction(page.body, 'op.logoutForm'), { form: { xsrf: hiddenInput(page.body, 'xsrf'), logout: 'yes' } });
      await waitFor(() => rp.to('/hang/shutdown').length, (n) => n >= 1);

      const started = Date.now();
      await s.stop();
      expect(Date.now() - started).toBeLessThan(2500);
      expect(lines.filter((l) => l.msg === 'session.backchannel_logout.failed')).toEqual([
        expect.objectContaining({ clientId: t.confidential.clientId, reason: 'shutdown', attempts: 1, trigger: 'end_session' }),
      ]);
    } finally {
      await s.stop();
      await rp.stop();
    }
  });
});
