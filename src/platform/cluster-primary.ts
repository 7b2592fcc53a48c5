import cluster, { type Worker } from 'node:cluster';
import type { Log } from './log.js';
import {
  DEFAULT_RESTART_POLICY, WORKER_SLOT_VARIABLE, isPortaMessage, restartDelayMs,
  type PrimaryMessage, type RestartPolicy, type WorkerMessage,
} from './cluster.js';

/** The primary's own figures and the sum of its workers' (implemented with prom-client in http/metrics.ts). */
export interface ClusterPrimaryMetrics {
  workersReady(count: number): void;
  workerReplaced(): void;
  /** Prometheus text of every worker's metrics (prom-client JSON, one entry a worker) added up, plus the primary's. */
  aggregate(perWorker: unknown[]): Promise<string>;
}

export interface PrimaryOptions {
  count: number;
  log: Log;
  /** Called once, when every worker of the first start is ready. */
  onStarted(started: { url: string; pids: number[] }): void;
  /** Absent unless METRICS_ENABLED. */
  metrics?: ClusterPrimaryMetrics;
  /** A draining worker still alive this long after the drain began is killed (its own kill switch is 10 s). */
  drainTimeoutMs?: number;
  restartPolicy?: RestartPolicy;
  exit?: (code: number) => void;
}

interface Slot {
  worker?: Worker;
  forkedAt: number;
  isReady: boolean;
  quickDeaths: number;
  restartTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
}

const COLLECT_TIMEOUT_MS = 3_000;
const DUPLICATE_SIGNAL_MS = 1_000;

/**
 * The primary process: forks worker 1, which does the once-only start-up work (migrations, signing keys,
 * first run) before it listens, then the others once it is ready. All share the port; connections are
 * dealt round-robin. A worker that dies is replaced after a growing delay. SIGTERM/SIGINT drain every
 * worker (each finishes its in-flight requests) and exit 0; a second signal kills them and exits 1.
 */
export function runPrimary(options: PrimaryOptions): void {
  const { count, log, metrics } = options;
  const policy = options.restartPolicy ?? DEFAULT_RESTART_POLICY;
  const drainTimeoutMs = options.drainTimeoutMs ?? 15_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // Round-robin is Node's default on Linux; said explicitly so it does not depend on the platform.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const slots = new Map<number, Slot>();
  for (let n = 1; n <= count; n++) slots.set(n, { forkedAt: 0, isReady: false, quickDeaths: 0 });
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  /** Worker 1 has been ready once: the once-only start-up work is done. */
  let hasStarted = false;
  let url = '';
  let exitCode = 0;

  const live = () => [...slots.values()].filter((s) => s.worker !== undefined);
  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message, () => undefined);
  };

  function fork(n: number): void {
    const slot = slots.get(n)!;
    const worker = cluster.fork({ [WORKER_SLOT_VARIABLE]: String(n) });
    Object.assign(slot, { worker, forkedAt: Date.now(), isReady: false, restartTimer: undefined });
    worker.on('error', (err) => log.warn({ err, worker: n }, 'cluster.ipc_error'));
    worker.on('listening', (address) => {
      if (!url) url = urlOf(address);
    });
    worker.on('message', (message: unknown) => {
      if (isPortaMessage<WorkerMessage>(message)) onMessage(n, worker, message);
    });
    worker.on('exit', (code, signal) => onExit(n, worker, code, signal));
  }

  function onMessage(n: number, worker: Worker, message: WorkerMessage): void {
    const slot = slots.get(n)!;
    if (message.type === 'porta:ready') {
      slot.isReady = true;
      metrics?.workersReady(live().filter((s) => s.isReady).length);
      if (phase === 'stopping') return armKill(slot);
      if (phase === 'running') return log.info({ worker: n, pid: worker.process.pid }, 'cluster.worker_replaced');
      if (n === 1 && !hasStarted) {
        hasStarted = true;
        for (let next = 2; next <= count; next++) fork(next);
      }
      if ([...slots.values()].every((s) => s.isReady)) {
        phase = 'running';
        options.onStarted({ url, pids: live().map((s) => s.worker!.process.pid!) });
      }
    } else if (message.type === 'porta:metrics_request') {
      void collectMetrics().then(
        (text) => send(worker, { type: 'porta:metrics_result', id: message.id, text }),
        (err: unknown) => send(worker, { type: 'porta:metrics_result', id: message.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  }

  function onExit(n: number, worker: Worker, code: number | null, signal: string | null): void {
    const slot = slots.get(n)!;
    if (slot.worker !== worker) return;
    clearTimeout(slot.killTimer);
    Object.assign(slot, { worker: undefined, isReady: false, killTimer: undefined });
    metrics?.workersReady(live().filter((s) => s.isReady).length);
    if (phase === 'stopping') {
      if (code !== 0) exitCode = 1;
      if (live().length === 0) finish();
      return;
    }
    if (!hasStarted) {
      // Worker 1's first start failed (database unreachable, a migration refused…) and it said why;
      // no other worker exists yet. Exit as a single process would.
      log.error({ worker: n, pid: worker.process.pid, code, signal }, 'cluster.start_failed');
      log.flush();
      return exit(1);
    }
    slot.quickDeaths = Date.now() - slot.forkedAt >= policy.stableAfterMs ? 0 : slot.quickDeaths + 1;
    const delayMs = restartDelayMs(slot.quickDeaths - 1, policy);
    log.error({ worker: n, pid: worker.process.pid, code, signal, restartInMs: delayMs, quickDeaths: slot.quickDeaths }, 'cluster.worker_died');
    metrics?.workerReplaced();
    slot.restartTimer = setTimeout(() => fork(n), delayMs);
  }

  /** Every ready worker's metrics; a worker that does not answer fails the scrape rather than lowering the sums. */
  let collectId = 0;
  const collecting = new Map<number, (worker: Worker, metrics: unknown, error?: string) => void>();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isPortaMessage<WorkerMessage>(message) && message.type === 'porta:metrics_collected') collecting.get(message.id)?.(worker, message.metrics, message.error);
  });
  async function collectMetrics(): Promise<string> {
    if (!metrics) throw new Error('metrics are off');
    const workers = live().filter((s) => s.isReady && s.worker!.isConnected()).map((s) => s.worker!);
    const id = collectId++;
    const answers = new Map<Worker, unknown>();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${workers.length - answers.size} of ${workers.length} workers did not answer within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
        collecting.set(id, (worker, data, error) => {
          if (error !== undefined) return reject(new Error(error));
          answers.set(worker, data);
          if (answers.size === workers.length) {
            clearTimeout(timer);
            resolve();
          }
        });
        for (const worker of workers) send(worker, { type: 'porta:metrics_collect', id });
        if (workers.length === 0) resolve();
      });
    } finally {
      collecting.delete(id);
    }
    return metrics.aggregate([...answers.values()]);
  }

  function armKill(slot: Slot): void {
    clearTimeout(slot.killTimer);
    slot.killTimer = setTimeout(() => {
      log.error({ pid: slot.worker?.process.pid, drainTimeoutMs }, 'cluster.drain_timeout');
      slot.worker?.process.kill('SIGKILL');
    }, drainTimeoutMs);
  }

  let stopping: { reason: string; at: number } | undefined;
  function stop(reason: string): void {
    if (phase === 'stopping') {
      // The same signal again at once is one request delivered twice (to the process group and by a
      // parent that forwards it, as npm and timeout do), not an operator insisting.
      if (stopping && reason === stopping.reason && Date.now() - stopping.at < DUPLICATE_SIGNAL_MS) return;
      log.error({ signal: reason }, 'server.forced_exit: a second signal; killing the workers');
      for (const s of live()) s.worker!.process.kill('SIGKILL');
      log.flush();
      return exit(1);
    }
    phase = 'stopping';
    stopping = { reason, at: Date.now() };
    log.info({ signal: reason, workers: live().length }, 'server.stopping');
    for (const slot of slots.values()) {
      clearTimeout(slot.restartTimer);
      if (!slot.worker) continue;
      send(slot.worker, { type: 'porta:drain' });
      // A worker still starting drains once it is up (never in the middle of a migration).
      if (slot.isReady) armKill(slot);
    }
    if (live().length === 0) finish();
  }

  function finish(): void {
    if (exitCode === 0) log.info('server.stopped');
    else log.error({ exitCode }, 'server.stopped: not every worker stopped cleanly');
    log.flush();
    exit(exitCode);
  }

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  fork(1);
}

function urlOf(address: { address: string | null; port: number; addressType: number | string }): string {
  const host = address.address === null || address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
