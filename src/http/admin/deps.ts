import type { Config } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/index.js';
import type { Kv } from '../../platform/kv/index.js';
import type { Log } from '../../platform/log.js';
import type { Services } from '../../services.js';
import type { ProviderRegistry } from '../../oidc/registry.js';

/** What the admin routers use; app.ts builds it. */
export interface AdminDeps {
  config: Readonly<Config>;
  log: Log;
  clock: Clock;
  db: Db;
  kv: Kv;
  services: Services;
  registry: ProviderRegistry;
  /**
   * The CLI in direct mode serves the admin API in-process on loopback and authenticates with this
   * one-off random token instead of an OIDC token (spec 30 §1: database access is the trust boundary).
   * Never set in the server.
   */
  direct?: { token: string; osUser: string };
}
