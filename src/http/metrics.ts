import type { Context, Next } from 'koa';
import { AggregatorRegistry, Registry, Counter, Gauge, Histogram, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Metrics } from '../platform/metrics.js';
import type { ClusterWorker } from '../platform/cluster.js';
import type { ClusterPrimaryMetrics } from '../platform/cluster-primary.js';

export interface PrometheusMetrics {
  registry: Registry;
  /** What the rest of Porta records through. */
  metrics: Metrics;
  middleware: (ctx: Context, next: Next) => Promise<void>;
  /** The body of `GET /metrics`: this process's registry, or under a cluster every worker's figures added up. */
  text(): Promise<string>;
}

/** Label values outside these sets are counted as `other`: a label never grows with user input. */
const LOGIN_METHODS = ['password', 'magic_link', 'passkey'];
const LOGIN_OUTCOMES = ['success', 'failure', 'rate_limited'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'];
const TOKEN_TYPES = ['access_token', 'id_token', 'refresh_token'];
const RATE_LIMIT_SCOPES = [
  'login', 'login_ip_failures', 'magic_link', 'password_reset', '2fa_verify', 'otp_resend', 'token', 'introspection', 'device_user_code', 'admin_write',
  'admin_unauthenticated', 'registration',
];
const DB_OPERATIONS = ['select', 'insert', 'update', 'delete', 'with', 'other', 'script', 'transaction'];
const KV_OPERATIONS = ['get', 'set', 'get_del', 'compare_and_set', 'delete', 'increment', 'decrement', 'ttl', 'expire', 'set_add', 'set_members', 'set_remove'];

/** The child of a labelled metric for one (bounded) label value, made on first use and kept. */
function seriesOf<T>(make: (value: string) => T): (value: string) => T {
  const made = new Map<string, T>();
  return (value) => {
    let series = made.get(value);
    if (series === undefined) made.set(value, (series = make(value)));
    return series;
  };
}

const bounded = (allowed: readonly string[]) => {
  const known = new Set(allowed);
  return (value: string) => (known.has(value) ? value : 'other');
};

/** From a fraction of a millisecond (Redis, a cached row) to seconds (a stuck pool). */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * One registry per app, so several apps in one process (tests) never share counters. In a cluster worker
 * the registry is also handed to the primary on request, and `text()` asks the primary for the sum.
 */
export function createPrometheusMetrics(options: { cluster?: Pick<ClusterWorker, 'shareMetrics' | 'clusterMetrics'> } = {}): PrometheusMetrics {
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
    help: 'OIDC engines kept in memory (one per engine shape, each serving every organization of that shape)',
    registers,
    collect() {
      this.set(engineCount());
    },
  });
  const engineBuilds = new Counter({ name: 'porta_oidc_engine_builds_total', help: 'OIDC engines built (first use of a shape, new signing keys or claim names)', registers });

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
  // Every query and store command is timed: each operation's series is looked up once, not hashed per call.
  const dbTimings = seriesOf((operation) => dbDuration.labels({ operation }));
  const kvTimings = seriesOf((operation) => kvDuration.labels({ operation }));

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
      const op = dbOperation(operation);
      dbTimings(op).observe(seconds);
      if (isError) dbErrors.inc({ operation: op });
    },
    kvCommand(operation, seconds, isError) {
      const op = kvOperation(operation);
      kvTimings(op).observe(seconds);
      if (isError) kvErrors.inc({ operation: op });
    },
    watchEngines(count) {
      engineCount = count;
    },
    engineBuilt: () => engineBuilds.inc(),
  };

  const { cluster } = options;
  cluster?.shareMetrics(() => registry.getMetricsAsJSON());
  return {
    registry,
    metrics,
    text: cluster ? () => cluster.clusterMetrics() : () => registry.metrics(),
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

/**
 * The cluster primary's metrics: its live workers and replacements, and the sum of every worker's
 * registry (prom-client's aggregation: counters and histograms add up, as do gauges unless the metric
 * says otherwise, e.g. the Node.js version is taken from the first worker).
 */
export function createClusterPrimaryMetrics(): ClusterPrimaryMetrics {
  const registry = new Registry();
  const registers = [registry];
  const workers = new Gauge({ name: 'porta_cluster_workers', help: 'Worker processes ready to serve requests', registers });
  const replaced = new Counter({ name: 'porta_cluster_worker_restarts_total', help: 'Worker processes replaced after dying unexpectedly', registers });
  return {
    workersReady: (count) => workers.set(count),
    workerReplaced: () => replaced.inc(),
    async aggregate(perWorker) {
      const all = [...(perWorker as Array<Array<MetricObjectWithValues<MetricValue<string>>>>), await registry.getMetricsAsJSON()];
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
}
