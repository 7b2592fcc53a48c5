import { systemClock, type Clock } from '../clock.js';
import type { Kv, KvCounter, KvSetOptions } from './types.js';
import { KvTypeError, kvClosedError, ttlToMs } from './errors.js';

const wrongType = (key: string) =>
  new KvTypeError('kv_wrong_type', `WRONGTYPE: key "${key}" holds a value of another type`);

type Entry = ({ type: 'string'; value: string } | { type: 'set'; members: Set<string> }) & {
  /** Epoch ms on the injected clock; null never expires. */
  expiresAt: number | null;
};

export interface MemoryKvOptions {
  clock?: Clock;
  /** Prepended to every key, for parity with Redis; each memory store has its own map anyway. */
  keyPrefix?: string;
  /** How often expired keys that nobody reads again are dropped (default 30 s of real time). */
  sweepIntervalMs?: number;
}

export interface MemoryKv extends Kv {
  readonly kind: 'memory';
  /** Drops every expired entry now; returns how many. */
  sweep(): number;
  /** Entries held, expired or not (tests). */
  size(): number;
}

/**
 * In-process TTL map with Redis semantics: strings, counters and sets share one keyspace,
 * `set` replaces a key of any type, and reading a key as the wrong type throws `KvTypeError`
 * rather than pretending it is missing. A key expires once the clock reaches its expiry.
 */
export function createMemoryKv(options: MemoryKvOptions = {}): MemoryKv {
  const clock = options.clock ?? systemClock;
  const prefix = options.keyPrefix ?? '';
  const data = new Map<string, Entry>();
  let isClosed = false;

  const sweep = (): number => {
    const now = clock.now();
    let removed = 0;
    for (const [k, entry] of data) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) {
        data.delete(k);
        removed++;
      }
    }
    return removed;
  };
  // unref: a forgotten store must not keep the process alive.
  const timer = setInterval(sweep, options.sweepIntervalMs ?? 30_000);
  timer.unref();

  const open = () => {
    if (isClosed) throw kvClosedError();
  };
  const read = (key: string): Entry | undefined => {
    const entry = data.get(prefix + key);
    if (entry?.expiresAt != null && entry.expiresAt <= clock.now()) {
      data.delete(prefix + key);
      return undefined;
    }
    return entry;
  };
  const readString = (key: string): Extract<Entry, { type: 'string' }> | undefined => {
    const entry = read(key);
    if (entry && entry.type !== 'string') throw wrongType(key);
    return entry;
  };
  const readSet = (key: string): Extract<Entry, { type: 'set' }> | undefined => {
    const entry = read(key);
    if (entry && entry.type !== 'set') throw wrongType(key);
    return entry;
  };
  const remaining = (entry: Entry): number | null =>
    entry.expiresAt === null ? null : (entry.expiresAt - clock.now()) / 1000;

  return {
    kind: 'memory',
    sweep,
    size: () => data.size,

    async get(key) {
      open();
      return readString(key)?.value ?? null;
    },

    async set(key, value, { ttlSeconds, onlyIfAbsent, ownerPrefix }: KvSetOptions) {
      open();
      const ms = ttlToMs(ttlSeconds);
      if (onlyIfAbsent && read(key)) return false;
      if (ownerPrefix !== undefined) {
        const current = readString(key);
        if (current && !current.value.startsWith(ownerPrefix)) return false;
      }
      data.set(prefix + key, { type: 'string', value, expiresAt: clock.now() + ms });
      return true;
    },

    async getDel(key) {
      open();
      const entry = readString(key);
      if (!entry) return null;
      data.delete(prefix + key);
      return entry.value;
    },

    async compareAndSet(key, expected, next) {
      open();
      // No await between the read and the write: nothing else runs in between.
      const entry = readString(key);
      if (entry?.value !== expected) return false;
      entry.value = next;
      return true;
    },

    async delete(...keys) {
      open();
      let count = 0;
      for (const key of keys) {
        if (read(key)) {
          data.delete(prefix + key);
          count++;
        }
      }
      return count;
    },

    async increment(key, ttlSeconds): Promise<KvCounter> {
      open();
      const ms = ttlSeconds === undefined ? null : ttlToMs(ttlSeconds);
      const entry = readString(key);
      const current = entry ? parseCounter(entry.value) : 0;
      if (current === null || current >= Number.MAX_SAFE_INTEGER) {
        throw new KvTypeError('kv_not_integer', `key "${key}" does not hold an integer counter`);
      }
      const next: Entry = { type: 'string', value: String(current + 1), expiresAt: entry?.expiresAt ?? null };
      // Like PEXPIRE NX: only a counter without expiry gets one, so a window is never extended.
      if (ms !== null && next.expiresAt === null) next.expiresAt = clock.now() + ms;
      data.set(prefix + key, next);
      return { count: current + 1, ttlSeconds: remaining(next) };
    },

    async decrement(key) {
      open();
      const entry = readString(key);
      if (!entry) return null;
      const current = parseCounter(entry.value);
      if (current === null) throw new KvTypeError('kv_not_integer', `key "${key}" does not hold an integer counter`);
      if (current <= 0) return current;
      entry.value = String(current - 1);
      return current - 1;
    },

    async ttl(key) {
      open();
      const entry = read(key);
      return entry ? remaining(entry) : null;
    },

    async expire(key, ttlSeconds) {
      open();
      const ms = ttlToMs(ttlSeconds);
      const entry = read(key);
      if (!entry) return false;
      entry.expiresAt = clock.now() + ms;
      return true;
    },

    async setAdd(key, members, ttlSeconds) {
      open();
      const expiresAt = clock.now() + ttlToMs(ttlSeconds);
      if (members.length === 0) return;
      const entry = readSet(key);
      if (!entry) {
        data.set(prefix + key, { type: 'set', members: new Set(members), expiresAt });
        return;
      }
      for (const m of members) entry.members.add(m);
      // A set without expiry already outlives any new one.
      if (entry.expiresAt !== null && entry.expiresAt < expiresAt) entry.expiresAt = expiresAt;
    },

    async setMembers(key) {
      open();
      return [...(readSet(key)?.members ?? [])];
    },

    async setRemove(key, members) {
      open();
      if (members.length === 0) return;
      const entry = readSet(key);
      if (!entry) return;
      for (const m of members) entry.members.delete(m);
      // Redis deletes a set when its last member goes.
      if (entry.members.size === 0) data.delete(prefix + key);
    },

    async ping() {
      open();
    },

    async close() {
      isClosed = true;
      clearInterval(timer);
      data.clear();
    },
  };
}

/** Redis INCR accepts only canonical 64-bit integers; we also stay within safe JS integers. */
function parseCounter(value: string): number | null {
  if (!/^(0|-?[1-9]\d*)$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}
