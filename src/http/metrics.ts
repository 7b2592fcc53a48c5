import type { Context, Next } from 'koa';
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../platform/metrics.js';

export interface PrometheusMetrics {
  registry: Registry;
  /** What the rest of Porta records through. */
  metrics: Metrics;
  middleware: (ctx: Context, next: Next) => Promise<void>;
}

/** Label values outside these sets are counted as `other`: a label never grows with user input. */
const LOGIN_METHODS = ['password', 'magic_link'];
const LOGIN_OUTCOMES = ['success', 'failure', 'rate_limited'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'];
const TOKEN_TYPES = ['access_token', 'id_token', 'refresh_token'];
const RATE_LIMIT_SCOPES = [
  'login', 'login_ip_failures', 'magic_link', 'password_reset', '2fa_verify', 'otp_resend', 'token', 'introspection', 'device_user_code', 'admin_write',
  'admin_unauthenticated', 'registration',
];
const DB_OPERATIONS = ['select', 'insert', 'update', 'delete', 'with', 'other', 'script', 'transaction'];
const KV_OPERATIONS = ['get', 'set', 'get_del', 'compare_and_set', 'delete', 'increment', 'ttl', 'expire', 'set_add', 'set_members', 'set_remove'];

const bounded = (allowed: readonly string[]) => {
  const known = new Set(allowed);
  return (value: string) => (known.has(value) ? value : 'other');
};

/** From a fraction of a millisecond (Redis, a cached row) to seconds (a stuck pool). */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One registry per app, so several apps in one process (tests) never share counters. */
export function createPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpLabels = ['method', 'status_code', 'path'] as const;
  const requests = new Counter({ name: 'porta_http_requests_total', help: 'Total HTTP requests', labelNames: httpLabels, registers });
  const duration = new Histogram({
    name: 'porta_http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: httpLabels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const logins = new Counter({ name: 'porta_logins_total', help: 'Sign-in attempts by method and outcome', labelNames: ['method', 'outcome'], registers });
  const lockouts = new Counter({ name: 'porta_lockouts_total', help: 'Accounts locked automatically after repeated failed sign-ins', registers });
  const tokens = new Counter({ name: 'porta_tokens_issued_total', help: 'Tokens issued by the token endpoint, by grant type and token type', labelNames: ['grant_type', 'token_type'], registers });
  const rejections = new Counter({ name: 'porta_rate_limit_rejections_total', help: 'Requests refused by a rate limit, by scope', labelNames: ['scope'], registers });
  const failOpen = new Counter({ name: 'porta_rate_limit_fail_open_total', help: 'Rate-limit checks that let a request through because the store failed', labelNames: ['scope'], registers });
  const dbDuration = new Histogram({ name: 'porta_db_query_duration_seconds', help: 'Database statement, script and transaction duration in seconds', labelNames: ['operation'], buckets: STORE_BUCKETS, registers });
  const dbErrors = new Counter({ name: 'porta_db_query_errors_total', help: 'Database statements, scripts and transactions that failed', labelNames: ['operation'], registers });
  const kvDuration = new Histogram({ name: 'porta_kv_operation_duration_seconds', help: 'Ephemeral store (Redis or in-process) operation duration in seconds', labelNames: ['operation'], buckets: STORE_BUCKETS, registers });
  const kvErrors = new Counter({ name: 'porta_kv_operation_errors_total', help: 'Ephemeral store operations that failed', labelNames: ['operation'], registers });
  let engineCount: () => number = () => 0;
  new Gauge({
    name: 'porta_oidc_engines',
    help: 'OIDC engines (one per organization) kept in memory',
    registers,
    collect() {
      this.set(engineCount());
    },
  });
  const engineBuilds = new Counter({ name: 'porta_oidc_engine_builds_total', help: 'OIDC engines built (first use of an organization, new signing keys or claim names)', registers });

  // Known series start at 0, so a rate over the first increment is not lost.
  for (const outcome of LOGIN_OUTCOMES) logins.inc({ method: 'password', outcome }, 0);
  for (const grant_type of GRANT_TYPES) for (const token_type of TOKEN_TYPES) tokens.inc({ grant_type, token_type }, 0);
  for (const scope of RATE_LIMIT_SCOPES) rejections.inc({ scope }, 0);

  const method = bounded(LOGIN_METHODS);
  const outcome = bounded(LOGIN_OUTCOMES);
  const grantType = bounded(GRANT_TYPES);
  const tokenType = bounded(TOKEN_TYPES);
  const scope = bounded(RATE_LIMIT_SCOPES);
  const dbOperation = bounded(DB_OPERATIONS);
  const kvOperation = bounded(KV_OPERATIONS);

  const metrics: Metrics = {
    isEnabled: true,
    login: (m, o) => logins.inc({ method: method(m), outcome: outcome(o) }),
    lockout: () => lockouts.inc(),
    tokensIssued(grant, types) {
      for (const type of types) tokens.inc({ grant_type: grantType(grant), token_type: tokenType(type) });
    },
    rateLimited: (s) => rejections.inc({ scope: scope(s) }),
    rateLimitFailedOpen: (s) => failOpen.inc({ scope: scope(s) }),
    dbQuery(operation, seconds, isError) {
      const labels = { operation: dbOperation(operation) };
      dbDuration.observe(labels, seconds);
      if (isError) dbErrors.inc(labels);
    },
    kvCommand(operation, seconds, isError) {
      const labels = { operation: kvOperation(operation) };
      kvDuration.observe(labels, seconds);
      if (isError) kvErrors.inc(labels);
    },
    watchEngines(count) {
      engineCount = count;
    },
    engineBuilt: () => engineBuilds.inc(),
  };

  return {
    registry,
    metrics,
    async middleware(ctx, next) {
      const end = duration.startTimer();
      try {
        await next();
      } finally {
        // The route template, never the raw URL: raw paths would explode label cardinality.
        const labels = { method: ctx.method, status_code: String(ctx.status), path: routeTemplate(ctx) };
        requests.inc(labels);
        end(labels);
      }
    },
  };
}

function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute ?? ctx.state.routeTemplate;
  return typeof matched === 'string' && matched !== '' ? matched : 'unmatched';
}
