import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { rawBody } from '../../src/pages/index.js';
import { createSeedService, SEED_ORG_SLUG, type SeedOutput } from '../../src/seed/index.js';
import { startPlayground, type RunningPlayground } from '../../playground/server.mjs';
import { startBff, type RunningBff, type TokenResponse } from '../../playground-bff/server.mjs';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TEST_TIMEOUT = 90_000;

interface Revocation {
  token: string | null;
  hint: string | null;
  isBasicAuth: boolean;
  status: number;
}

describeWithChromium('Browser: the SPA and BFF playgrounds against a seeded Porta', () => {
  let s: TestServer;
  let seed: SeedOutput;
  let userId: string;
  let spa: RunningPlayground;
  let bff: RunningBff;
  let chromium: ChromiumSession | undefined;
  const revocations: Revocation[] = [];
  const bffTokens: TokenResponse[] = [];
  let onEndSession: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    s = await startTestServer({
      backends: 'embedded',
      // Records what reaches the revocation endpoint (the engine still reads the body: rawBody keeps it) and
      // lets a test look at the tokens when the browser arrives at end-session, before Porta acts on it.
      extend: (app) =>
        app.use(async (ctx, next) => {
          if (ctx.method === 'GET' && ctx.path === `/${SEED_ORG_SLUG}/auth/session/end`) await onEndSession?.();
          if (ctx.method !== 'POST' || !ctx.path.endsWith('/auth/token/revocation')) return next();
          const form = new URLSearchParams((await rawBody(ctx)).toString('utf8'));
          await next();
          revocations.push({ token: form.get('token'), hint: form.get('token_type_hint'), isBasicAuth: ctx.get('authorization').startsWith('Basic '), status: ctx.status });
        }),
    });
    const services = s.porta.services;
    const seeder = createSeedService({ ...services, log: s.porta.log });
    seed = (await seeder.run({ baseUrl: s.config.issuerBaseUrl })).output;
    spa = await startPlayground({ port: 0, config: { issuer: seed.issuer, clientId: seed.publicClient.id } });
    bff = await startBff({
      port: 0,
      config: { issuer: seed.issuer, clientId: seed.confidentialClient.id, clientSecret: seed.confidentialClient.secret },
      onTokens: (t) => bffTokens.push(t),
    });
    // Both playgrounds listen on ports chosen just now: register their callbacks as `porta seed run --redirect-uri` would.
    await seeder.registerRedirectUris([spa.redirectUri, bff.redirectUri]);
    const org = await services.organizations.getBySlug(seed.orgSlug);
    userId = (await services.users.findByEmail(org.id, seed.user.email))!.id;
  });
  afterEach(async () => {
    onEndSession = undefined;
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(async () => {
    await spa?.close();
    await bff?.close();
    await s?.stop();
  });

  async function openBrowser(): Promise<{ page: Page; consoleErrors: string[]; requests: Request[] }> {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    const consoleErrors: string[] = [];
    const requests: Request[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => requests.push(r));
    return { page, consoleErrors, requests };
  }

  const loginUrl = new RegExp(`/${SEED_ORG_SLUG}/interaction/[^/]+$`);

  async function fillLogin(page: Page) {
    await page.waitForURL(loginUrl);
    await page.getByLabel('Email').fill(seed.user.email);
    await page.getByLabel('Password').fill(seed.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function introspect(token: string): Promise<{ active: boolean; client_id?: string; sub?: string }> {
    const res = await fetch(`${seed.issuer}/auth/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${seed.confidentialClient.id}:${seed.confidentialClient.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { active: boolean };
  }

  it('SPA: signs in with code + PKCE, shows the verified claims and userinfo, and signs out without a confirmation page', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors, requests } = await openBrowser();
    await page.goto(`${spa.url}/`);
    // The status settles once discovery has answered.
    await page.locator('#status').filter({ hasText: /^Not signed in\.$/ }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(loginUrl);
    const authorize = new URL(requests.find((r) => r.url().startsWith(`${seed.issuer}/auth/authorize`))!.url());
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code', client_id: 'demo-spa', redirect_uri: spa.redirectUri, code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await fillLogin(page);

    await page.locator('#claims td[data-claim="sub"]').waitFor();
    expect(page.url()).toBe(`${spa.url}/`);
    expect(await page.locator('#status').textContent()).toBe(`Signed in as ${userId}.`);
    expect(await page.locator('td[data-claim="sub"]').textContent()).toBe(userId);
    expect(await page.locator('td[data-claim="iss"]').textContent()).toBe(seed.issuer);
    expect(await page.locator('td[data-claim="aud"]').textContent()).toBe('demo-spa');
    expect(await page.locator('td[data-claim="nonce"]').textContent()).toBe(authorize.searchParams.get('nonce'));
    await page.locator('#userinfo-json').filter({ hasText: seed.user.email }).waitFor();
    expect(JSON.parse((await page.locator('#userinfo-json').textContent())!)).toMatchObject({ sub: userId, email: seed.user.email, email_verified: true });
    const idToken = (await page.evaluate("JSON.parse(sessionStorage.getItem('porta-playground.tokens') ?? '{}').idToken")) as string;
    expect(idToken).toMatch(/^ey/);
    await saveScreenshot(page, 'playground-spa-signed-in');

    const before = requests.length;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${spa.postLogoutRedirectUri}?**`);
    await page.getByText('You are signed out.').waitFor();
    const endSession = new URL(requests.slice(before).find((r) => r.url().startsWith(`${seed.issuer}/auth/session/end`))!.url());
    expect(endSession.searchParams.get('id_token_hint')).toBe(idToken);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(spa.postLogoutRedirectUri);
    expect(new URL(page.url()).searchParams.get('state')).toBe(endSession.searchParams.get('state'));
    // Only the engine's auto-submitted form ran between the two: nobody was asked to confirm.
    const porta = requests.slice(before).filter((r) => r.isNavigationRequest() && r.url().startsWith(s.url)).map((r) => `${r.method()} ${new URL(r.url()).pathname}`);
    expect(porta).toEqual(['GET /demo/auth/session/end', 'POST /demo/auth/session/end/confirm']);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await saveScreenshot(page, 'playground-spa-signed-out');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(loginUrl);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(consoleErrors).toEqual([]);
  });

  it('BFF: signs in server-side, refreshes, and on sign-out revokes both tokens before ending the Porta session', { timeout: TEST_TIMEOUT }, async () => {
    const { page, consoleErrors, requests } = await openBrowser();
    await page.goto(`${bff.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await fillLogin(page);
    await page.waitForURL(`${bff.url}/`);
    expect(await page.locator('#user').textContent()).toBe(seed.user.email);
    expect(await page.locator('#claims td[data-claim="sub"]').textContent()).toBe(userId);
    expect(await page.locator('#userinfo td[data-claim="email"]').textContent()).toBe(seed.user.email);
    const cookies = await chromium!.context.cookies(bff.url);
    expect(cookies.find((c) => c.name === 'porta_bff_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.content()).not.toContain(bffTokens[0]!.access_token);
    expect(bffTokens).toHaveLength(1);
    expect(bffTokens[0]!.refresh_token).toBeTruthy();

    await page.getByRole('button', { name: 'Refresh tokens' }).click();
    await page.locator('#refreshed-at').waitFor();
    expect(bffTokens).toHaveLength(2);
    const [first, current] = bffTokens as [TokenResponse, TokenResponse];
    expect(current.access_token).not.toBe(first.access_token);
    expect(current.refresh_token).not.toBe(first.refresh_token);
    expect((await introspect(first.refresh_token!)).active).toBe(false);
    expect(await introspect(current.access_token)).toMatchObject({ active: true, client_id: 'demo-web', sub: userId });
    expect((await introspect(current.refresh_token!)).active).toBe(true);
    await saveScreenshot(page, 'playground-bff-signed-in');

    // Looked at when the browser reaches end-session: whatever is dead by then was revoked by the BFF, not by Porta's logout.
    const atEndSession: Array<{ access: boolean; refresh: boolean }> = [];
    onEndSession = async () => {
      atEndSession.push({ access: (await introspect(current.access_token)).active, refresh: (await introspect(current.refresh_token!)).active });
    };
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${bff.postLogoutRedirectUri}?**`);
    expect(await page.locator('#status').textContent()).toBe('You are signed out. Both tokens were revoked and your Porta session has ended.');
    expect(atEndSession).toEqual([{ access: false, refresh: false }]);
    // Sent in parallel, so in either order.
    expect([...revocations].sort((a, b) => String(a.hint).localeCompare(String(b.hint)))).toEqual([
      { token: current.access_token, hint: 'access_token', isBasicAuth: true, status: 200 },
      { token: current.refresh_token, hint: 'refresh_token', isBasicAuth: true, status: 200 },
    ]);
    const endSession = new URL(requests.find((r) => r.url().startsWith(`${seed.issuer}/auth/session/end?`))!.url());
    expect(endSession.searchParams.get('id_token_hint')).toBe(current.id_token ?? first.id_token);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(bff.postLogoutRedirectUri);
    expect((await chromium!.context.cookies(bff.url)).some((c) => c.name === 'porta_bff_session')).toBe(false);

    // The Porta session is gone too: signing in again asks for the password.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(loginUrl);
    expect(await page.getByLabel('Password').isVisible()).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});
