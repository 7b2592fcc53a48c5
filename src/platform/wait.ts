import type { Log } from './log.js';

/** Retries `probe` once a second until it succeeds or `timeoutSeconds` pass, logging each retry. */
export async function waitUntilReachable(
  name: string,
  probe: () => Promise<void>,
  options: { timeoutSeconds: number; log: Log; intervalMs?: number },
): Promise<void> {
  const interval = options.intervalMs ?? 1000;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await probe();
      if (attempt > 1) options.log.info({ service: name, attempts: attempt }, 'startup.service_reachable');
      return;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (Date.now() + interval > deadline) {
        throw new Error(`${name} is not reachable after ${options.timeoutSeconds} s (PORTA_WAIT_TIMEOUT): ${reason}`, { cause: err });
      }
      options.log.warn({ service: name, attempt, reason }, `startup.waiting_for_${name.toLowerCase()}`);
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}
