/**
 * Headless Chromium for browser tests: Debian's package at /usr/bin/chromium, driven by playwright-core
 * (never a browser that Playwright downloads). Without it, suites skip with a visible reason; with
 * PORTA_TEST_REQUIRE_SERVICES=1 they fail instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM_PATH);
const isRequired = process.env.PORTA_TEST_REQUIRE_SERVICES === '1';
/** When set, `saveScreenshot` writes PNGs there for a person to look at; otherwise it does nothing. */
const screenshotDir = process.env.PORTA_TEST_SCREENSHOT_DIR;

// Offline and quiet: no update checks, sync or QUIC probes leave the machine during a test.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface ChromiumSession {
  context: BrowserContext;
  /** A new tab whose waits and navigations give up after the given bounds. */
  newPage(options?: { timeoutMs?: number; navigationTimeoutMs?: number }): Promise<Page>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile in a temp directory. Playwright passes that directory as
 * `--user-data-dir` itself (it refuses the flag in `args`), which is why this is a persistent context.
 */
export async function launchChromium(options: { timeoutMs?: number; javaScriptEnabled?: boolean; /** The browser's language, sent as Accept-Language. */ locale?: string } = {}): Promise<ChromiumSession> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      timeout: options.timeoutMs ?? 30_000,
      viewport: { width: 1024, height: 768 },
      locale: options.locale ?? 'en-US',
      // false: pages must work without scripts (spec 60: usable without JavaScript).
      javaScriptEnabled: options.javaScriptEnabled ?? true,
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  let isClosed = false;
  return {
    context,
    async newPage({ timeoutMs = 10_000, navigationTimeoutMs = 15_000 } = {}) {
      const page = await context.newPage();
      page.setDefaultTimeout(timeoutMs);
      page.setDefaultNavigationTimeout(navigationTimeoutMs);
      return page;
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      try {
        await context.close();
      } finally {
        fs.rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a full-page PNG under PORTA_TEST_SCREENSHOT_DIR when that is set; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string | undefined> {
  if (!screenshotDir) return undefined;
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

type SuiteFn = () => void;

/** `describe` that needs Chromium at /usr/bin/chromium (see the module comment for when it is missing). */
export function describeWithChromium(name: string, fn: SuiteFn) {
  if (hasChromium) return describe(name, fn);
  if (isRequired) {
    return describe(name, () => {
      it(`needs Chromium at ${CHROMIUM_PATH}`, () => {
        throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium) and PORTA_TEST_REQUIRE_SERVICES=1`);
      });
    });
  }
  return describe.skip(`${name} [skipped: Chromium not installed at ${CHROMIUM_PATH}]`, fn);
}
