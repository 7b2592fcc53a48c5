import type { Log } from '../platform/log.js';
import type { TtlKey, TtlSettings } from './types.js';

const DEFAULTS: Record<TtlKey, number> = {
  access_token_ttl: 3600,
  id_token_ttl: 3600,
  refresh_token_ttl: 1_209_600,
  authorization_code_ttl: 600,
  session_ttl: 86_400,
  interaction_ttl: 3600,
};

export interface RefreshingTtl extends TtlSettings {
  stop(): void;
}

/**
 * The engine reads TTLs synchronously; this keeps a snapshot of the duration settings refreshed every
 * `intervalMs` so a change applies to new tokens within a minute (spec 10 §5), without a restart.
 */
export async function createTtlSettings(
  load: (key: TtlKey) => Promise<number>,
  log: Log,
  intervalMs = 30_000,
): Promise<RefreshingTtl> {
  const values: Record<TtlKey, number> = { ...DEFAULTS };
  const refresh = async () => {
    for (const key of Object.keys(DEFAULTS) as TtlKey[]) {
      try {
        values[key] = await load(key);
      } catch (err) {
        log.warn({ err, key }, 'ttl.refresh_failed');
      }
    }
  };
  await refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return { get: (key) => values[key], stop: () => clearInterval(timer) };
}
