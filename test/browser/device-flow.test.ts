import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTenant, PASSWORD, type Tenant } from '../support/oidc-fixtures.js';

const TEST_TIMEOUT = 60_000;
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** axe-core's findings of these impacts fail the test; minor and moderate ones are reported only. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describeWithChromium('Browser: the device flow user-code page in Chromium', () => {
  let s: TestServer;
  let t: Tenant;
  let clientId: string;
  let chromium: ChromiumSession | undefined;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createTenant(s.porta.services, 'tv-co');
    await s.porta.services.organizations.updateBranding(systemActor(), t.orgId, { companyName: 'TV Company', primaryColor: '#7C3AED' });
    const created = await s.porta.services.clients.create(systemActor(), t.orgId, {
      applicationId: t.appId,
      clientName: 'Kitchen TV',
      clientType: 'public',
      applicationType: 'native',
      grantTypes: [DEVICE_GRANT],
      scope: 'openid profile',
    });
    clientId = created.client.clientId;
  });
  afterEach(async () => {
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(() => s?.stop());

  const issuer = () => `${s.url}/${t.slug}`;

  async function authorizeDevice(): Promise<{ device_code: string; user_code: string; verification_uri: string }> {
    const res = await fetch(`${issuer()}/auth/device/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, scope: 'openid profile' }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { device_code: string; user_code: string; verification_uri: string };
  }

  const poll = async (deviceCode: string) => {
    const res = await fetch(`${issuer()}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function openBrowser(javaScriptEnabled: boolean): Promise<{ page: Page; consoleErrors: string[] }> {
    chromium = await launchChromium({ javaScriptEnabled });
    const page = await chromium.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return { page, consoleErrors };
  }

  it('branded, accessible pages: code, wrong code, confirmation, success (axe: no serious or critical findings)', { timeout: TEST_TIMEOUT }, async () => {
    const da = await authorizeDevice();
    const { page, consoleErrors } = await openBrowser(true);
    await page.goto(da.verification_uri);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await page.title()).toBe('Connect a device · TV Company');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Connect a device');
    expect(await page.locator('.brand').textContent()).toContain('TV Company');
    const button = page.getByRole('button', { name: 'Continue' });
    // The organization's primary colour (no DOM typings here: the page evaluates a string).
    expect(await page.evaluate("getComputedStyle(document.querySelector('button.primary')).backgroundColor")).toBe('rgb(124, 58, 237)');
    const input = page.getByLabel('Device code');
    expect(await input.getAttribute('name')).toBe('user_code');
    await saveScreenshot(page, 'device-code');

    await input.fill('BBBB-BBBB');
    await button.click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('That code is not valid. Check the code on your device and try again.');
    expect(await page.getByLabel('Device code').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'device-code-wrong');

    await page.getByLabel('Device code').fill(da.user_code.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Connect Kitchen TV?' }).waitFor();
    expect(await page.locator('#user_code').textContent()).toBe(da.user_code);
    expect(await page.getByRole('button', { name: 'Deny' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'device-confirm');

    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Device connected' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Kitchen TV is now signed in.');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'device-success');
    // Chromium reports the wrong code's 400 document as a failed load; nothing else may fail.
    expect(consoleErrors.filter((e) => !e.startsWith('Failed to load resource: the server responded with a status of 400'))).toEqual([]);

    const tokens = await poll(da.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body.id_token).toEqual(expect.any(String));
  });

  it('works with JavaScript turned off, from the code to the device\'s tokens', { timeout: TEST_TIMEOUT }, async () => {
    const da = await authorizeDevice();
    const { page } = await openBrowser(false);
    await page.goto(`${da.verification_uri}?user_code=${da.user_code}`);
    expect(await page.getByLabel('Device code').inputValue()).toBe(da.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Connect Kitchen TV?' }).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Email').fill(t.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Device connected' }).waitFor();
    expect((await poll(da.device_code)).status).toBe(200);
  });
});
