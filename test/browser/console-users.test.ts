import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountActor, systemActor } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import type { User } from '../../src/users/index.js';
import { describeWithChromium } from '../support/chromium.js';
import { consoleScreenshot, expectAccessible, startConsoleServer, type ConsoleRole, type ConsoleServer, type SignedInConsole } from '../support/console.js';

const TIMEOUT = 120_000;
const SYSTEM = systemActor();
const PASSWORD = 'Quartz-meadow-5821';
let seq = 0;

/**
 * Issue 17, the console's user screens: list with search and cursor pages, create, invite with the
 * e-mail preview, profile, status changes, password, roles, claims, two-factor, passkeys, sessions and
 * GDPR export and purge, each as a built-in role that may do it, with the effect checked through the
 * Admin API; roles that may not see an action do not get it; axe on every screen.
 */
describeWithChromium('Admin console: users', () => {
  let c: ConsoleServer;
  let services: Services;
  let orgId: string;
  let appId: string;

  beforeAll(async () => {
    c = await startConsoleServer();
    services = c.server.porta.services;
    orgId = (await services.organizations.create(SYSTEM, { name: 'Acme', slug: 'c2-acme' })).id;
    const app = await services.applications.create(SYSTEM, { name: 'Portal', slug: 'c2-portal' });
    appId = app.id;
    await services.rbac.createRole(SYSTEM, app.id, { name: 'Editor', slug: 'editor' });
    await services.rbac.createClaim(SYSTEM, app.id, { claimName: 'department', claimType: 'string' });
    // 30 list users and Grace: two cursor pages of 25.
    for (let i = 0; i < 30; i++) {
      await services.users.create(SYSTEM, orgId, { email: `lister-${String(i).padStart(2, '0')}@acme.test`, givenName: 'Lister', familyName: `No${i}` });
    }
    await services.users.create(SYSTEM, orgId, { email: 'grace@acme.test', givenName: 'Grace', familyName: 'Hopper' });
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  const newUser = (overrides: Partial<{ givenName: string; familyName: string; password: string }> = {}): Promise<User> =>
    services.users.create(SYSTEM, orgId, { email: `c2-user-${++seq}@acme.test`, givenName: 'Ada', familyName: `Lovelace${seq}`, password: PASSWORD, ...overrides });
  const listPath = () => `/organizations/${orgId}/users`;
  const userPath = (u: Pick<User, 'id'>) => `${listPath()}/${u.id}`;
  const apiUser = async (s: SignedInConsole, u: Pick<User, 'id'>) => (await s.api.get(`/organizations/${orgId}/users/${u.id}`)).body.data;

  async function as(role: ConsoleRole, path: string, fn: (s: SignedInConsole, page: Page) => Promise<void>) {
    const s = await c.signIn(role, { path });
    try {
      await fn(s, s.page);
    } finally {
      await s.close();
    }
  }

  /** Waits out debounced searches and refetches on a machine shared with other suites. */
  const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });
  const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name, level: 1 }).waitFor();
  const tableRows = (page: Page, label: string) => page.locator(`table[aria-label="${label}"] tbody tr`);
  const dialog = (page: Page) => page.getByRole('alertdialog');
  async function openTab(page: Page, name: string) {
    await page.getByRole('tab', { name }).click();
    await page.getByRole('tabpanel').waitFor();
  }
  async function confirmIn(page: Page, trigger: string | RegExp, confirm: string) {
    await page.getByRole('button', { name: trigger }).click();
    await dialog(page).getByRole('button', { name: confirm }).click();
    await dialog(page).waitFor({ state: 'detached' });
  }

  it('lists, searches and pages a user admin\'s users with the API\'s cursors', async () => {
    await as('porta-user-admin', '/users', async (_s, page) => {
      await heading(page, 'Users');
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count()).toBe(1);
      // A user admin holds no org:read: the screen offers their own organization and a user id, no list.
      await poll(() => page.getByRole('link', { name: /your organization/ }).count()).toBe(1);
      expect(await page.locator('table[aria-label="Organizations"]').count()).toBe(0);
      await expectAccessible(page, 'users home');

      const grace = (await services.users.list(orgId, { search: 'hopper' })).data[0]!;
      await page.getByLabel('User id').fill(grace.id);
      await page.getByRole('button', { name: 'Open user' }).click();
      await heading(page, 'Grace Hopper');

      await page.getByRole('link', { name: 'All users of the organization' }).click();
      await heading(page, 'Users');
      await poll(() => tableRows(page, 'Users').count()).toBe(25);
      const firstPage = await tableRows(page, 'Users').first().innerText();
      await expectAccessible(page, 'user list');
      await consoleScreenshot(page, 'users-list');
      await page.getByRole('button', { name: 'Next' }).click();
      await poll(() => tableRows(page, 'Users').count()).toBe(6);
      await page.getByText('Page 2').waitFor();
      await page.getByRole('button', { name: 'Previous' }).click();
      await poll(() => tableRows(page, 'Users').first().innerText()).toBe(firstPage);

      // The status filter goes to the server and into the address; nobody in Acme is suspended.
      await page.getByRole('button', { name: /Status/ }).click();
      await page.getByRole('option', { name: 'Suspended' }).click();
      await page.getByText('Nothing here yet.').waitFor();
      expect(new URL(page.url()).searchParams.get('status')).toBe('suspended');
      await page.getByRole('button', { name: /Status/ }).click();
      await page.getByRole('option', { name: 'Any status' }).click();
      await poll(() => tableRows(page, 'Users').count()).toBe(25);

      await page.getByLabel('Search users').fill('hopp');
      await poll(() => tableRows(page, 'Users').count()).toBe(1);
      await poll(() => tableRows(page, 'Users').first().innerText()).toContain('grace@acme.test');
      await tableRows(page, 'Users').first().click();
      await heading(page, 'Grace Hopper');
      expect(new URL(page.url()).pathname).toBe(`/admin${userPath(grace)}`);
    });
  }, TIMEOUT);

  it('creates a user, previews the invitation e-mail and sends it', async () => {
    await as('porta-user-admin', listPath(), async (s, page) => {
      await heading(page, 'Users');
      await page.getByRole('link', { name: 'Create user' }).click();
      await heading(page, 'Create user');
      await expectAccessible(page, 'create user');
      await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill('katherine@acme.test');
      await page.getByLabel('Given name').fill('Katherine');
      await page.getByLabel('Family name').fill('Johnson');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Create user' }).click();
      // The API's policy answer appears in place, naming the field.
      await page.getByRole('alert').getByText(/password/i).first().waitFor();
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create user' }).click();
      await heading(page, 'Katherine Johnson');
      const created = (await s.api.get(`/organizations/${orgId}/users?search=katherine`)).body.data;
      expect(created).toHaveLength(1);
      expect(created[0]).toMatchObject({ email: 'katherine@acme.test', hasPassword: true, status: 'active' });

      await page.goto(`${c.href(listPath())}/invite`);
      await heading(page, 'Invite user');
      await page.getByRole('textbox', { name: 'E-mail', exact: true }).fill('nia@acme.test');
      await page.getByLabel('Given name').fill('Nia');
      await page.getByLabel('Personal message').fill('Welcome to the <team>!');
      await page.getByRole('button', { name: 'Preview e-mail' }).click();
      await page.getByRole('heading', { name: /^Preview: / }).waitFor();
      expect(await page.getByRole('heading', { name: /^Preview: / }).innerText()).toContain('Acme');
      // The preview is a read: nobody was created or invited.
      expect((await s.api.get(`/organizations/${orgId}/users?search=nia`)).body.data).toHaveLength(0);
      await page.getByText('Plain-text version').click();
      await page.locator('pre.email-preview-text').waitFor();
      expect(await page.locator('pre.email-preview-text').innerText()).toContain('Welcome to the <team>!');
      // The HTML part as the server rendered it (the message escaped), in a frame that runs no script.
      await page.frameLocator('iframe[title="Invitation e-mail (HTML)"]').getByText('Welcome to the <team>!').waitFor();
      expect(await page.locator('iframe[title="Invitation e-mail (HTML)"]').getAttribute('sandbox')).toBe('');
      await expectAccessible(page, 'invite user with preview');
      await consoleScreenshot(page, 'users-invite-preview');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await heading(page, 'Invitation sent');
      await page.getByText(/The user was created and invited: nia@acme\.test/).waitFor();
      const invited = (await s.api.get(`/organizations/${orgId}/users?search=nia`)).body.data;
      expect(invited).toHaveLength(1);
      expect(invited[0]).toMatchObject({ email: 'nia@acme.test', givenName: 'Nia', hasPassword: false });
    });
  }, TIMEOUT);

  it('edits the profile, changes the status, unlocks and sets the password', async () => {
    const u = await newUser();
    await as('porta-user-admin', userPath(u), async (s, page) => {
      await heading(page, `Ada ${u.familyName}`);
      await expectAccessible(page, 'user profile');
      await consoleScreenshot(page, 'users-detail-profile');
      // A change made elsewhere after the form loaded: the save is refused (412), nothing is lost silently.
      await page.getByLabel('Nickname').fill('Stale');
      await services.users.update(SYSTEM, orgId, u.id, { middleName: 'Augusta' });
      await page.getByRole('button', { name: 'Save profile' }).click();
      await page.getByRole('button', { name: 'Discard my changes and load the current profile' }).click();
      await poll(() => page.getByLabel('Middle name').inputValue()).toBe('Augusta');
      expect(await page.getByLabel('Nickname').inputValue()).toBe('');
      expect((await apiUser(s, u)).nickname).toBeNull();

      await page.getByLabel('Nickname').fill('Countess');
      await page.getByLabel('Family name').fill('');
      await page.getByLabel('Locality').fill('London');
      await page.getByRole('button', { name: 'Save profile' }).click();
      await page.getByText('Profile saved.').waitFor();
      expect(await apiUser(s, u)).toMatchObject({ nickname: 'Countess', familyName: null, address: { locality: 'London' } });

      await openTab(page, 'Status');
      await expectAccessible(page, 'user status and password');
      await page.getByLabel('Reason (for suspend or lock)').fill('fraud review');
      await page.getByRole('button', { name: 'Suspend' }).click();
      await expectAccessible(page, 'suspend dialog');
      await dialog(page).getByRole('button', { name: 'Suspend' }).click();
      await page.getByRole('heading', { name: 'Status: Suspended' }).waitFor();
      expect((await apiUser(s, u)).status).toBe('suspended');
      const [suspended] = (await c.server.superAdmin.get(`/audit?event=user.suspended&user=${u.id}`)).body.data;
      expect(suspended.metadata).toMatchObject({ reason: 'fraud review' });
      await confirmIn(page, 'Unsuspend', 'Unsuspend');
      await page.getByRole('heading', { name: 'Status: Active' }).waitFor();
      await confirmIn(page, 'Lock', 'Lock');
      await page.getByRole('heading', { name: 'Status: Locked' }).waitFor();
      expect((await apiUser(s, u)).status).toBe('locked');
      await confirmIn(page, 'Unlock', 'Unlock');
      await page.getByRole('heading', { name: 'Status: Active' }).waitFor();
      expect((await apiUser(s, u)).status).toBe('active');

      const before = (await apiUser(s, u)).passwordChangedAt;
      await page.getByLabel('New password').fill(u.email);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('alert').waitFor();
      expect((await apiUser(s, u)).passwordChangedAt).toBe(before);
      await page.getByLabel('New password').fill('Harbor-violet-7730');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByText(/Password set\./).waitFor();
      expect((await apiUser(s, u)).passwordChangedAt).not.toBe(before);
      expect(await services.users.authenticate(orgId, u.email, 'Harbor-violet-7730')).toMatchObject({ ok: true, user: { id: u.id } });

      // The API's refusal appears in the dialog, which stays open: the super-admin user is protected.
      const root = c.admins['porta-super-admin'];
      const adminOrgId = (await services.organizations.getSuperAdmin()).id;
      await page.goto(c.href(`/organizations/${adminOrgId}/users/${root.userId}`));
      await heading(page, 'Root Admin');
      await openTab(page, 'Status');
      await page.getByRole('button', { name: 'Suspend' }).click();
      await dialog(page).getByRole('button', { name: 'Suspend' }).click();
      await dialog(page).getByRole('alert').waitFor();
      expect((await s.api.get(`/organizations/${adminOrgId}/users/${root.userId}`)).body.data.status).toBe('active');
    });
  }, TIMEOUT);

  it('assigns and removes roles as a user admin and sets a claim value as a super admin', async () => {
    const u = await newUser();
    await as('porta-user-admin', userPath(u), async (s, page) => {
      await heading(page, `Ada ${u.familyName}`);
      await openTab(page, 'Roles');
      await page.getByText('No roles.').waitFor();
      // No app:read: the application is named rather than chosen from a list.
      await page.getByLabel('Application (slug or id)').fill('c2-portal');
      await page.getByRole('button', { name: 'Use application' }).click();
      await page.getByRole('button', { name: /Choose a role/ }).click();
      await page.getByRole('option', { name: 'Editor (editor)' }).click();
      await page.getByRole('button', { name: 'Assign role' }).click();
      await page.getByRole('button', { name: 'Remove Editor' }).waitFor();
      expect((await s.api.get(`/organizations/${orgId}/users/${u.id}/roles`)).body.data.map((r: { slug: string }) => r.slug)).toEqual(['editor']);
      await expectAccessible(page, 'user roles');
      await consoleScreenshot(page, 'users-detail-roles');
      await confirmIn(page, 'Remove Editor', 'Remove role');
      await page.getByText('No roles.').waitFor();
      expect((await s.api.get(`/organizations/${orgId}/users/${u.id}/roles`)).body.data).toEqual([]);

      // claim:read without claim:update: values are shown, not editable.
      await openTab(page, 'Claims');
      await page.getByLabel('Application (slug or id)').fill('c2-portal');
      await page.getByRole('button', { name: 'Use application' }).click();
      await page.getByText('department (string): not set').waitFor();
      expect(await page.getByRole('button', { name: 'Save department' }).count()).toBe(0);
    });

    await as('porta-super-admin', '/users', async (s, page) => {
      // With org:read the start screen lists organizations, searchable, each leading to its users.
      await heading(page, 'Users');
      await page.getByLabel('Search organizations').fill('Acme');
      await poll(() => tableRows(page, 'Organizations').count()).toBe(1);
      await tableRows(page, 'Organizations').first().click();
      await heading(page, 'Users');
      expect(new URL(page.url()).pathname).toBe(`/admin${listPath()}`);

      await page.goto(c.href(userPath(u)));
      await heading(page, `Ada ${u.familyName}`);
      await openTab(page, 'Claims');
      // The select is ready once the applications have loaded.
      await page.getByRole('button', { name: /Choose an application/ }).click();
      await page.getByRole('option', { name: 'Portal (c2-portal)' }).click();
      await page.getByLabel('department (string)').fill('research');
      await page.getByRole('button', { name: 'Save department' }).click();
      await page.getByRole('button', { name: 'Remove department' }).waitFor();
      const values = (await s.api.get(`/applications/${appId}/claims/users/${u.id}`)).body.data;
      expect(values).toEqual([expect.objectContaining({ claimName: 'department', value: 'research' })]);
      await expectAccessible(page, 'user claims');
    });
  }, TIMEOUT);

  it('shows two-factor status, issues recovery codes, resets two-factor and deletes a passkey', async () => {
    const u = await newUser();
    await services.twoFactor.enableEmail(accountActor(u), orgId, u.id);
    await c.server.porta.db.query(
      `INSERT INTO webauthn_credentials (organization_id, user_id, credential_id, public_key, sign_count, transports, aaguid, backed_up, name)
       VALUES ($1, $2, $3, $4, 0, '{internal}', '08987058-cadc-4b81-b6e1-30de50dcbe96', true, 'Work laptop')`,
      [orgId, u.id, randomBytes(32), randomBytes(77)],
    );
    const base = `/organizations/${orgId}/users/${u.id}`;
    await as('porta-user-admin', userPath(u), async (s, page) => {
      await heading(page, `Ada ${u.familyName}`);
      await openTab(page, 'Two-factor');
      await page.getByText('Code by e-mail').waitFor();
      await page.getByRole('cell', { name: 'Work laptop', exact: true }).waitFor();
      await expectAccessible(page, 'user two-factor and passkeys');
      await consoleScreenshot(page, 'users-detail-security');

      await confirmIn(page, 'New recovery codes', 'Generate new codes');
      const shown = (await page.locator('code.secret-value').innerText()).split(/\s+/).filter(Boolean);
      expect(shown).toHaveLength(10);
      expect((await s.api.get(`${base}/two-factor/status`)).body.data.recoveryCodesRemaining).toBe(10);

      await confirmIn(page, 'Reset two-factor', 'Reset two-factor');
      await poll(async () => (await s.api.get(`${base}/two-factor/status`)).body.data.enabled).toBe(false);
      await page.getByRole('button', { name: 'Reset two-factor' }).waitFor({ state: 'detached' });

      await confirmIn(page, 'Delete Work laptop', 'Delete passkey');
      await page.getByText('No passkeys.').waitFor();
      expect((await s.api.get(`${base}/passkeys`)).body.data).toEqual([]);
    });
  }, TIMEOUT);

  it('lists the user\'s sessions and ends one, then all', async () => {
    const u = await newUser();
    const snapshot = (n: number) => ({
      sessionId: `c2-session-${u.id.slice(0, 8)}-${n}`, userId: u.id, organizationId: orgId, clientId: null, grantId: null,
      ipAddress: `198.51.100.${n}`, userAgent: `Browser ${n}`, expiresAt: new Date(Date.now() + 86_400_000),
    });
    for (const n of [1, 2, 3]) services.sessions.mirrorSaved(snapshot(n));
    const active = async () => (await c.admins['porta-user-admin'].api.get(`/sessions?userId=${u.id}`)).body.data.length as number;
    await poll(active).toBe(3);

    await as('porta-user-admin', userPath(u), async (_s, page) => {
      await heading(page, `Ada ${u.familyName}`);
      await openTab(page, 'Sessions');
      await page.getByRole('cell', { name: '198.51.100.2' }).waitFor();
      await expectAccessible(page, 'user sessions');
      await consoleScreenshot(page, 'users-detail-sessions');
      await page.getByRole('row', { name: /198\.51\.100\.2/ }).getByRole('button', { name: 'End session' }).click();
      await dialog(page).getByRole('button', { name: 'End session' }).click();
      await page.getByText('1 session ended.').waitFor();
      expect(await active()).toBe(2);
      await confirmIn(page, 'End all sessions', 'End all sessions');
      await page.getByText('2 sessions ended.').waitFor();
      await page.getByText('No active sessions.').waitFor();
      expect(await active()).toBe(0);
    });
  }, TIMEOUT);

  it('downloads the GDPR export and purges after the e-mail is typed', async () => {
    const u = await newUser();
    await as('porta-user-admin', userPath(u), async (s, page) => {
      await heading(page, `Ada ${u.familyName}`);
      await openTab(page, 'GDPR');
      await expectAccessible(page, 'user data');
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download data export' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`user-${u.id}-export.json`);
      const exported = JSON.parse(fs.readFileSync((await file.path())!, 'utf8'));
      expect(exported.user).toMatchObject({ id: u.id, email: u.email });

      await page.getByRole('button', { name: 'Purge user…' }).click();
      const purge = dialog(page).getByRole('button', { name: 'Purge user' });
      expect(await purge.isDisabled()).toBe(true);
      await dialog(page).getByLabel(`Type ${u.email} to confirm`).fill('wrong@acme.test');
      expect(await purge.isDisabled()).toBe(true);
      await dialog(page).getByLabel(`Type ${u.email} to confirm`).fill(u.email);
      await expectAccessible(page, 'purge dialog');
      await consoleScreenshot(page, 'users-purge-dialog');
      await purge.click();
      await page.getByText(`Ada ${u.familyName} (${u.email}) was purged.`).waitFor();
      const after = await apiUser(s, u);
      expect(after.email).toBe(`purged-${u.id}@purged.invalid`);
      expect(after.status).toBe('inactive');
    });
  }, TIMEOUT);

  it('shows an auditor users without any action, and keeps the screens from an application admin', async () => {
    const u = await newUser();
    await as('porta-auditor', listPath(), async (_s, page) => {
      await heading(page, 'Users');
      await poll(() => tableRows(page, 'Users').count()).toBeGreaterThan(0);
      expect(await page.getByRole('link', { name: 'Create user' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Invite user' }).count()).toBe(0);
      await page.goto(c.href(userPath(u)));
      await heading(page, `Ada ${u.familyName}`);
      await page.getByText('Nickname').first().waitFor();
      expect(await page.getByRole('button', { name: 'Save profile' }).count()).toBe(0);
      await openTab(page, 'Status');
      expect(await page.getByRole('button', { name: 'Suspend' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Set password' }).count()).toBe(0);
      await openTab(page, 'GDPR');
      await page.getByRole('button', { name: 'Download data export' }).waitFor();
      expect(await page.getByRole('button', { name: 'Purge user…' }).count()).toBe(0);
      await expectAccessible(page, 'user detail as auditor');
    });

    await as('porta-app-admin', '/', async (_s, page) => {
      await heading(page, 'Dashboard');
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count()).toBe(0);
      await page.goto(c.href(userPath(u)));
      await heading(page, 'No access');
    });
  }, TIMEOUT);
});
