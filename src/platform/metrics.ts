/**
 * What Porta counts for operators (docs/configuration.md, "Metrics and traces"). Code records through
 * this interface only: `http/metrics.ts` implements it with prom-client when METRICS_ENABLED is on, and
 * `noMetrics` stands in otherwise. Label values are kept to known sets by the implementation, so a
 * caller can never grow a series per user, client or organization.
 */
export interface Metrics {
  readonly isEnabled: boolean;
  /** A finished sign-in attempt: `success`, `failure` (never why) or `rate_limited`. */
  login(method: string, outcome: string): void;
  /** An account locked automatically by the attempt that reached the threshold. */
  lockout(): void;
  /** A successful token response and the kinds of token it carried (`access_token`, `id_token`, `refresh_token`). */
  tokensIssued(grantType: string, tokenTypes: readonly string[]): void;
  /** A request refused by a rate limit. */
  rateLimited(scope: string): void;
  /** A rate limit that let a request through because the store failed. */
  rateLimitFailedOpen(scope: string): void;
  /** One statement on the database, by kind (`select`, `insert`, `transaction`…). */
  dbQuery(operation: string, seconds: number, isError: boolean): void;
  /** One operation on the ephemeral store, by `Kv` method. */
  kvCommand(operation: string, seconds: number, isError: boolean): void;
  /** The OIDC engines kept in memory (one per shape, shared by every organization), read at every scrape. */
  watchEngines(count: () => number): void;
  /** An engine built (first use of an organization, or new keys or claim names). */
  engineBuilt(): void;
}

const ignore = () => undefined;

export const noMetrics: Metrics = {
  isEnabled: false,
  login: ignore,
  lockout: ignore,
  tokensIssued: ignore,
  rateLimited: ignore,
  rateLimitFailedOpen: ignore,
  dbQuery: ignore,
  kvCommand: ignore,
  watchEngines: ignore,
  engineBuilt: ignore,
};
