import { register } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { TracingConfig } from '../config/index.js';

/**
 * What the instrumentations patch. Porta is ESM, so `pg`, `ioredis`, `koa` and `http` are patched by
 * import-in-the-middle's loader hook as they are imported, which only sees imports made after the hook
 * is registered: main.ts starts tracing before it imports the app. The hook wraps these modules alone.
 */
const INSTRUMENTED_MODULES = ['http', 'node:http', 'koa', 'pg', 'ioredis'];

/** Probes and scrapes would bury the requests worth reading. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** Query parameters whose values never reach a span: credentials, and hints that carry personal data. */
const REDACTED_QUERY_PARAMS = [
  'code', 'access_token', 'id_token', 'refresh_token', 'token', 'client_secret', 'code_verifier', 'password',
  'id_token_hint', 'login_hint', 'logout_hint', 'request',
];

export interface Tracing {
  /** Exports the spans still buffered. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Instead of the exporter the `OTEL_*` variables describe (tests: an in-memory exporter). */
  spanProcessors?: NodeSDKConfiguration['spanProcessors'];
}

/**
 * Starts OpenTelemetry tracing with the http, koa, pg and ioredis instrumentations. Spans go to the
 * OTLP endpoint of `OTEL_EXPORTER_OTLP_ENDPOINT` (protocol, headers and sampler from the SDK's other
 * standard variables). Must run before anything imports those modules. PGlite has no instrumentation:
 * with the embedded database, traces show HTTP, Koa and Redis spans but no database spans.
 */
export async function startTracing(config: TracingConfig, options: TracingOptions = {}): Promise<Tracing> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: INSTRUMENTED_MODULES } });
  const [{ NodeSDK }, { HttpInstrumentation }, { KoaInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-koa'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    // Traces only: Porta's metrics are served at /metrics and its logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        redactedQueryParamsServer: REDACTED_QUERY_PARAMS,
      }),
      new KoaInstrumentation(),
      // Timers (session purge, audit retention) would otherwise start a trace of their own every run.
      new PgInstrumentation({ requireParentSpan: true }),
      // The command name only: keys name sessions, codes and tokens.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  return sdk;
}
