/**
 * The ephemeral store: what may be lost (sessions, interactions, codes, rate-limit counters, caches).
 * Backed by Redis (ioredis) or an in-process TTL map; callers never know which.
 * TTLs are in seconds and may be fractional (Redis receives milliseconds).
 */
export interface Kv {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /**
   * Stores `value` for `ttlSeconds`. With `onlyIfAbsent`, returns false and changes nothing when the key exists;
   * with `ownerPrefix`, when the key holds a string that does not start with it (a value someone else owns).
   */
  set(key: string, value: string, options: KvSetOptions): Promise<boolean>;
  /** Atomically reads and removes a key: a single-use value that leaves nothing behind. */
  getDel(key: string): Promise<string | null>;
  /**
   * Atomically replaces the string at `key` with `next`, keeping its expiry, only while it still holds
   * exactly `expected`; false (and nothing changed) when it is missing, expired or holds anything else.
   * Of many concurrent callers reading the same value, exactly one wins: single use that keeps a record.
   */
  compareAndSet(key: string, expected: string, next: string): Promise<boolean>;
  /** Removes keys (any type); returns how many existed. */
  delete(...keys: string[]): Promise<number>;
  /**
   * Atomically adds 1. The first increment of a missing key sets its expiry to `ttlSeconds`
   * (fixed window); later increments keep that expiry. Without `ttlSeconds` the key never expires.
   */
  increment(key: string, ttlSeconds?: number): Promise<KvCounter>;
  /**
   * Atomically takes 1 off an existing counter above zero, keeping its expiry; returns the new count,
   * or null (and nothing changed) when the key is missing. A counter at zero stays at zero.
   */
  decrement(key: string): Promise<number | null>;
  /** Remaining lifetime in seconds; null when the key is missing or has no expiry. */
  ttl(key: string): Promise<number | null>;
  /** Sets a new expiry on an existing key; false when the key is missing. */
  expire(key: string, ttlSeconds: number): Promise<boolean>;
  /** Adds members to a set; its expiry becomes the later of the current one and `ttlSeconds` from now. */
  setAdd(key: string, members: string[], ttlSeconds: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  setRemove(key: string, members: string[]): Promise<void>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface KvSetOptions {
  ttlSeconds: number;
  onlyIfAbsent?: boolean;
  /** Writes only over a missing key or a string starting with this (one atomic step, for values tagged with their owner). */
  ownerPrefix?: string;
}

export interface KvCounter {
  count: number;
  /** Seconds until the window resets; null when the counter has no expiry. */
  ttlSeconds: number | null;
}
