import { timed, type OperationTiming } from '../timing.js';
import type { Kv } from './types.js';

/** `kv` with every operation timed under its method's name (snake_case), on either backend. */
export function timeKv(kv: Kv, record: OperationTiming): Kv {
  return {
    kind: kv.kind,
    get: (key) => timed(record, 'get', () => kv.get(key)),
    set: (key, value, options) => timed(record, 'set', () => kv.set(key, value, options)),
    getDel: (key) => timed(record, 'get_del', () => kv.getDel(key)),
    compareAndSet: (key, expected, next) => timed(record, 'compare_and_set', () => kv.compareAndSet(key, expected, next)),
    delete: (...keys) => timed(record, 'delete', () => kv.delete(...keys)),
    increment: (key, ttlSeconds) => timed(record, 'increment', () => kv.increment(key, ttlSeconds)),
    decrement: (key) => timed(record, 'decrement', () => kv.decrement(key)),
    ttl: (key) => timed(record, 'ttl', () => kv.ttl(key)),
    expire: (key, ttlSeconds) => timed(record, 'expire', () => kv.expire(key, ttlSeconds)),
    setAdd: (key, members, ttlSeconds) => timed(record, 'set_add', () => kv.setAdd(key, members, ttlSeconds)),
    setMembers: (key) => timed(record, 'set_members', () => kv.setMembers(key)),
    setRemove: (key, members) => timed(record, 'set_remove', () => kv.setRemove(key, members)),
    ping: () => kv.ping(),
    close: () => kv.close(),
  };
}
