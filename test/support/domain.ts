import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Clock } from '../../src/platform/clock.js';
import type { Db } from '../../src/platform/db/index.js';
import type { Kv } from '../../src/platform/kv/index.js';
import type { Log } from '../../src/platform/log.js';
import { createServices, type Services } from '../../src/services.js';

/** A test configuration; `env` adds or overrides variables (SMTP_HOST, …). */
export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    NODE_ENV: 'test',
    // Never created: the stores are handed in.
    PORTA_DATA_DIR: path.join(os.tmpdir(), 'porta-domain-tests'),
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdef',
    TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32),
    ISSUER_BASE_URL: 'http://127.0.0.1:3000',
    ...env,
  });
}

/** Every domain service on the test's own stores, through the one wiring the server uses. */
export function servicesFor(stores: { db: Db; kv: Kv; clock: Clock; log: Log }, env: Record<string, string> = {}): Promise<Services> {
  return createServices({ config: testConfig(env), ...stores, isSchemaCurrent: () => true });
}
