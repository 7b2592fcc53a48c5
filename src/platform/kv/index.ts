import type { Clock } from '../clock.js';
import type { Kv } from './types.js';
import { createMemoryKv } from './memory.js';
import { createRedisKv, type KvLog } from './redis.js';

export type { Kv, KvCounter, KvSetOptions } from './types.js';
export { createMemoryKv, type MemoryKv, type MemoryKvOptions } from './memory.js';
export { KvTypeError, KvUnavailableError } from './errors.js';
export { createRedisKv, type KvLog, type RedisKv, type RedisKvOptions } from './redis.js';
export { timeKv } from './timed.js';

/** `keyPrefix` starts every Redis key (REDIS_KEY_PREFIX); the in-process store needs none. */
export type KvBackendConfig = { kind: 'memory' } | { kind: 'redis'; url: string; keyPrefix?: string };

export interface KvDeps {
  clock: Clock;
  log: KvLog;
}

/** The configured backend: Redis when REDIS_URL is set, otherwise the in-process store. */
export function createKv(config: KvBackendConfig, deps: KvDeps): Kv {
  if (config.kind === 'redis') return createRedisKv({ url: config.url, keyPrefix: config.keyPrefix ?? 'porta:', log: deps.log });
  return createMemoryKv({ clock: deps.clock });
}
