import type { Config } from '../config/index.js';
import { MAX_WORKERS } from '../config/index.js';

/**
 * PORTA_WORKERS: how many worker processes serve the port (Node `cluster`), and the messages between
 * them and the primary. With one worker the server runs in-process, with no primary at all. The
 * supervisor itself is `cluster-primary.ts`.
 */

/** The variable the primary sets for each worker it forks: its slot, 1…N. */
export const WORKER_SLOT_VARIABLE = 'PORTA_WORKER_SLOT';

export interface WorkerPlan {
  count: number;
  /** A start-up line saying why the count is not what was asked for, or that it cannot be more. */
  notice?: { level: 'info' | 'warn'; event: string; message: string; fields: Record<string, unknown> };
}

/**
 * The number of workers: PORTA_WORKERS, or one per available core in production (Node's
 * `availableParallelism`, which follows a container's CPU quota) and 1 otherwise. The embedded database
 * and the in-process store live inside one process, so with either of them there is one.
 */
export function planWorkers(config: Pick<Config, 'env' | 'workers' | 'database' | 'kv'>, availableCores: number): WorkerPlan {
  const byDefault = config.env === 'production' ? Math.min(Math.max(1, Math.floor(availableCores)), MAX_WORKERS) : 1;
  const asked = config.workers ?? byDefault;
  const embedded = [
    config.database.kind === 'embedded' ? 'the embedded database (PGlite)' : undefined,
    config.kv.kind === 'memory' ? 'the in-process store' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (embedded.length === 0) return { count: asked };
  const isForced = config.workers !== undefined && config.workers > 1;
  const reason = `${embedded.join(' and ')} ${embedded.length > 1 ? 'belong' : 'belongs'} to one process`;
  return {
    count: 1,
    notice: {
      level: isForced ? 'warn' : 'info',
      event: 'cluster.single_process',
      message: isForced ? `PORTA_WORKERS=${config.workers} is ignored: one worker, because ${reason}` : `one worker: ${reason}`,
      fields: { workers: 1, ...(config.workers !== undefined ? { requested: config.workers } : {}) },
    },
  };
}

/** Delay before replacing a worker that died: doubles with each quick death in a row, so a crash loop does not spin. */
export function restartDelayMs(quickDeaths: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, quickDeaths));
}

export interface RestartPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** A worker that lived this long is healthy again: its next death waits only `baseDelayMs`. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { baseDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 30_000 };

/** primary → worker */
export type PrimaryMessage =
  | { type: 'porta:drain' }
  | { type: 'porta:metrics_collect'; id: number }
  | { type: 'porta:metrics_result'; id: number; text?: string; error?: string };

/** worker → primary */
export type WorkerMessage =
  | { type: 'porta:ready' }
  | { type: 'porta:metrics_collected'; id: number; metrics?: unknown; error?: string }
  | { type: 'porta:metrics_request'; id: number };

export function isPortaMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('porta:');
}

/** What a worker process knows of its cluster (src/main.ts hands it to createPorta). */
export interface ClusterWorker {
  /** 1…N. */
  slot: number;
  /** Slot 1 does the once-only start-up work (migrations, signing keys, first run) and runs the periodic purges. */
  isFirst: boolean;
  /** Calls `stop` when the primary asks this worker to drain; at once if it already has. */
  onDrain(stop: () => void): void;
  /** Start-up is complete: the primary starts the next workers or reports the cluster started. */
  ready(): void;
  /** Answers the primary's requests for this worker's metrics (prom-client's JSON form). */
  shareMetrics(collect: () => Promise<unknown>): void;
  /** Every worker's metrics added up by the primary, in Prometheus text format. */
  clusterMetrics(): Promise<string>;
}

const CLUSTER_METRICS_TIMEOUT_MS = 5_000;

/** The worker's side of the IPC channel, in a process the primary forked (`process.send` exists). */
export function joinCluster(slotValue: string | undefined): ClusterWorker {
  const send = (message: WorkerMessage) => process.send?.(message);
  const slot = Number(slotValue);
  if (!process.send || !Number.isInteger(slot) || slot < 1) throw new Error(`not a Porta worker process (${WORKER_SLOT_VARIABLE}=${slotValue ?? ''})`);
  let isDrainRequested = false;
  let onDrain: (() => void) | undefined;
  let collect: (() => Promise<unknown>) | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  process.on('message', (message: unknown) => {
    if (!isPortaMessage<PrimaryMessage>(message)) return;
    if (message.type === 'porta:drain') {
      isDrainRequested = true;
      onDrain?.();
    } else if (message.type === 'porta:metrics_collect') {
      void (collect ? collect() : Promise.resolve([])).then(
        (metrics) => send({ type: 'porta:metrics_collected', id: message.id, metrics }),
        (err: unknown) => send({ type: 'porta:metrics_collected', id: message.id, error: String(err) }),
      );
    } else if (message.type === 'porta:metrics_result') {
      const request = pending.get(message.id);
      if (!request) return;
      pending.delete(message.id);
      clearTimeout(request.timer);
      if (message.text !== undefined) request.resolve(message.text);
      else request.reject(new Error(message.error ?? 'no metrics'));
    }
  });

  return {
    slot,
    isFirst: slot === 1,
    onDrain(stop) {
      onDrain = stop;
      if (isDrainRequested) stop();
    },
    ready: () => void send({ type: 'porta:ready' }),
    shareMetrics(fn) {
      collect = fn;
    },
    clusterMetrics() {
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the primary did not answer within ${CLUSTER_METRICS_TIMEOUT_MS} ms`));
        }, CLUSTER_METRICS_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        send({ type: 'porta:metrics_request', id });
      });
    },
  };
}
