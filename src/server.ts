import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Porta } from './app.js';

export interface RunningServer {
  server: http.Server;
  /** `http://host:port` actually bound (port 0 resolved). */
  url: string;
  /**
   * Seed 000 graceful shutdown: stop accepting, let in-flight requests finish, close the server,
   * disconnect PostgreSQL and Redis. Resolves when all of that is done.
   */
  shutdown(): Promise<void>;
}

export async function listen(porta: Porta, options: { port: number; host: string }): Promise<RunningServer> {
  const server = http.createServer(porta.listener);
  // Slightly above common load-balancer idle timeouts so the proxy closes first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    server,
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`,
    shutdown() {
      closing ??= (async () => {
        porta.markDraining();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive sockets that go idle after their last response are closed as soon as they are idle.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        server.closeIdleConnections();
        try {
          await closed;
        } finally {
          clearInterval(sweep);
        }
        await porta.close();
      })();
      return closing;
    },
  };
}

export interface SignalOptions {
  /** Forced exit after this long (seed: 10 s). */
  graceMs?: number;
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
  /** Runs once the server and stores are closed, within the grace period (flushing buffered spans). */
  afterShutdown?: () => Promise<void>;
}

export interface SignalHandling {
  /** Starts the same shutdown for another reason than a signal (the cluster primary's drain request). */
  stop(reason: string): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

/**
 * SIGTERM/SIGINT → graceful shutdown, exit 0; still running after `graceMs` → exit 1. A shutdown starts
 * once: a second, different signal meanwhile changes nothing, and the same signal again kills the process.
 */
export function exitOnSignals(running: RunningServer, porta: Porta, options: SignalOptions = {}): SignalHandling {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? 10_000;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let isStopping = false;
  const onSignal = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    porta.log.info({ signal }, 'server.stopping');
    const killSwitch = setTimeout(() => {
      porta.log.error({ graceMs }, 'server.shutdown_timeout');
      porta.log.flush();
      exit(1);
    }, graceMs);
    running.shutdown().then(() => options.afterShutdown?.()).then(
      () => {
        clearTimeout(killSwitch);
        porta.log.info('server.stopped');
        porta.log.flush();
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(killSwitch);
        porta.log.error({ err }, 'server.shutdown_failed');
        porta.log.flush();
        exit(1);
      },
    );
  };
  for (const s of signals) process.once(s, onSignal);
  return {
    stop: onSignal,
    dispose() {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
