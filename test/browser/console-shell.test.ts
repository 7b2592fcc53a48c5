import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium, launchChromium } from '../support/chromium.js';
import {
  browserStorage, consoleScreenshot, expectAccessible, signInAtLoginPage, startConsoleServer, type ConsoleRole, type ConsoleServer, type SignedInConsole,
} from '../support/console.js';

const TIMEOUT = 120_000;

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/** The token endpoint's answers as the page received them (the test reads them to look for leaks). */
function recordTokens(page: Page): TokenAnswer[] {
  const seen: TokenAnswer[] = [];
  page.on('response', (res: Response) => {
    if (res.request().method() === 'POST' && res.url().endsWith('/auth/token') && res.ok()) {
      void res.json().then((body: TokenAnswer) => seen.push(body), () => undefined);
    }
  });
  return seen;
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

async function navLinks(page: Page): Promise<string[]> {
  return nav(page).getByRole('link').allInnerTexts();
}

/**
 * Issue 17, the console's foundation: sign-in with code + PKCE at the admin organization, tokens in memory
 * only, rotating refresh, sign-out at the issuer; the shell (navigation by permission, theme, small
 * screens); the dashboard, system config and signing-key screens; axe and the keyboard.
 */
describeWithChromium('Admin console: sign-in, shell, dashboard, config, keys', () => {
  let c: ConsoleServer;
  beforeAll(async () => {
    c = await startConsoleServer();
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  async function withConsole(role: ConsoleRole, fn: (s: SignedInConsole) => Promise<void>, options?: { path?: string; viewport?: { width: number; height: number } }) {
    const s = await c.signIn(role, options);
    try {
      await fn(s);
      expect(s.cspViolations).toEqual([]);
    } finally {
      await s.close();
    }
  }

  describe('sign-in and sign-out', () => {
    it('signs in through the login page and keeps every token out of localStorage and sessionStorage', async () => {
      const s = await c.signIn('porta-super-admin');
      try {
        // The sign-in already happened; the token answers of what follows are recorded from here on.
        const tokens = recordTokens(s.page);
        await s.page.reload();
        await s.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
        await s.page.getByRole('heading', { name: 'Sign-ins' }).waitFor();
        expect(new URL(s.page.url()).pathname).toBe('/admin');
        await expect.poll(() => tokens.length).toBe(1);
        const secrets = [tokens[0]!.access_token, tokens[0]!.refresh_token, tokens[0]!.id_token].filter((t): t is string => Boolean(t));
        expect(secrets).toHaveLength(3);

        const leaks = async (when: string) => {
          const storage = await browserStorage(s.page);
          expect(storage.session, when).toEqual({});
          const values = [...Object.keys(storage.local), ...Object.values(storage.local)];
          for (const secret of secrets) expect(values.some((v) => v.includes(secret)), when).toBe(false);
          expect(Object.keys(storage.local).every((k) => k === 'porta-admin-console:theme'), when).toBe(true);
        };
        await leaks('after sign-in');
        await nav(s.page).getByRole('link', { name: 'System config' }).click();
        await s.page.getByRole('heading', { name: 'System config', level: 1 }).waitFor();
        await s.page.getByRole('button', { name: /^Theme:/ }).click();
        await nav(s.page).getByRole('link', { name: 'Signing keys' }).click();
        await s.page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();
        await leaks('after actions');
      } finally {
        await s.close();
      }
    }, TIMEOUT);

    it('refreshes the access token with the rotating refresh token when it runs out', async () => {
      const s = await c.signIn('porta-auditor');
      try {
        const tokens = recordTokens(s.page);
        await s.page.clock.install();
        await s.page.reload();
        await s.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
        await expect.poll(() => tokens.length).toBe(1);
        const first = tokens[0]!;
        // Past the access token's lifetime (1 hour) as the page sees it: the next request refreshes first.
        await s.page.clock.fastForward('02:00:00');
        const [refresh] = await Promise.all([
          s.page.waitForRequest((req) => req.url().endsWith('/auth/token') && (req.postData() ?? '').includes('grant_type=refresh_token')),
          nav(s.page).getByRole('link', { name: 'Signing keys' }).click(),
        ]);
        expect((await refresh.response())?.status()).toBe(200);
        await s.page.getByRole('table').getByRole('row').nth(1).waitFor();
        await expect.poll(() => tokens.length).toBe(2);
        expect(tokens[1]!.refresh_token).toBeTruthy();
        expect(tokens[1]!.refresh_token).not.toBe(first.refresh_token);
        // The spent refresh token is single-use.
        const reuse = await fetch(`${c.url}/porta-admin/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: 'porta-admin-console' }),
        });
        expect(reuse.status).toBe(400);
      } finally {
        await s.close();
      }
    }, TIMEOUT);

    it('signs out at the issuer: the tokens stop working and the next visit needs the login page', async () => {
      const s = await c.signIn('porta-org-admin');
      try {
        const tokens = recordTokens(s.page);
        await s.page.reload();
        await s.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
        await expect.poll(() => tokens.length).toBe(1);
        const accessToken = tokens[0]!.access_token;
        expect((await fetch(`${c.url}/api/admin/me`, { headers: { Authorization: `Bearer ${accessToken}` } })).status).toBe(200);

        await s.page.getByRole('button', { name: 'Sign out' }).click();
        await s.page.getByRole('heading', { name: 'You are signed out' }).waitFor();
        expect(new URL(s.page.url()).pathname).toBe('/admin');
        await expectAccessible(s.page, 'signed-out');
        await consoleScreenshot(s.page, 'signed-out');
        expect((await fetch(`${c.url}/api/admin/me`, { headers: { Authorization: `Bearer ${accessToken}` } })).status).toBe(401);

        await s.page.goto(c.href('/keys'));
        await s.page.getByLabel('Email').waitFor();
        await signInAtLoginPage(s.page, c.admins['porta-org-admin']);
        await s.page.getByRole('heading', { name: 'No access' }).waitFor();
        expect(new URL(s.page.url()).pathname).toBe('/admin/keys');
      } finally {
        await s.close();
      }
    }, TIMEOUT);

    it('tells an account without an admin role so, and lets it sign out', async () => {
      const org = await c.server.porta.services.organizations.getSuperAdmin();
      const nobody = { email: 'no-role@porta.test', password: c.admins['porta-auditor'].password };
      await c.server.porta.services.users.create(systemActor(), org.id, { ...nobody, emailVerified: true });
      const chromium = await launchChromium();
      try {
        const page = await chromium.newPage({ timeoutMs: 15_000 });
        await page.goto(c.href('/'));
        await signInAtLoginPage(page, nobody);
        await page.getByRole('heading', { name: 'Could not open the console' }).waitFor();
        expect(await page.getByRole('alert').innerText()).toContain('holds no admin role');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
      } finally {
        await chromium.close();
      }
    }, TIMEOUT);

    it('finishes an interrupted sign-in with an error in place, not a loop', async () => {
      const s = await c.signIn('porta-auditor');
      try {
        await s.page.goto(c.href('/callback?code=forged&state=forged'));
        await s.page.getByRole('heading', { name: 'Could not open the console' }).waitFor();
        await expect.poll(() => s.page.getByRole('alert').innerText()).toMatch(/stale|another tab/);
      } finally {
        await s.close();
      }
    }, TIMEOUT);
  });

  describe('navigation by role', () => {
    const expected: Record<ConsoleRole, { config: boolean; keys: boolean; stats: boolean }> = {
      'porta-super-admin': { config: true, keys: true, stats: true },
      'porta-org-admin': { config: false, keys: false, stats: true },
      'porta-user-admin': { config: false, keys: false, stats: false },
      'porta-app-admin': { config: false, keys: false, stats: false },
      'porta-auditor': { config: true, keys: true, stats: true },
    };
    for (const [role, want] of Object.entries(expected) as [ConsoleRole, (typeof expected)[ConsoleRole]][]) {
      it(`${role}: shows only the screens the role may open`, async () => {
        await withConsole(role, async ({ page, api }) => {
          const me = (await api.get('/me')).body.data;
          expect(me.roles).toEqual([role]);
          const links = await navLinks(page);
          expect(links).toContain('Dashboard');
          expect(links.includes('System config')).toBe(want.config);
          expect(links.includes('Signing keys')).toBe(want.keys);
          await expect.poll(() => page.getByText(role, { exact: true }).count()).toBeGreaterThan(0);
          if (want.stats) await page.getByRole('heading', { name: 'Sign-ins' }).waitFor();
          else await page.getByText('Your roles do not include the statistics').waitFor();
          if (!want.config) {
            await page.goto(c.href('/config'));
            await page.getByRole('heading', { name: 'No access' }).waitFor();
          }
          await consoleScreenshot(page, `nav-${role}`);
        });
      }, TIMEOUT);
    }
  });

  describe('screens', () => {
    it('dashboard: the overview figures, light and dark, accessible', async () => {
      await withConsole('porta-super-admin', async ({ page, api }) => {
        const stats = (await api.get('/stats/overview')).body.data;
        const users = page.getByRole('region', { name: 'Users' });
        await users.waitFor();
        expect(await users.locator('.stat-total').innerText()).toBe(new Intl.NumberFormat('en-US').format(stats.users.total));
        await page.getByRole('region', { name: 'System health' }).getByText('ok').first().waitFor();
        await expectAccessible(page, 'dashboard');
        await consoleScreenshot(page, 'dashboard');
        await page.getByRole('button', { name: 'Theme: system (change)' }).click();
        await page.getByRole('button', { name: 'Theme: light (change)' }).click();
        expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
        await expectAccessible(page, 'dashboard-dark');
        await consoleScreenshot(page, 'dashboard-dark');
      });
    }, TIMEOUT);

    it('system config: edits a setting, shows a refused value in place, masks sensitive ones', async () => {
      await withConsole('porta-super-admin', async ({ page, api }) => {
        const row = (key: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: key, exact: true }) });
        const superAdmin = row('super_admin_user_id');
        await superAdmin.waitFor();
        expect(await superAdmin.innerText()).toContain('hidden');
        expect(await superAdmin.innerText()).toContain('read-only');
        expect(await superAdmin.getByRole('button').count()).toBe(0);

        await page.getByRole('button', { name: 'Edit account_lockout_threshold' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('Value').fill('0');
        await dialog.getByRole('button', { name: 'Save' }).click();
        await dialog.getByRole('alert').waitFor();
        expect(await dialog.getByRole('alert').innerText()).toMatch(/1|minimum|at least|too small/i);
        await expectAccessible(page, 'config-edit');
        await consoleScreenshot(page, 'config-edit-error');
        await dialog.getByLabel('Value').fill('7');
        await dialog.getByRole('button', { name: 'Save' }).click();
        await dialog.waitFor({ state: 'detached' });
        await expect.poll(async () => (await api.get('/config/account_lockout_threshold')).body.data.value).toBe(7);
        await expect.poll(() => row('account_lockout_threshold').innerText()).toContain('7');

        await page.getByLabel('Filter settings').fill('ttl');
        await expect.poll(() => page.getByRole('row').count()).toBeLessThan(20);
        await expectAccessible(page, 'config');
        await consoleScreenshot(page, 'config');
        // PUT through the API as a check that the screen changed nothing else.
        await api.put('/config/account_lockout_threshold', { value: 5 });
      }, { path: '/config' });
    }, TIMEOUT);

    it('system config: an auditor reads without edit buttons', async () => {
      await withConsole('porta-auditor', async ({ page }) => {
        await page.getByRole('rowheader', { name: 'access_token_ttl' }).waitFor();
        expect(await page.getByRole('button', { name: /^Edit / }).count()).toBe(0);
      }, { path: '/config' });
    }, TIMEOUT);

    it('signing keys: generates, rotates and revokes with confirmation; a refused revocation shows its error', async () => {
      await withConsole('porta-super-admin', async ({ page, api }) => {
        const list = async () => (await api.get('/keys')).body.data as { kid: string; algorithm: string; status: string }[];
        const before = await list();
        await page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();
        await page.getByRole('table').getByRole('row').nth(before.length).waitFor();

        await page.getByRole('button', { name: 'Algorithm' }).click();
        await page.getByRole('option', { name: /ES256/ }).click();
        await page.getByRole('button', { name: 'Generate ES256 key' }).click();
        await page.getByRole('status').waitFor();
        await expect.poll(async () => (await list()).filter((k) => k.algorithm === 'ES256' && k.status === 'active').length).toBe(2);
        const [newest, older] = (await list()).filter((k) => k.algorithm === 'ES256');
        await page.getByRole('rowheader', { name: newest!.kid }).waitFor();

        await page.getByRole('button', { name: 'Rotate ES256 keys' }).click();
        const rotate = page.getByRole('alertdialog');
        expect(await rotate.innerText()).toContain('retired');
        await rotate.getByRole('button', { name: 'Rotate' }).click();
        await rotate.waitFor({ state: 'detached' });
        await expect.poll(async () => (await list()).find((k) => k.kid === older!.kid)?.status).toBe('retired');

        // The last active ES256 key cannot go: the API's 409 appears in the dialog.
        await page.getByRole('button', { name: `Revoke key ${newest!.kid}` }).click();
        const refuse = page.getByRole('alertdialog');
        expect(await refuse.innerText()).toContain(newest!.kid);
        await refuse.getByRole('button', { name: 'Revoke key' }).click();
        await refuse.getByRole('alert').waitFor();
        await expectAccessible(page, 'keys-revoke');
        await consoleScreenshot(page, 'keys-revoke-refused');
        await refuse.getByRole('button', { name: 'Cancel' }).click();
        expect((await list()).find((k) => k.kid === newest!.kid)?.status).toBe('active');

        await page.getByRole('button', { name: `Revoke key ${older!.kid}` }).click();
        const confirm = page.getByRole('alertdialog');
        await confirm.getByRole('button', { name: 'Revoke key' }).click();
        await confirm.waitFor({ state: 'detached' });
        await expect.poll(async () => (await list()).find((k) => k.kid === older!.kid)?.status).toBe('revoked');
        await expectAccessible(page, 'keys');
        await consoleScreenshot(page, 'keys');
      }, { path: '/keys' });
    }, TIMEOUT);

    it('signing keys: an auditor sees the list without actions', async () => {
      await withConsole('porta-auditor', async ({ page }) => {
        await page.getByRole('table').getByRole('row').nth(1).waitFor();
        expect(await page.getByRole('button', { name: /Generate|Rotate|Revoke/ }).count()).toBe(0);
      }, { path: '/keys' });
    }, TIMEOUT);
  });

  describe('keyboard and small screens', () => {
    it('works by keyboard: skip link, navigation links, dialogs', async () => {
      await withConsole('porta-super-admin', async ({ page }) => {
        await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
        await page.keyboard.press('Tab');
        expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
        await page.keyboard.press('Enter');
        expect(await page.evaluate('document.activeElement?.id')).toBe('main');

        // Tab from the top until the navigation's "Signing keys" link has focus, then follow it.
        await page.locator('body').focus();
        let found = false;
        for (let i = 0; i < 40 && !found; i++) {
          await page.keyboard.press('Tab');
          found = (await page.evaluate('document.activeElement?.textContent')) === 'Signing keys';
        }
        expect(found).toBe(true);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { name: 'Signing keys', level: 1 }).waitFor();

        // A confirmation opens and closes by keyboard, and focus returns to its button.
        const rotate = page.getByRole('button', { name: 'Rotate RS256 keys' });
        await rotate.focus();
        await page.keyboard.press('Enter');
        await page.getByRole('alertdialog').waitFor();
        await page.keyboard.press('Escape');
        await page.getByRole('alertdialog').waitFor({ state: 'detached' });
        expect(await page.evaluate('document.activeElement?.textContent')).toBe('Rotate RS256 keys');
      });
    }, TIMEOUT);

    it('fits a 768 px tablet: the navigation folds behind a menu button', async () => {
      await withConsole('porta-super-admin', async ({ page }) => {
        await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
        expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
        expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
        await page.getByRole('button', { name: 'Open menu' }).click();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'System config' }).click();
        await page.getByRole('heading', { name: 'System config', level: 1 }).waitFor();
        expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
        await expectAccessible(page, 'tablet');
        await consoleScreenshot(page, 'tablet-config');
      }, { viewport: { width: 768, height: 1024 } });
    }, TIMEOUT);
  });
});
