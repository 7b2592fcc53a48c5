/* eslint-disable @typescript-eslint/no-explicit-any -- admin responses are JSON asserted field by field */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium } from '../support/chromium.js';
import { consoleScreenshot, expectAccessible, startConsoleServer, type ConsoleRole, type ConsoleServer, type SignedInConsole } from '../support/console.js';

const TEST_TIMEOUT = 180_000;

/** Chooses an option of a React Aria select, found by its label. */
async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.locator('.field').filter({ has: page.getByText(label, { exact: true }) }).getByRole('button').click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Types into a search combobox and picks a match; the input then shows the chosen name. */
async function pick(page: Page, label: string, text: string, option: string): Promise<void> {
  const box = page.getByRole('combobox', { name: label });
  await box.fill(text);
  await page.getByRole('option', { name: new RegExp(`^${option}`) }).click();
  await expect.poll(() => box.inputValue()).toBe(option);
}

/** Ticks or clears a React Aria checkbox or switch by clicking its label (the input itself is visually hidden). */
async function toggle(page: Page, label: string): Promise<void> {
  await page.locator('label.checkbox, label.switch', { hasText: label }).first().click();
}

/** Opens a confirmation dialog with `trigger`, types `typed` when asked, and confirms with `confirm`. */
async function confirmIn(page: Page, trigger: string, confirm: string, typed?: string): Promise<void> {
  await page.getByRole('button', { name: trigger, exact: true }).click();
  const dialog = page.getByRole('alertdialog');
  if (typed !== undefined) await dialog.getByRole('textbox').fill(typed);
  await dialog.getByRole('button', { name: confirm, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** A screenshot from the top of the page (the header is sticky: a scrolled page would show it mid-way). */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await consoleScreenshot(page, name);
}

async function heading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { name, level: 1 }).waitFor();
}

async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
}

/** A client_credentials token from an organization's token endpoint, with HTTP Basic client authentication. */
async function clientCredentials(url: string, orgSlug: string, clientId: string, secret: string): Promise<Response> {
  return fetch(`${url}/${orgSlug}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
}

/**
 * Issue 17, the application, RBAC, client, service-account and registration-token screens: each main task
 * done in Chromium by the built-in role meant for it, its effect checked through the Admin API, axe on
 * every screen, and the roles that must not see or change them.
 */
describeWithChromium('Admin console: applications, RBAC, clients, service accounts, registration tokens', () => {
  let c: ConsoleServer;
  let org: { id: string; slug: string };
  let shop: { id: string; slug: string };

  beforeAll(async () => {
    c = await startConsoleServer();
    const root = c.admins['porta-super-admin'].api;
    org = (await root.post('/organizations', { name: 'Acme Console', slug: 'acme-console' })).body.data;
    shop = (await root.post('/applications', { name: 'Shop Front', slug: 'shop-front' })).body.data;
    expect(org.id).toBeTruthy();
    expect(shop.id).toBeTruthy();
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  async function as(role: ConsoleRole, path: string, fn: (s: SignedInConsole) => Promise<void>): Promise<void> {
    const s = await c.signIn(role, { path });
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  it('an application admin creates an application with modules, API resources, permissions, a role with permissions and a claim', { timeout: TEST_TIMEOUT }, async () => {
    await as('porta-app-admin', '/applications', async ({ page, api }) => {
      await heading(page, 'Applications');
      await page.getByRole('link', { name: 'Shop Front' }).waitFor();
      await expectAccessible(page, 'applications list');
      await shot(page, 'applications-list');

      await page.getByRole('link', { name: 'New application' }).click();
      await heading(page, 'New application');
      await page.getByRole('textbox', { name: 'Name' }).fill('Billing Suite');
      // A refusal of the API appears in place, and nothing is created.
      await page.getByRole('textbox', { name: 'Slug' }).fill('shop-front');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByRole('alert').waitFor();
      expect(new URL(page.url()).pathname).toBe('/admin/applications/new');
      await page.getByRole('textbox', { name: 'Slug' }).fill('billing-suite');
      await page.getByRole('textbox', { name: 'Description' }).fill('Invoices and payments');
      await expectAccessible(page, 'new application');
      await page.getByRole('button', { name: 'Create application' }).click();
      await heading(page, 'Billing Suite');
      expect(new URL(page.url()).pathname).toBe('/admin/applications/billing-suite');
      const app = (await api.get('/applications/billing-suite')).body.data;
      expect(app).toMatchObject({ name: 'Billing Suite', description: 'Invoices and payments', status: 'active' });

      await page.getByRole('textbox', { name: 'Description' }).fill('Invoices, payments and dunning');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect((await api.get(`/applications/${app.id}`)).body.data.description).toBe('Invoices, payments and dunning');
      await expectAccessible(page, 'application overview');
      await shot(page, 'application-overview');

      await tab(page, 'Modules');
      await page.getByRole('textbox', { name: 'Module name' }).fill('Invoices');
      await page.getByRole('button', { name: 'Add module' }).click();
      await page.getByRole('cell', { name: 'invoices', exact: true }).waitFor();
      expect((await api.get(`/applications/${app.id}/modules`)).body.data).toMatchObject([{ name: 'Invoices', slug: 'invoices', status: 'active' }]);
      await expectAccessible(page, 'application modules');

      await tab(page, 'API resources');
      await page.getByRole('textbox', { name: 'Indicator' }).fill('https://api.billing.test/v1');
      await page.getByRole('textbox', { name: 'Resource name' }).fill('Billing API');
      await page.getByRole('textbox', { name: 'Scopes' }).fill('invoices:read invoices:write');
      await choose(page, 'Access token format', 'Opaque (introspection)');
      await page.getByRole('spinbutton', { name: 'Access token lifetime (seconds)' }).fill('900');
      await page.getByRole('button', { name: 'Add resource' }).click();
      await page.getByRole('cell', { name: 'https://api.billing.test/v1' }).waitFor();
      expect((await api.get(`/applications/${app.id}/resources`)).body.data).toMatchObject([
        { indicator: 'https://api.billing.test/v1', name: 'Billing API', scopes: ['invoices:read', 'invoices:write'], accessTokenFormat: 'opaque', accessTokenTtl: 900 },
      ]);
      await expectAccessible(page, 'application API resources');
      await shot(page, 'application-resources');

      await tab(page, 'Permissions');
      for (const [name, slug] of [['Pay invoices', 'billing:invoice:pay'], ['Read invoices', 'billing:invoice:read']] as const) {
        await page.getByRole('textbox', { name: 'Permission name' }).fill(name);
        await page.getByRole('textbox', { name: 'Permission slug' }).fill(slug);
        if (slug === 'billing:invoice:pay') await choose(page, 'Module', 'Invoices');
        await page.getByRole('button', { name: 'Add permission' }).click();
        await page.getByRole('cell', { name: slug, exact: true }).waitFor();
      }
      const permissions = (await api.get(`/applications/${app.id}/permissions`)).body.data as any[];
      const modules = (await api.get(`/applications/${app.id}/modules`)).body.data as any[];
      expect(permissions.map((p) => [p.slug, p.moduleId])).toEqual([['billing:invoice:pay', modules[0].id], ['billing:invoice:read', null]]);
      await expectAccessible(page, 'application permissions');

      await tab(page, 'Roles');
      await page.getByRole('textbox', { name: 'Role name' }).fill('Billing Manager');
      await page.getByRole('button', { name: 'Create role' }).click();
      await heading(page, 'Billing Manager');
      await toggle(page, 'billing:invoice:pay — Pay invoices');
      await page.getByRole('button', { name: 'Save permissions' }).click();
      await page.getByRole('status').filter({ hasText: 'Permissions saved.' }).waitFor();
      const role = ((await api.get(`/applications/${app.id}/roles`)).body.data as any[]).find((r) => r.slug === 'billing-manager');
      expect(((await api.get(`/applications/${app.id}/roles/${role.id}/permissions`)).body.data as any[]).map((p) => p.slug)).toEqual(['billing:invoice:pay']);
      // Ticking the other and clearing the first replaces the set.
      await toggle(page, 'billing:invoice:pay — Pay invoices');
      await toggle(page, 'billing:invoice:read — Read invoices');
      await page.getByRole('button', { name: 'Save permissions' }).click();
      await page.getByRole('status').filter({ hasText: 'Permissions saved.' }).waitFor();
      await expect.poll(async () => ((await api.get(`/applications/${app.id}/roles/${role.id}/permissions`)).body.data as any[]).map((p) => p.slug)).toEqual(['billing:invoice:read']);
      await expectAccessible(page, 'role');
      await shot(page, 'role');

      await page.getByRole('link', { name: 'Billing Suite' }).click();
      await heading(page, 'Billing Suite');
      await tab(page, 'Claims');
      await page.getByRole('textbox', { name: 'Claim name' }).fill('department');
      await choose(page, 'Claim type', 'String');
      await toggle(page, 'Include in the ID token');
      await page.getByRole('button', { name: 'Add claim' }).click();
      await page.getByRole('cell', { name: 'department', exact: true }).waitFor();
      expect((await api.get(`/applications/${app.id}/claims`)).body.data).toMatchObject([
        { claimName: 'department', claimType: 'string', includeInIdToken: true, includeInAccessToken: true, includeInUserinfo: true },
      ]);
      await expectAccessible(page, 'application claims');

      await confirmIn(page, 'Deactivate', 'Deactivate');
      await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
      expect((await api.get(`/applications/${app.id}`)).body.data.status).toBe('inactive');
      await page.getByRole('button', { name: 'Activate', exact: true }).click();
      await page.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
      expect((await api.get(`/applications/${app.id}`)).body.data.status).toBe('active');
    });
  });

  it('an application admin creates a confidential client, sees its secret once, edits it, rotates secrets and deactivates it', { timeout: TEST_TIMEOUT }, async () => {
    await as('porta-app-admin', '/clients/new', async ({ page, api }) => {
      await heading(page, 'New client');
      // Application Admins cannot list organizations: they give its UUID.
      await page.getByRole('textbox', { name: 'Organization ID' }).fill(org.id);
      await pick(page, 'Application', 'Shop', 'Shop Front');
      await page.getByRole('textbox', { name: 'Client name' }).fill('Shop Web');
      await page.getByRole('textbox', { name: 'Redirect URIs', exact: true }).fill('https://shop.test/callback');
      await page.getByRole('textbox', { name: "First secret's label" }).fill('primary');
      await expectAccessible(page, 'new client');
      await shot(page, 'client-new');
      await page.getByRole('button', { name: 'Create client' }).click();
      await heading(page, 'Client Shop Web created');
      const secret = (await page.locator('.secret-value').innerText()).trim();
      expect(secret.length).toBeGreaterThanOrEqual(60);
      await expectAccessible(page, 'client created');

      const listed = (await api.get(`/clients?organizationId=${org.id}`)).body.data as any[];
      expect(listed).toHaveLength(1);
      const client = listed[0];
      expect(client).toMatchObject({ clientName: 'Shop Web', applicationId: shop.id, clientType: 'confidential', redirectUris: ['https://shop.test/callback'], status: 'active' });
      // The secret on screen is the client's: the token endpoint accepts it.
      expect((await clientCredentials(c.url, org.slug, client.clientId, secret)).status).toBe(200);

      await page.getByRole('link', { name: 'Open client' }).click();
      await heading(page, 'Shop Web');
      await expectAccessible(page, 'client overview');
      await tab(page, 'Settings');
      await page.getByRole('textbox', { name: 'Redirect URIs', exact: true }).fill('https://shop.test/callback\nhttps://shop.test/callback2');
      await toggle(page, 'Require consent');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect((await api.get(`/clients/${client.id}`)).body.data).toMatchObject({ redirectUris: ['https://shop.test/callback', 'https://shop.test/callback2'], requireConsent: true });
      await expectAccessible(page, 'client settings');
      await shot(page, 'client-settings');

      await tab(page, 'Secrets');
      await page.getByRole('textbox', { name: 'Secret label' }).fill('rotation');
      await page.getByRole('button', { name: 'Generate secret' }).click();
      await page.getByRole('group', { name: 'Secret rotation' }).waitFor();
      const rotated = (await page.locator('.secret-value').innerText()).trim();
      await confirmIn(page, 'Revoke primary', 'Revoke secret');
      await expect.poll(async () => ((await api.get(`/clients/${client.id}/secrets`)).body.data as any[]).map((s) => [s.label, s.status]).sort()).toEqual([['primary', 'revoked'], ['rotation', 'active']]);
      expect((await clientCredentials(c.url, org.slug, client.clientId, secret)).status).toBe(401);
      expect((await clientCredentials(c.url, org.slug, client.clientId, rotated)).status).toBe(200);
      await expectAccessible(page, 'client secrets');

      await confirmIn(page, 'Deactivate', 'Deactivate');
      await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
      expect((await api.get(`/clients/${client.id}`)).body.data.status).toBe('inactive');

      await page.getByRole('link', { name: 'Clients', exact: true }).first().click();
      await heading(page, 'Clients');
      await page.getByRole('searchbox', { name: 'Search clients by name or client_id' }).fill('Shop W');
      await page.getByRole('link', { name: 'Shop Web' }).waitFor();
      await expectAccessible(page, 'clients list');
      await shot(page, 'clients-list');
    });
  });

  it('a super admin creates a service account whose one-time secret works, changes its roles and deletes it', { timeout: TEST_TIMEOUT }, async () => {
    await as('porta-super-admin', '/service-accounts', async ({ page, api }) => {
      await heading(page, 'Service accounts');
      await expectAccessible(page, 'service accounts');
      await page.getByRole('link', { name: 'New service account' }).click();
      await heading(page, 'New service account');
      await page.getByRole('textbox', { name: 'Name' }).fill('ci-bot');
      await toggle(page, 'Auditor — read-only');
      await expectAccessible(page, 'new service account');
      await page.getByRole('button', { name: 'Create service account' }).click();
      await heading(page, 'Service account ci-bot created');
      const secret = (await page.locator('.secret-value').innerText()).trim();
      const account = ((await api.get('/service-accounts')).body.data as any[]).find((a) => a.name === 'ci-bot');
      expect(account).toMatchObject({ roles: ['porta-auditor'], status: 'active' });
      const token = await clientCredentials(c.url, 'porta-admin', account.clientId, secret);
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as { access_token: string };
      expect((await fetch(`${c.url}/api/admin/organizations`, { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(200);
      await shot(page, 'service-account-created');

      await page.getByRole('link', { name: 'Open service account' }).click();
      await heading(page, 'ci-bot');
      await toggle(page, 'Organization Admin — organizations and stats');
      await page.getByRole('button', { name: 'Save roles' }).click();
      await page.getByRole('status').filter({ hasText: 'Roles saved' }).waitFor();
      expect(((await api.get(`/service-accounts/${account.id}`)).body.data.roles as string[]).sort()).toEqual(['porta-auditor', 'porta-org-admin']);
      await expectAccessible(page, 'service account');

      await confirmIn(page, 'Delete', 'Delete service account', 'ci-bot');
      await heading(page, 'Service accounts');
      const after = await api.get(`/service-accounts/${account.id}`);
      expect(after.status === 404 || after.body.data?.status === 'revoked').toBe(true);
    });
  });

  it('an application admin creates a registration token shown once and revokes it', { timeout: TEST_TIMEOUT }, async () => {
    await as('porta-app-admin', `/organizations/${org.id}/registration-tokens`, async ({ page, api }) => {
      await heading(page, 'Registration tokens');
      await pick(page, 'Application', 'Shop', 'Shop Front');
      await page.getByRole('textbox', { name: 'Token label' }).fill('MCP clients');
      await page.getByRole('spinbutton', { name: 'Maximum uses' }).fill('5');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('group', { name: 'Registration token' }).waitFor();
      expect((await page.locator('.secret-value').innerText()).trim().length).toBeGreaterThan(20);
      await page.getByRole('cell', { name: 'MCP clients', exact: true }).waitFor();
      const tokens = (await api.get(`/organizations/${org.id}/registration-tokens`)).body.data as any[];
      expect(tokens).toMatchObject([{ label: 'MCP clients', applicationId: shop.id, maxUses: 5, useCount: 0, status: 'active' }]);
      await expectAccessible(page, 'registration tokens');
      await shot(page, 'registration-tokens');

      await confirmIn(page, 'Revoke MCP clients', 'Revoke token');
      await expect.poll(async () => ((await api.get(`/organizations/${org.id}/registration-tokens`)).body.data as any[])[0].status).toBe('revoked');
    });
  });

  it('an application or client saved after another admin changed it is refused in place, overwrites nothing, and saves once reloaded', { timeout: TEST_TIMEOUT }, async () => {
    const root = c.admins['porta-super-admin'].api;
    const ledger = (await root.post('/applications', { name: 'Ledger', slug: 'ledger' })).body.data;
    const created = await root.post('/clients', { organizationId: org.id, applicationId: ledger.id, clientName: 'Ledger App', clientType: 'public', applicationType: 'native', redirectUris: ['com.ledger.app:/cb'] });
    expect(created.status).toBe(201);
    const client = created.body.data.client;
    await as('porta-app-admin', `/applications/${ledger.slug}`, async ({ page, api }) => {
      await heading(page, 'Ledger');
      const description = page.getByRole('textbox', { name: 'Description' });
      await description.fill('Double-entry books');
      // Another admin renames the application behind the console's back: the save sends the loaded ETag and gets 412.
      expect((await root.put(`/applications/${ledger.id}`, { name: 'Ledger Pro' })).status).toBe(200);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('The application changed since this form was loaded (an edit elsewhere), so nothing was saved.').waitFor();
      expect((await api.get(`/applications/${ledger.id}`)).body.data).toMatchObject({ name: 'Ledger Pro', description: null });
      await expectAccessible(page, 'application changed elsewhere');
      await page.getByRole('button', { name: 'Discard my changes and load the current application' }).click();
      await expect.poll(() => page.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Ledger Pro');
      expect(await description.inputValue()).toBe('');
      expect(await page.getByText('so nothing was saved').count()).toBe(0);
      await description.fill('Double-entry books');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(async () => (await api.get(`/applications/${ledger.id}`)).body.data).toMatchObject({ name: 'Ledger Pro', description: 'Double-entry books' });
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      // The next save sends the ETag the last one answered.
      await description.fill('Double-entry books and journals');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(async () => (await api.get(`/applications/${ledger.id}`)).body.data.description).toBe('Double-entry books and journals');
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);

      await page.goto(c.href(`/clients/${client.id}`));
      await heading(page, 'Ledger App');
      await tab(page, 'Settings');
      const redirects = page.getByRole('textbox', { name: 'Redirect URIs', exact: true });
      await redirects.fill('com.ledger.app:/cb\ncom.ledger.app:/cb2');
      // The console sends every setting: without If-Match it would put the old name back.
      expect((await root.put(`/clients/${client.id}`, { clientName: 'Ledger Mobile' })).status).toBe(200);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('The client changed since this form was loaded (an edit elsewhere), so nothing was saved.').waitFor();
      expect((await api.get(`/clients/${client.id}`)).body.data).toMatchObject({ clientName: 'Ledger Mobile', redirectUris: ['com.ledger.app:/cb'] });
      await expectAccessible(page, 'client changed elsewhere');
      await page.getByRole('button', { name: 'Discard my changes and load the current client' }).click();
      await expect.poll(() => page.getByRole('textbox', { name: 'Client name' }).inputValue()).toBe('Ledger Mobile');
      expect(await redirects.inputValue()).toBe('com.ledger.app:/cb');
      await redirects.fill('com.ledger.app:/cb\ncom.ledger.app:/cb2');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await expect.poll(async () => (await api.get(`/clients/${client.id}`)).body.data).toMatchObject({ clientName: 'Ledger Mobile', redirectUris: ['com.ledger.app:/cb', 'com.ledger.app:/cb2'] });
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await toggle(page, 'Require consent');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await expect.poll(async () => (await api.get(`/clients/${client.id}`)).body.data.requireConsent).toBe(true);
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
    });
  });

  it('an auditor reads applications, clients and service accounts without any action; a user admin sees none of them', { timeout: TEST_TIMEOUT }, async () => {
    const root = c.admins['porta-super-admin'].api;
    const created = await root.post('/clients', { organizationId: org.id, applicationId: shop.id, clientName: 'Shop Native', clientType: 'public', applicationType: 'native', redirectUris: ['com.shop.app:/cb'] });
    expect(created.status).toBe(201);
    await as('porta-auditor', '/applications/shop-front', async ({ page }) => {
      await heading(page, 'Shop Front');
      const nav = page.getByRole('navigation', { name: 'Main' });
      for (const name of ['Applications', 'Clients', 'Service accounts', 'Registration tokens']) await nav.getByRole('link', { name }).waitFor();
      expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Archive' }).count()).toBe(0);
      await tab(page, 'Roles');
      expect(await page.getByRole('button', { name: 'Create role' }).count()).toBe(0);
      await nav.getByRole('link', { name: 'Clients' }).click();
      await heading(page, 'Clients');
      // The auditor reads organizations: the filter is a search box over them.
      await pick(page, 'Filter by organization', 'Acme', 'Acme Console');
      await page.getByRole('link', { name: 'Shop Native' }).waitFor();
      expect(new URL(page.url()).searchParams.get('org')).toBe(org.id);
      expect(await page.getByRole('link', { name: 'New client' }).count()).toBe(0);
      await expectAccessible(page, 'clients list (auditor)');
      await page.getByRole('link', { name: 'Shop Native' }).click();
      await heading(page, 'Shop Native');
      await expectAccessible(page, 'client (auditor)');
      expect(await page.getByRole('tab', { name: 'Settings' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
      await nav.getByRole('link', { name: 'Service accounts' }).click();
      await heading(page, 'Service accounts');
      expect(await page.getByRole('link', { name: 'New service account' }).count()).toBe(0);
      await page.goto(c.href('/clients/new'));
      await heading(page, 'No access');
    });

    await as('porta-user-admin', '/', async ({ page }) => {
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.waitFor();
      const links = await nav.getByRole('link').allInnerTexts();
      for (const name of ['Applications', 'Clients', 'Service accounts', 'Registration tokens']) expect(links).not.toContain(name);
      await page.goto(c.href('/applications'));
      await heading(page, 'No access');
      await page.goto(c.href('/service-accounts'));
      await heading(page, 'No access');
    });
  });
});
