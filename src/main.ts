import cluster from 'node:cluster';
import os from 'node:os';
import { loadConfig, withDevSecrets, ConfigError, type Config } from './config/index.js';
import { createLog, type Log } from './platform/log.js';
import { joinCluster, planWorkers, WORKER_SLOT_VARIABLE, type ClusterWorker } from './platform/cluster.js';
import { describeBackends } from './startup-banner.js';
import type { Tracing } from './platform/tracing.js';

/** A signal during startup stops the server as soon as it is safe (never in the middle of a migration). */
let earlySignal: string | undefined;
const onEarlySignal = (signal: string) => {
  earlySignal = signal;
};
process.once('SIGTERM', onEarlySignal);
process.once('SIGINT', onEarlySignal);

async function main(): Promise<void> {
  try {
    const loaded = withDevSecrets(loadConfig(process.env));
    const { config } = loaded;
    const slot = process.env[WORKER_SLOT_VARIABLE];
    const worker = cluster.isWorker && slot !== undefined ? joinCluster(slot) : undefined;
    const processLog = createLog({ env: config.env, level: config.logLevel });
    const log = worker ? processLog.child({ worker: worker.slot, pid: process.pid }) : processLog;
    if (worker) return await serve(config, log, worker);

    // Said once, by the process the operator started (a cluster's workers load the same configuration).
    for (const name of config.fileOverrides) log.warn({ variable: name }, `config.file_override: ${name}_FILE wins over ${name}`);
    if (config.skippedSafetyViolations.length > 0) {
      log.error({ violations: config.skippedSafetyViolations }, 'config.safety_skipped');
    }
    if (loaded.generated.length > 0) log.info({ generated: loaded.generated, file: loaded.file }, 'config.dev_secrets_generated');
    if (config.signingKeyEncryptionKey) log.warn('config.signing_key_encryption_key_unused: SIGNING_KEY_ENCRYPTION_KEY is reserved and not used yet');
    const plan = planWorkers(config, os.availableParallelism());
    if (plan.notice) log[plan.notice.level](plan.notice.fields, `${plan.notice.event}: ${plan.notice.message}`);
    if (plan.count > 1 && cluster.isWorker) {
      log[config.workers === undefined ? 'info' : 'warn']({ workers: 1 }, 'cluster.nested: this process is a worker of another cluster (PM2 cluster mode, say): one process');
    } else if (plan.count > 1) return await supervise(config, log, plan.count);
    await serve(config, log, undefined);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`porta: ${err.message}\n`);
    } else {
      process.stderr.write(`porta: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exitCode = 1;
    // Give pino a moment to flush asynchronous writes before exiting.
    setTimeout(() => process.exit(1), 50).unref();
  }
}

/** The primary of PORTA_WORKERS > 1: no app of its own, only the workers (and, with metrics, their sum). */
async function supervise(config: Readonly<Config>, log: Log, count: number): Promise<void> {
  const [{ runPrimary }, metrics] = await Promise.all([
    import('./platform/cluster-primary.js'),
    config.metricsEnabled ? import('./http/metrics.js').then((m) => m.createClusterPrimaryMetrics()) : undefined,
  ]);
  const { summary, database, store } = describeBackends(config);
  process.off('SIGTERM', onEarlySignal);
  process.off('SIGINT', onEarlySignal);
  // No worker has started yet: a signal that came while the configuration was read ends it here.
  if (earlySignal) return process.exit(0);
  runPrimary({
    count, log, metrics,
    onStarted: ({ url, pids }) => log.info({ url, issuer: config.issuerBaseUrl, database, store, workers: count, pids }, `server.started: ${summary}; ${count} workers`),
  });
}

/** One server: the whole of Porta without PORTA_WORKERS, or one worker of a cluster. */
async function serve(config: Readonly<Config>, log: Log, worker: ClusterWorker | undefined): Promise<void> {
  const isFirst = worker === undefined || worker.isFirst;
  // Tracing patches pg, ioredis, koa and http as they are imported, so the app is imported after it starts.
  let tracing: Tracing | undefined;
  if (config.tracing) {
    const { startTracing } = await import('./platform/tracing.js');
    tracing = await startTracing(config.tracing);
    // PGlite has no instrumentation: the embedded database adds no spans.
    if (isFirst) log.info({ serviceName: config.tracing.serviceName, hasDatabaseSpans: config.database.kind === 'postgres' }, 'tracing.started');
  }
  const [{ createPorta }, { listen, exitOnSignals }, { firstRun }] = await Promise.all([import('./app.js'), import('./server.js'), import('./first-run.js')]);

  const porta = await createPorta({ config, log, cluster: worker });
  const running = await listen(porta, config.http);
  process.off('SIGTERM', onEarlySignal);
  process.off('SIGINT', onEarlySignal);
  const signals = exitOnSignals(running, porta, { afterShutdown: () => tracing?.shutdown() ?? Promise.resolve() });
  // A drain asked for during start-up runs now.
  worker?.onDrain(() => signals.stop('drain'));
  if (earlySignal) return signals.stop(earlySignal);
  if (worker) log.debug({ url: running.url }, 'cluster.worker_listening');
  else {
    const { summary, database, store } = describeBackends(config);
    log.info({ url: running.url, issuer: config.issuerBaseUrl, database, store }, `server.started: ${summary}`);
  }
  if (isFirst) await firstRun(porta);
  worker?.ready();
}

void main();
