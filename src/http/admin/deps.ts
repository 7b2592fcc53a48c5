import type { Config } from '../../config/index.js';
import type { Log } from '../../platform/log.js';
import type { Services } from '../../services.js';
import type { AccessTokenFacts } from '../../rbac/index.js';

/** What the admin routers use; app.ts builds it. */
export interface AdminDeps {
  config: Readonly<Config>;
  log: Log;
  services: Services;
  /** Provided by the OIDC layer: a live access token of the admin organization's issuer, or null. */
  tokens: { findAccessToken(token: string): Promise<AccessTokenFacts | null> };
  /**
   * The CLI in direct mode serves the admin API in-process on loopback and authenticates with this
   * one-off random token instead of an OIDC token (spec 30 §1: database access is the trust boundary).
   * Never set in the server.
   */
  direct?: { token: string; osUser: string };
}
