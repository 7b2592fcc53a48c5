import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium, saveScreenshot, type ChromiumSession } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTenant, REDIRECT_URI, type Tenant } from '../support/oidc-fixtures.js';

const TEST_TIMEOUT = 60_000;
// Any S256 challenge will do: these tests stop at the login page.
const CODE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describeWithChromium('Browser: the login page in the user’s language (spec 60 §11)', () => {
  let s: TestServer;
  let t: Tenant;
  let chromium: ChromiumSession | undefined;

  beforeAll(async () => {
    s = await startTestServer({ backends: 'embedded' });
    t = await createTenant(s.porta.services, 'sprachen');
    await s.porta.services.organizations.updateBranding(systemActor(), t.orgId, { companyName: 'Sprachschule', primaryColor: '#0F766E' });
  });
  afterEach(async () => {
    await chromium?.close();
    chromium = undefined;
  });
  afterAll(() => s?.stop());

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${s.url}/${t.slug}/auth/authorize?${new URLSearchParams({
      client_id: t.spa.clientId,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: REDIRECT_URI,
      state: 'st',
      code_challenge: CODE_CHALLENGE,
      code_challenge_method: 'S256',
      ...extra,
    }).toString()}`;

  it('advertises the six languages in discovery', async () => {
    const res = await fetch(`${s.url}/${t.slug}/.well-known/openid-configuration`);
    expect(((await res.json()) as { ui_locales_supported?: string[] }).ui_locales_supported).toEqual(['en', 'de', 'fr', 'es', 'nl', 'pt']);
  });

  it('German through ui_locales, over the browser’s English: accessible, formal', { timeout: TEST_TIMEOUT }, async () => {
    chromium = await launchChromium();
    const page = await chromium.newPage();
    await page.goto(authorizeUrl({ ui_locales: 'de-AT en' }));
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.title()).toBe('Anmelden · Sprachschule');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Bei SPA ${t.slug} anmelden`);
    expect(await page.locator('main').textContent()).toContain('Verwenden Sie Ihr Konto bei Sprachschule');
    expect(await page.getByLabel('E-Mail-Adresse').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Passwort').getAttribute('type')).toBe('password');
    expect(await page.getByRole('button', { name: 'Anmelden' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'login-de');

    // The failure message the code picks is in the same language.
    await page.getByLabel('E-Mail-Adresse').fill(t.email);
    await page.getByLabel('Passwort').fill('not the password');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('E-Mail-Adresse oder Passwort ist falsch.');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'login-de-failed');
  });

  it('French through the browser’s Accept-Language, with no ui_locales', { timeout: TEST_TIMEOUT }, async () => {
    // A French-speaking browser (Chromium sends its locale as Accept-Language).
    chromium = await launchChromium({ locale: 'fr-CA' });
    const page = await chromium.newPage();
    const sent: string[] = [];
    page.on('request', (r) => sent.push(r.headers()['accept-language'] ?? ''));
    await page.goto(authorizeUrl());
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(sent[0]).toMatch(/^fr-CA/);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect(await page.title()).toBe('Se connecter · Sprachschule');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Se connecter à SPA ${t.slug}`);
    expect(await page.getByLabel('Adresse e-mail').isVisible()).toBe(true);
    expect(await page.getByLabel('Mot de passe', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Se connecter' }).isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'login-fr');
  });
});
