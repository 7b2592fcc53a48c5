import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { describeWithChromium } from '../support/chromium.js';
import { consoleScreenshot, expectAccessible, startConsoleServer, type ConsoleServer } from '../support/console.js';

const TEST_TIMEOUT = 180_000;
const PREVIEW = 'iframe[title="Sign-in page preview"]';
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Chooses an option of a React Aria select by its label. */
async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(label) }).click();
  await page.getByRole('option', { name: option }).click();
}

/** A computed style inside the preview frame, once it equals `want` (the preview redraws as one types). */
async function previewStyle(page: Page, selector: string, property: string, want: string): Promise<void> {
  const [frame, sel, prop, value] = [PREVIEW, selector, property, want].map((v) => JSON.stringify(v));
  await page.waitForFunction(`(() => {
    const el = document.querySelector(${frame})?.contentDocument?.querySelector(${sel});
    return Boolean(el) && getComputedStyle(el).getPropertyValue(${prop}) === ${value};
  })()`);
}

/** Issue 17: the organization, session and audit screens, as the built-in roles that use them (and one that must not). */
describeWithChromium('Admin console: organizations, sessions, audit log', () => {
  let c: ConsoleServer;
  let acmeId: string;
  let userId: string;

  beforeAll(async () => {
    c = await startConsoleServer();
    const { porta } = c.server;
    const system = systemActor();
    const acme = await porta.services.organizations.create(system, { name: 'Acme Rockets', slug: 'acme-rockets' });
    await porta.services.organizations.create(system, { name: 'Zenith Foods', slug: 'zenith-foods' });
    acmeId = acme.id;
    userId = (await porta.services.users.create(system, acme.id, { email: 'wile@acme.test', emailVerified: true })).id;
    // A tracked session to end (test set-up: the mirror row a sign-in would have written).
    await porta.db.query(
      `INSERT INTO admin_sessions (session_id, user_id, organization_id, ip_address, user_agent, expires_at, last_activity_at)
       VALUES ('console-test-session-1', $1, $2, '198.51.100.7', 'Mozilla/5.0 test', now() + interval '1 day', now())`,
      [userId, acme.id],
    );
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('org admin: lists, searches and creates an organization', async () => {
    const s = await c.signIn('porta-org-admin', { path: '/organizations' });
    const { page } = s;
    try {
      await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
      await page.getByRole('row', { name: /Acme Rockets/ }).waitFor();
      await expectAccessible(page, 'organizations list');
      await consoleScreenshot(page, 'organizations-list');

      await page.getByRole('searchbox', { name: 'Search organizations' }).fill('zenith');
      await page.getByRole('row', { name: /Acme Rockets/ }).waitFor({ state: 'detached' });
      await page.getByRole('row', { name: /Zenith Foods/ }).waitFor();
      await page.getByRole('searchbox', { name: 'Search organizations' }).fill('no-such-organization');
      await page.getByText('Nothing matches').waitFor();

      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Sessions' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);

      await page.getByRole('link', { name: 'Create organization' }).click();
      await page.getByRole('heading', { name: 'Create organization', level: 1 }).waitFor();
      await page.getByRole('textbox', { name: 'Slug' }).fill('acme-rockets');
      await page.getByText('Another organization has this slug.').waitFor();
      await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Nimbus Air');
      await page.getByRole('textbox', { name: 'Slug' }).fill('nimbus-air');
      await page.getByText('Another organization has this slug.').waitFor({ state: 'detached' });
      await choose(page, 'Default language', 'German (de)');
      await page.locator('label.checkbox', { hasText: 'Passkey' }).click();
      await choose(page, 'Two-factor policy', 'Required: e-mail code or authenticator app');
      await expectAccessible(page, 'create organization');
      await consoleScreenshot(page, 'organization-create');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await page.getByRole('heading', { name: 'Nimbus Air', level: 1 }).waitFor();

      const created = await c.admins['porta-super-admin'].api.get('/organizations/nimbus-air');
      expect(created.status).toBe(200);
      expect(created.body.data).toMatchObject({
        name: 'Nimbus Air', defaultLocale: 'de', defaultLoginMethods: ['password', 'magic_link', 'passkey'], twoFactorPolicy: 'required_any',
      });
      expect(page.url()).toBe(c.href(`/organizations/${created.body.data.id}`));
    } finally {
      await s.close();
    }
  }, TEST_TIMEOUT);

  it('org admin: edits settings, branding with a live preview, sign-in methods and the 2FA policy', async () => {
    // Wide enough for the fields and the preview side by side.
    const s = await c.signIn('porta-org-admin', { path: `/organizations/${acmeId}`, viewport: { width: 1440, height: 1000 } });
    const { page } = s;
    const api = c.admins['porta-super-admin'].api;
    try {
      await page.getByRole('heading', { name: 'Acme Rockets', level: 1 }).waitFor();
      await expectAccessible(page, 'organization general');
      await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Acme Rockets Ltd');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      expect((await api.get(`/organizations/${acmeId}`)).body.data.name).toBe('Acme Rockets Ltd');

      await page.getByRole('tab', { name: 'Branding' }).click();
      const frame = page.frameLocator(PREVIEW);
      await frame.locator('header.brand', { hasText: 'Acme Rockets Ltd' }).waitFor();
      await frame.getByRole('button', { name: 'Email me a sign-in link' }).waitFor();
      // Nothing saved yet: the preview follows the fields as they are typed.
      await page.getByRole('textbox', { name: 'Company name' }).fill('Acme Launch Services');
      await frame.locator('header.brand', { hasText: 'Acme Launch Services' }).waitFor();
      await frame.getByText('Use your Acme Launch Services account').waitFor();
      await page.getByRole('textbox', { name: 'Primary colour', exact: true }).fill('#7C2D12');
      await previewStyle(page, 'button.primary', 'background-color', 'rgb(124, 45, 18)');
      await page.getByRole('textbox', { name: 'Primary colour', exact: true }).fill('#FDE68A');
      await page.getByText(/WCAG AA asks for 4.5:1/).waitFor();
      await page.getByRole('textbox', { name: 'Primary colour', exact: true }).fill('#7C2D12');
      await page.getByText(/WCAG AA asks for 4.5:1/).waitFor({ state: 'detached' });
      await page.getByRole('textbox', { name: 'Custom CSS' }).fill('h1 { color: rgb(20, 83, 45); }');
      await previewStyle(page, 'h1', 'color', 'rgb(20, 83, 45)');
      // The custom CSS stays inside the preview: the console's own heading keeps its colour.
      expect(await page.evaluate("getComputedStyle(document.querySelector('#main h1')).color")).not.toBe('rgb(20, 83, 45)');
      expect((await api.get(`/organizations/${acmeId}`)).body.data.branding.companyName).toBeNull();
      await expectAccessible(page, 'organization branding');
      await consoleScreenshot(page, 'organization-branding-preview');
      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.getByText('Branding saved.').waitFor();
      expect((await api.get(`/organizations/${acmeId}`)).body.data.branding).toMatchObject({
        companyName: 'Acme Launch Services', primaryColor: '#7C2D12', customCss: 'h1 { color: rgb(20, 83, 45); }', logoUrl: null,
      });
      // An uploaded logo wins over the URL field, on the page and in the preview.
      await page.locator('input[type=file]').first().setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from(PNG_1X1, 'base64') });
      await page.getByText('Logo: image/png, 1 KB').waitFor();
      await frame.locator('header.brand img[alt="Acme Launch Services"][src^="/acme-rockets/branding/logo?v="]').waitFor();
      await page.waitForFunction(`document.querySelector(${JSON.stringify(PREVIEW)}).contentDocument.querySelector('header.brand img').naturalWidth === 1`);
      expect((await api.get(`/organizations/${acmeId}/branding`)).body.data).toMatchObject([{ assetType: 'logo', contentType: 'image/png' }]);
      await page.getByRole('button', { name: 'Delete logo' }).click();
      await page.getByRole('alertdialog').getByText(/The logo file of Acme Rockets Ltd is deleted/).waitFor();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete logo' }).click();
      await page.getByText('Logo: none uploaded').waitFor();
      expect((await api.get(`/organizations/${acmeId}/branding`)).body.data).toEqual([]);
      // An error of the API appears in place, with its message.
      await page.getByRole('textbox', { name: 'Logo URL' }).fill('http://insecure.example/logo.png');
      await page.getByRole('button', { name: 'Save branding' }).click();
      await page.getByRole('alert').getByText('logoUrl: must be an https URL').waitFor();
      await page.getByRole('button', { name: 'Discard changes' }).click();

      await page.getByRole('tab', { name: 'Sign-in and 2FA' }).click();
      await page.locator('label.checkbox', { hasText: 'Magic link (e-mail)' }).click();
      await page.getByRole('button', { name: 'Save sign-in methods' }).click();
      await page.getByText('Sign-in methods saved.').waitFor();
      expect((await api.get(`/organizations/${acmeId}`)).body.data.defaultLoginMethods).toEqual(['password']);
      await choose(page, 'Two-factor policy', 'Required: authenticator app (TOTP)');
      await page.getByRole('button', { name: 'Save two-factor policy' }).click();
      await page.getByText('Two-factor policy saved.').waitFor();
      expect((await api.get(`/organizations/${acmeId}/two-factor/policy`)).body.data.twoFactorPolicy).toBe('required_totp');
      // The org admin may not read users: no adoption figures.
      expect(await page.getByRole('heading', { name: 'Two-factor adoption' }).count()).toBe(0);
      await expectAccessible(page, 'organization sign-in');
      await consoleScreenshot(page, 'organization-sign-in');

      await page.getByRole('tab', { name: 'History' }).click();
      await page.getByRole('cell', { name: 'org.2fa.policy_changed' }).waitFor();
      await expectAccessible(page, 'organization history');
    } finally {
      await s.close();
    }
  }, TEST_TIMEOUT);

  it('org admin: suspends, activates, archives, restores and destroys after confirming', async () => {
    const api = c.admins['porta-super-admin'].api;
    const target = (await api.post('/organizations', { name: 'Doomed Widgets', slug: 'doomed-widgets' })).body.data;
    const s = await c.signIn('porta-org-admin', { path: `/organizations/${target.id}` });
    const { page } = s;
    const status = async () => (await api.get(`/organizations/${target.id}`)).body.data.status;
    try {
      await page.getByRole('tab', { name: 'Lifecycle' }).click();
      await page.getByRole('textbox', { name: 'Reason for suspending (optional)' }).fill('unpaid invoice');
      await page.getByRole('button', { name: 'Suspend', exact: true }).click();
      const dialog = page.getByRole('alertdialog');
      await dialog.getByText(/Nobody can sign in to Doomed Widgets \(doomed-widgets\)/).waitFor();
      await expectAccessible(page, 'suspend dialog');
      await dialog.getByRole('button', { name: 'Suspend organization' }).click();
      await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
      expect(await status()).toBe('suspended');
      const history = await api.get(`/organizations/${target.id}/history?event_type=organization.suspended`);
      expect(history.body.data[0].metadata).toMatchObject({ reason: 'unpaid invoice' });

      await page.getByRole('button', { name: 'Activate', exact: true }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Activate organization' }).click();
      await page.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
      expect(await status()).toBe('active');

      await page.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Archive organization' }).click();
      await page.getByRole('button', { name: 'Restore', exact: true }).waitFor();
      expect(await status()).toBe('archived');
      await page.getByRole('button', { name: 'Restore', exact: true }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Restore organization' }).click();
      await page.getByRole('button', { name: 'Archive', exact: true }).waitFor();
      expect(await status()).toBe('active');

      await page.getByRole('button', { name: 'Show what would be destroyed' }).click();
      await page.getByRole('button', { name: 'Destroy…' }).click();
      const confirm = page.getByRole('alertdialog');
      await confirm.getByText(/deletes the organization Doomed Widgets \(doomed-widgets\) and 0 users, 0 clients/).waitFor();
      const destroy = confirm.getByRole('button', { name: 'Destroy organization' });
      expect(await destroy.isDisabled()).toBe(true);
      await confirm.getByRole('textbox', { name: 'Type doomed-widgets to confirm' }).fill('doomed-widgets');
      await consoleScreenshot(page, 'organization-destroy-confirm');
      await destroy.click();
      await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
      expect((await api.get(`/organizations/${target.id}`)).status).toBe(404);
    } finally {
      await s.close();
    }
  }, TEST_TIMEOUT);

  it('auditor: reads an organization without edit controls and filters the audit log', async () => {
    const s = await c.signIn('porta-auditor', { path: `/organizations/${acmeId}` });
    const { page } = s;
    try {
      await page.getByRole('heading', { name: /Acme Rockets/, level: 1 }).waitFor();
      expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
      expect(await page.getByRole('textbox', { name: 'Name', exact: true }).isDisabled()).toBe(true);
      await page.getByRole('tab', { name: 'Sign-in and 2FA' }).click();
      // The auditor reads users too: the adoption figures show.
      await page.getByRole('heading', { name: 'Two-factor adoption' }).waitFor();
      await page.getByRole('tab', { name: 'Lifecycle' }).click();
      expect(await page.getByRole('button', { name: 'Suspend', exact: true }).count()).toBe(0);
      await page.getByRole('link', { name: 'Organizations' }).click();
      await page.getByRole('row', { name: /Zenith Foods/ }).waitFor();
      expect(await page.getByRole('link', { name: 'Create organization' }).count()).toBe(0);

      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
      await page.getByRole('textbox', { name: 'Organization (ID or slug)' }).fill('acme-rockets');
      await page.waitForURL(/org=acme-rockets/);
      await page.getByRole('gridcell', { name: 'user.created' }).waitFor();
      await page.getByRole('searchbox', { name: /Event type/ }).fill('organization.');
      await page.getByRole('gridcell', { name: 'organization.created' }).waitFor();
      await page.getByRole('gridcell', { name: 'user.created' }).waitFor({ state: 'detached' });
      expect(await page.getByRole('gridcell', { name: 'organization.created' }).count()).toBe(1);
      await expectAccessible(page, 'audit log');
      await consoleScreenshot(page, 'audit-log');
      await page.getByRole('textbox', { name: 'Organization (ID or slug)' }).fill('no-such-org');
      await page.getByText('No organization has the slug “no-such-org”.').waitFor();

      // A tablet: the branding fields and the preview stack, still usable and accessible.
      await page.setViewportSize({ width: 768, height: 1024 });
      await page.evaluate(`history.pushState(null, '', '/admin/organizations/${acmeId}'); dispatchEvent(new PopStateEvent('popstate'));`);
      await page.getByRole('tab', { name: 'Branding' }).click();
      await page.frameLocator(PREVIEW).locator('header.brand').waitFor();
      await expectAccessible(page, 'organization branding (tablet)');
      await consoleScreenshot(page, 'organization-branding-tablet');
    } finally {
      await s.close();
    }
  }, TEST_TIMEOUT);

  it('user admin: has no organization screens, and ends a session', async () => {
    const s = await c.signIn('porta-user-admin', { path: '/sessions' });
    const { page } = s;
    try {
      await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Organizations' }).count()).toBe(0);
      expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
      await page.getByRole('textbox', { name: 'User ID' }).fill(userId);
      const row = page.getByRole('row', { name: new RegExp(userId.slice(0, 8)) });
      await row.waitFor();
      await expectAccessible(page, 'sessions');
      await consoleScreenshot(page, 'sessions');
      await row.getByRole('button', { name: 'End session console-test-session-1' }).click();
      const dialog = page.getByRole('alertdialog');
      await dialog.getByText(/Session console-test-session-1 of user/).waitFor();
      await dialog.getByRole('button', { name: 'End session' }).click();
      await page.getByText('No active sessions match.').waitFor();
      const session = await c.admins['porta-super-admin'].api.get('/sessions/console-test-session-1');
      expect(session.body.data.revokedAt).not.toBeNull();

      // Typed into the address bar of the running console (a reload would sign in again): no access.
      await page.evaluate(`history.pushState(null, '', '/admin/organizations/${acmeId}'); dispatchEvent(new PopStateEvent('popstate'));`);
      await page.getByRole('heading', { name: 'No access', level: 1 }).waitFor();
    } finally {
      await s.close();
    }
  }, TEST_TIMEOUT);
});
