/**
 * The admin console in a real browser: a test server after `porta init`, the console built if stale
 * (scripts/build-console.mjs), an admin for each built-in role, and sign-in through the real login page.
 *
 *   const c = await startConsoleServer();
 *   const { page, api, close } = await c.signIn('porta-user-admin');
 *   await page.goto(c.href('/organizations'));
 *   ...
 *   await close(); await c.stop();
 *
 * or, for one role, `openConsole(role)` → `{ page, api, server, close }` (close also stops the server).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, grantAdminRoles, startAdminServer, type AdminClient, type AdminServer } from './admin.js';
import { launchChromium, saveScreenshot, type ChromiumSession } from './chromium.js';
import type { TestServerOptions } from './server.js';

export const CONSOLE_ROLES = ['porta-super-admin', 'porta-org-admin', 'porta-user-admin', 'porta-app-admin', 'porta-auditor'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/console when its sources changed since the last build (a lock keeps parallel files to one build). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-console.mjs'), '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 240_000 });
}

export interface ConsoleAdmin {
  role: ConsoleRole;
  email: string;
  password: string;
  userId: string;
  /** Admin API calls as this admin (a token minted for the CLI client), to check effects. */
  api: AdminClient;
}

export interface SignedInConsole {
  page: Page;
  /** The Admin API as the signed-in admin. */
  api: AdminClient;
  admin: ConsoleAdmin;
  chromium: ChromiumSession;
  /** Content-Security-Policy violations the browser reported so far (should stay empty). */
  cspViolations: string[];
  /** Closes this browser (the server keeps running). */
  close(): Promise<void>;
}

export interface ConsoleServer {
  server: AdminServer;
  url: string;
  /** One admin per built-in role; the super admin is the bootstrap admin. */
  admins: Record<ConsoleRole, ConsoleAdmin>;
  /** `${url}/admin${path}`. */
  href(path?: string): string;
  /** A new browser signed in at /admin as the admin of `role`, waiting for the console's shell. */
  signIn(role: ConsoleRole, options?: { path?: string; viewport?: { width: number; height: number } }): Promise<SignedInConsole>;
  stop(): Promise<void>;
}

/** A test server with the console built, generous admin write limits, and one admin per built-in role. */
export async function startConsoleServer(options: TestServerOptions = {}): Promise<ConsoleServer> {
  ensureConsoleBuilt();
  const server = await startAdminServer(options);
  const { porta } = server;
  const system = systemActor();
  // Screens write more than the default 60 per minute a test file would allow.
  await porta.services.systemConfig.set(system, 'rate_limit_admin_write_max', '100000');
  const org = await porta.services.organizations.getSuperAdmin();
  const admins = {} as Record<ConsoleRole, ConsoleAdmin>;
  admins['porta-super-admin'] = { role: 'porta-super-admin', email: ADMIN_EMAIL, password: ADMIN_PASSWORD, userId: server.superAdminUserId, api: server.superAdmin };
  for (const role of CONSOLE_ROLES.slice(1)) {
    const email = `${role.replace('porta-', '')}@porta.test`;
    const user = await porta.services.users.create(system, org.id, { email, password: ADMIN_PASSWORD, emailVerified: true, givenName: 'Test', familyName: role.replace('porta-', '') });
    await grantAdminRoles(porta, user.id, [role]);
    admins[role] = { role, email, password: ADMIN_PASSWORD, userId: user.id, api: await server.clientFor(user.id) };
  }
  const href = (p = '') => `${server.url}/admin${p === '/' ? '' : p}`;

  async function signIn(role: ConsoleRole, opts: { path?: string; viewport?: { width: number; height: number } } = {}): Promise<SignedInConsole> {
    const admin = admins[role];
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage({ timeoutMs: 15_000, navigationTimeoutMs: 20_000 });
      const cspViolations: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      if (opts.viewport) await page.setViewportSize(opts.viewport);
      await page.goto(href(opts.path ?? ''));
      await signInAtLoginPage(page, admin);
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      return { page, api: admin.api, admin, chromium, cspViolations, close: () => chromium.close() };
    } catch (err) {
      await chromium.close();
      throw err;
    }
  }

  return { server, url: server.url, admins, href, signIn, stop: () => server.stop() };
}

/** Fills Porta's login page (the console sent the browser there) and submits it. */
export async function signInAtLoginPage(page: Page, admin: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** One server and one signed-in browser; `close` ends both. */
export async function openConsole(role: ConsoleRole = 'porta-super-admin', options: TestServerOptions & { path?: string } = {}) {
  const server = await startConsoleServer(options);
  try {
    const session = await server.signIn(role, { path: options.path });
    return {
      page: session.page,
      api: session.api,
      server,
      async close() {
        await session.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Axe on the current screen: no serious or critical violation (WCAG 2.2 AA rules). */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${screen}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** Screenshot under PORTA_TEST_SCREENSHOT_DIR, named `console-<name>` (from the top: the header is sticky). */
export async function consoleScreenshot(page: Page, name: string): Promise<string | undefined> {
  await page.evaluate('window.scrollTo(0, 0)');
  return saveScreenshot(page, `console-${name}`);
}

/** Every value in localStorage and sessionStorage of the page's origin. */
export async function browserStorage(page: Page): Promise<{ local: Record<string, string>; session: Record<string, string> }> {
  // A string: the test's TypeScript has no DOM types.
  const read = (name: string) => `Object.fromEntries(Array.from({ length: ${name}.length }, (_, i) => ${name}.key(i)).map((k) => [k, ${name}.getItem(k)]))`;
  return page.evaluate(`({ local: ${read('localStorage')}, session: ${read('sessionStorage')} })`);
}
