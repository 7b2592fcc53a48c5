import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const AUTO_SUBMIT = "getElementById('op.logoutForm')";
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An RS256 JWT, as the engine signs the test client's ID tokens (or a forger would, with another key). */
function signJwt(key: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const input = `${b64url({ alg: 'RS256', kid, typ: 'JWT' })}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown> & { iat: number };

/**
 * RP-initiated logout with an id_token_hint (OIDC RP-Initiated Logout 1.0 §2, issue 10 item 6): only a hint
 * of this browser's own session signs out without a confirmation.
 */
describe('logout with an id_token_hint (embedded backends)', () => {
  let s: TestServer;
  let t: Tenant;
  let config: oidc.Configuration;
  const bobEmail = 'bob@example.com';

  beforeAll(async () => {
    s = await startTestServer();
    t = await createTenant(s.porta.services, 'hint-co');
    await s.porta.services.users.create(systemActor(), t.orgId, { email: bobEmail, password: PASSWORD, emailVerified: true });
    config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  afterAll(() => s?.stop());

  async function signIn(browser: HttpBrowser, email: string, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const login = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
      }).toString(),
    );
    const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email, password: PASSWORD } });
    return oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier });
  }

  async function isSignedIn(browser: HttpBrowser): Promise<boolean> {
    const res = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI, scope: 'openid', prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      }).toString(),
    );
    return /[?&]code=/.test(res.location ?? '');
  }

  const logoutPage = (browser: HttpBrowser, hint: string) =>
    browser.follow(oidc.buildEndSessionUrl(config, { id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'st' }).toString());

  function expectConfirmation(page: { status: number; body: string; headers: Headers }) {
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign out');
    expect(page.body).not.toContain(AUTO_SUBMIT);
    expect(page.body).not.toContain('<script');
    expect(page.headers.get('content-security-policy')).not.toMatch(/sha256-/);
  }

  /** The RSA key: the clients of this suite are registered for RS256 ID tokens, the default. */
  async function engineKey(): Promise<{ key: KeyObject; kid: string }> {
    const jwk = ((await s.porta.services.keys.getSigningJwks()).keys as Array<Record<string, string>>).find((k) => k.kty === 'RSA');
    return { key: createPrivateKey({ key: jwk as never, format: 'jwk' }), kid: jwk!.kid! };
  }

  it('signs out at once with a hint of this very session', async () => {
    const browser = new HttpBrowser(s.url);
    const tokens = await signIn(browser, t.email);
    const page = await logoutPage(browser, tokens.id_token!);
    expect(page.body).toContain(AUTO_SUBMIT);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
  });

  it("asks first when the hint is another user's ID token, and the session survives the visit", async () => {
    const ada = new HttpBrowser(s.url);
    await signIn(ada, t.email);
    const bobTokens = await signIn(new HttpBrowser(s.url), bobEmail);
    expectConfirmation(await logoutPage(ada, bobTokens.id_token!));
    expect(await isSignedIn(ada)).toBe(true);
  });

  it('asks first when the hint is an ID token of an earlier session of the same user, expired or not', async () => {
    const browser = new HttpBrowser(s.url);
    const earlier = await signIn(browser, t.email);
    await sleep(1100);
    await signIn(browser, t.email, { prompt: 'login' });
    expectConfirmation(await logoutPage(browser, earlier.id_token!));

    const { key, kid } = await engineKey();
    const claims = payloadOf(earlier.id_token!);
    const expired = signJwt(key, kid, { ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 });
    expectConfirmation(await logoutPage(browser, expired));
    expect(await isSignedIn(browser)).toBe(true);
  });

  it("accepts an expired hint of this session, as the engine and RP-Initiated Logout §2 do", async () => {
    const browser = new HttpBrowser(s.url);
    const tokens = await signIn(browser, t.email);
    const { key, kid } = await engineKey();
    const claims = payloadOf(tokens.id_token!);
    const expired = signJwt(key, kid, { ...claims, exp: claims.iat + 1 });
    await sleep(2100);
    expect(payloadOf(expired).exp).toBeLessThan(Date.now() / 1000);
    expect((await logoutPage(browser, expired)).body).toContain(AUTO_SUBMIT);
  });

  it('asks first when the hint names a client this session never signed in to', async () => {
    const browser = new HttpBrowser(s.url);
    const tokens = await signIn(browser, t.email);
    const { key, kid } = await engineKey();
    const forSpa = signJwt(key, kid, { ...payloadOf(tokens.id_token!), aud: t.spa.clientId });
    const page = await browser.follow(
      `${s.url}/${t.slug}/auth/session/end?${new URLSearchParams({ id_token_hint: forSpa, post_logout_redirect_uri: POST_LOGOUT_URI })}`,
    );
    expectConfirmation(page);
  });

  it('refuses a forged hint with an error page and leaves the session alone', async () => {
    const browser = new HttpBrowser(s.url);
    const tokens = await signIn(browser, t.email);
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const { kid } = await engineKey();
    const forged = signJwt(forger, kid, payloadOf(tokens.id_token!));
    const page = await logoutPage(browser, forged);
    expect(page.status).toBe(400);
    expect(page.body).not.toContain(AUTO_SUBMIT);
    expect(page.body).not.toContain('op.logoutForm');
    expect(await isSignedIn(browser)).toBe(true);
  });
});
