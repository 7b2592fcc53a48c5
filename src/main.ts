import { loadConfig, withDevSecrets, ConfigError } from './config/index.js';
import { createLog } from './platform/log.js';
import { describeBackends } from './startup-banner.js';
import type { Tracing } from './platform/tracing.js';

/** A signal during startup stops the server as soon as it is safe (never in the middle of a migration). */
let earlySignal: NodeJS.Signals | undefined;
const onEarlySignal = (signal: NodeJS.Signals) => {
  earlySignal = signal;
};
process.once('SIGTERM', onEarlySignal);
process.once('SIGINT', onEarlySignal);

async function main(): Promise<void> {
  let config;
  try {
    const loaded = withDevSecrets(loadConfig(process.env));
    config = loaded.config;
    const log = createLog({ env: config.env, level: config.logLevel });
    for (const name of config.fileOverrides) log.warn({ variable: name }, `config.file_override: ${name}_FILE wins over ${name}`);
    if (config.skippedSafetyViolations.length > 0) {
      log.error({ violations: config.skippedSafetyViolations }, 'config.safety_skipped');
    }
    if (loaded.generated.length > 0) log.info({ generated: loaded.generated, file: loaded.file }, 'config.dev_secrets_generated');
    if (config.signingKeyEncryptionKey) log.warn('config.signing_key_encryption_key_unused: SIGNING_KEY_ENCRYPTION_KEY is reserved and not used yet');

    // Tracing patches pg, ioredis, koa and http as they are imported, so the app is imported after it starts.
    let tracing: Tracing | undefined;
    if (config.tracing) {
      const { startTracing } = await import('./platform/tracing.js');
      tracing = await startTracing(config.tracing);
      // PGlite has no instrumentation: the embedded database adds no spans.
      log.info({ serviceName: config.tracing.serviceName, hasDatabaseSpans: config.database.kind === 'postgres' }, 'tracing.started');
    }
    const [{ createPorta }, { listen, exitOnSignals }, { firstRun }] = await Promise.all([import('./app.js'), import('./server.js'), import('./first-run.js')]);

    const porta = await createPorta({ config, log });
    const running = await listen(porta, config.http);
    process.off('SIGTERM', onEarlySignal);
    process.off('SIGINT', onEarlySignal);
    exitOnSignals(running, porta, { afterShutdown: () => tracing?.shutdown() ?? Promise.resolve() });
    if (earlySignal) {
      process.emit(earlySignal, earlySignal);
      return;
    }
    const { summary, database, store } = describeBackends(config);
    log.info({ url: running.url, issuer: config.issuerBaseUrl, database, store }, `server.started: ${summary}`);
    await firstRun(porta);
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

void main();
