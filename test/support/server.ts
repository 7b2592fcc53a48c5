import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import type Koa from 'koa';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createPorta, type Porta } from '../../src/app.js';
import { listen, type RunningServer } from '../../src/server.js';
import { createEmbeddedDb, createPostgresDb, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, createRedisKv, type Kv } from '../../src/platform/kv/index.js';
import type { Clock } from '../../src/platform/clock.js';
import type { Log } from '../../src/platform/log.js';
import type { LogoutDeliveryPolicy } from '../../src/oidc/backchannel-logout.js';
import { createTestDatabase, createTestRedisNamespace } from './services.js';

export interface TestServerOptions {
  /** `embedded`: in-memory PGlite + memory store; `services`: a fresh PostgreSQL database and Redis prefix. */
  backends?: 'embedded' | 'services';
  env?: Record<string, string>;
  /** Overrides applied to the loaded config (URLs of proxies, etc.). */
  configure?: (config: Config) => Config;
  extend?: (app: Koa) => void;
  clock?: Clock;
  log?: Log;
  schemaCheckIntervalMs?: number;
  /** Use the configured database and store URLs as they are (no per-test database). */
  useConfiguredStores?: boolean;
  /** Back-channel logout timeouts and retries (short ones keep failure tests fast). */
  backchannelLogout?: Partial<LogoutDeliveryPolicy>;
  /** Page templates and messages instead of the shipped ones (organization overrides). */
  pages?: { templates?: string; locales?: string };
  /** Wraps the test's own stores before Porta gets them (to see every statement and command). */
  wrapStores?: { db?: (db: Db) => Db; kv?: (kv: Kv) => Kv };
  /**
   * The host of ISSUER_BASE_URL (default 127.0.0.1; the server listens there either way). WebAuthn needs a
   * domain as its RP ID, never an IP address: passkey tests use `localhost`.
   */
  issuerHost?: string;
}

export interface TestServer {
  url: string;
  porta: Porta;
  running: RunningServer;
  config: Readonly<Config>;
  stop(): Promise<void>;
}

/** Starts the real app on 127.0.0.1:0 with chosen backends; `stop()` removes everything it created. */
/** A free loopback port, so the issuer URL can name it before the server listens. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const wrapDb = options.wrapStores?.db ?? ((db: Db) => db);
  const wrapKv = options.wrapStores?.kv ?? ((kv: Kv) => kv);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-test-'));
  const cleanups: Array<() => Promise<void>> = [async () => fs.rmSync(dataDir, { recursive: true, force: true })];
  let config: Config = {
    ...loadConfig({
      NODE_ENV: 'test',
      PORTA_DATA_DIR: dataDir,
      COOKIE_KEYS: 'test-cookie-key-0123456789abcdef',
      TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32),
      ISSUER_BASE_URL: `http://${options.issuerHost ?? '127.0.0.1'}:${port}`,
      ...options.env,
    }),
  };
  if (options.configure) config = options.configure(config);
  try {
    let porta: Porta;
    if (options.useConfiguredStores) {
      porta = await createPorta({ config, clock: options.clock, log: options.log, extend: options.extend, schemaCheckIntervalMs: options.schemaCheckIntervalMs, backchannelLogout: options.backchannelLogout, pages: options.pages });
    } else if (options.backends === 'services') {
      const database = await createTestDatabase();
      const ns = createTestRedisNamespace();
      cleanups.push(() => database.drop(), () => ns.clear());
      config = { ...config, autoMigrate: true, database: { kind: 'postgres', url: database.url }, kv: { kind: 'redis', url: ns.url, keyPrefix: ns.keyPrefix } };
      porta = await createPorta({
        config, clock: options.clock, log: options.log, extend: options.extend, schemaCheckIntervalMs: options.schemaCheckIntervalMs, backchannelLogout: options.backchannelLogout, pages: options.pages,
        db: wrapDb(createPostgresDb({ url: database.url })),
        kv: wrapKv(createRedisKv({ url: ns.url, keyPrefix: ns.keyPrefix })),
      });
    } else {
      porta = await createPorta({
        config, clock: options.clock, log: options.log, extend: options.extend, schemaCheckIntervalMs: options.schemaCheckIntervalMs, backchannelLogout: options.backchannelLogout, pages: options.pages,
        db: wrapDb(await createEmbeddedDb({ dataDir: 'memory://' })),
        kv: wrapKv(createMemoryKv({ clock: options.clock })),
      });
    }
    const running = await listen(porta, { port, host: '127.0.0.1' });
    return {
      url: running.url,
      porta,
      running,
      config,
      async stop() {
        await running.shutdown();
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
