import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, type ChromiumSession } from '../support/chromium.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTenant, PASSWORD, type Tenant } from '../support/oidc-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TEST_TIMEOUT = 60_000;

/**
 * Issue 10 item 6 in a real browser: Porta's logout page runs its auto-submit script only for a hint of
 * the browser's own session. Another user's ID token brings up the confirmation, and nothing signs out.
 */
describeWithChromium('Browser: logout with a foreign id_token_hint', () => {
  let s: TestServer;
  let t: Tenant;
  let rpServer: http.Server;
  let rpOrigin: string;
  let config: oidc.Configuration;
  let chromium: ChromiumSession | undefined;
  const bobEmail = 'bob@example.com';

  beforeAll(async () => {
    // The relying party only needs to exist: the test redeems codes itself.
    rpServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>RP</title><p id="rp">relying party</p>');
    });
    await new Promise<void>((resolve) => rpServer.listen(0, '127.0.0.1', resolve));
    rpOrigin = `http://127.0.0.1:${(rpServer.address() as AddressInfo).port}`;
    s = await startTestServer({ backends: 'embedded' });
    t = await createTenant(s.porta.services, 'hint-browser', { redirectUri: `${rpOrigin}/callback`, postLogoutRedirectUri: `${rpOrigin}/logged-out` });
    await s.porta.services.users.create(systemActor(), t.orgId, { email: bobEmail, password: PASSWORD, emailVerified: true });
    config = await oidc.discovery(new URL(`${s.url}/${t.slug}`), t.confidential.clientId, undefined, oidc.ClientSecretBasic(t.confidential.secret), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  afterEach(async () => {
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(async () => {
    await s?.stop();
    rpServer?.closeAllConnections();
    await new Promise((resolve) => rpServer?.close(resolve));
  });

  async function authorizationUrl(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${rpOrigin}/callback`, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
    });
    return { url: url.toString(), verifier };
  }

  /** Ada signs in in Chromium; returns her ID token (the test plays the relying party's back end). */
  async function signInAda(page: Page): Promise<string> {
    const { url, verifier } = await authorizationUrl();
    await page.goto(url);
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${rpOrigin}/callback?**`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier });
    return tokens.id_token!;
  }

  async function bobsIdToken(): Promise<string> {
    const browser = new HttpBrowser(s.url);
    const { url, verifier } = await authorizationUrl();
    const login = await browser.follow(url);
    const done = await browser.follow(formAction(login.body), { form: { _csrf: hiddenInput(login.body, '_csrf'), email: bobEmail, password: PASSWORD } });
    return (await oidc.authorizationCodeGrant(config, new URL(done.location!), { pkceCodeVerifier: verifier })).id_token!;
  }

  async function isSignedIn(page: Page): Promise<boolean> {
    await page.goto((await authorizationUrl({ prompt: 'none' })).url);
    await page.waitForURL(`${rpOrigin}/callback?**`);
    return new URL(page.url()).searchParams.has('code');
  }

  const endSession = (hint: string) => oidc.buildEndSessionUrl(config, { id_token_hint: hint, post_logout_redirect_uri: `${rpOrigin}/logged-out` }).toString();

  it("shows the confirmation for another user's ID token and stays signed in", { timeout: TEST_TIMEOUT }, async () => {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    await signInAda(page);
    const foreign = await bobsIdToken();
    await page.goto(endSession(foreign));
    await page.getByRole('heading', { level: 1, name: 'Sign out' }).waitFor();
    // Give a script every chance to run: the page must still be the confirmation afterwards.
    await page.waitForTimeout(1500);
    expect(new URL(page.url()).pathname).toBe(`/${t.slug}/auth/session/end`);
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    expect(await page.locator('script').count()).toBe(0);
    expect(await isSignedIn(page)).toBe(true);
  });

  it('signs out by itself with her own ID token', { timeout: TEST_TIMEOUT }, async () => {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    const own = await signInAda(page);
    await page.goto(endSession(own));
    await page.waitForURL(`${rpOrigin}/logged-out**`);
    expect(await isSignedIn(page)).toBe(false);
  });
});
