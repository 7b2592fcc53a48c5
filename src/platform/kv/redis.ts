import { Redis, Cluster, type RedisOptions, type ClusterOptions } from 'ioredis';
import type { Kv, KvCounter } from './types.js';
import { KvTypeError, KvUnavailableError, kvClosedError, ttlToMs } from './errors.js';

export interface KvLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface RedisKvOptions {
  /**
   * `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), a cluster as
   * `redis+cluster://[user:pass@]host1:port,host2:port[?tls=true]` (any reachable nodes; the rest is discovered),
   * or Sentinel as `redis+sentinel://[user:pass@]host1:port,host2:port/mastername[?tls=true]`
   * (the credentials are the master's; sentinels are contacted without auth).
   */
  url: string;
  /** Prepended by ioredis to every key (e.g. `porta:`). */
  keyPrefix?: string;
  /** How long an operation waits for a (re)connection before failing (default 1500 ms). */
  connectTimeoutMs?: number;
  /** How long a sent command waits for its reply (default 1500 ms). */
  commandTimeoutMs?: number;
  log?: KvLog;
}

export interface RedisKv extends Kv {
  readonly kind: 'redis';
  /** SCAN-deletes every key under this store's keyPrefix (tests); refuses without a prefix. Returns how many. */
  clearNamespace(): Promise<number>;
}

type Client = Redis | Cluster;

interface KvScripts {
  kvIncrement(key: string, ttlMs: number): Promise<[number, number]>;
  kvSetAdd(key: string, ttlMs: number, ...members: string[]): Promise<number>;
  kvCompareAndSet(key: string, expected: string, next: string): Promise<number>;
  kvDecrement(key: string): Promise<[number, number]>;
  kvSetOwned(key: string, value: string, ownerPrefix: string, ttlMs: number): Promise<number>;
}

// Atomic so a crash between INCR and PEXPIRE cannot leave a counter that never resets.
// Expiry is set only when the key has none (PEXPIRE NX semantics): a window is never extended.
const INCREMENT_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, redis.call('PTTL', KEYS[1])}`;

// -2 before SADD: a new set. -1: it never expires, which is already the later of the two.
const SET_ADD_LUA = `
local ttl = tonumber(ARGV[1])
local current = redis.call('PTTL', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
if current == -2 or (current >= 0 and current < ttl) then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1`;

// GET raises WRONGTYPE on a non-string, like every other string operation; a missing key reads as false.
const COMPARE_AND_SET_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

// {0, 0}: no such key. DECR keeps the expiry; a counter at zero is left alone.
const DECREMENT_LUA = `
local current = redis.call('GET', KEYS[1])
if not current then
  return {0, 0}
end
local n = tonumber(current)
if n == nil or n ~= math.floor(n) then
  return redis.error_reply('ERR value is not an integer or out of range')
end
if n <= 0 then
  return {1, n}
end
return {1, redis.call('DECR', KEYS[1])}`;

// The owner check and the write in one step: no other client's SET lands in between.
const SET_OWNED_LUA = `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, string.len(ARGV[2])) ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

const MAX_BACKOFF_MS = 2000;

// Never give up: the same client must recover when Redis returns (/health goes 503 → 200 without a restart).
// The cap bounds how long after Redis returns we notice.
const retryStrategy = (times: number) =>
  Math.min(100 * 2 ** Math.min(times - 1, 5), MAX_BACKOFF_MS) + Math.floor(Math.random() * 100);

export function createRedisKv(options: RedisKvOptions): RedisKv {
  const keyPrefix = options.keyPrefix ?? '';
  const connectTimeoutMs = options.connectTimeoutMs ?? 1500;
  const client = connect(options.url, {
    keyPrefix,
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? 1500,
    // Fail instead of queueing while disconnected; `whenReady` decides whether to wait briefly.
    // Not resending unanswered commands keeps a timed-out INCR or GETDEL from running twice.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // After a failover the old primary answers READONLY; reconnecting finds the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    // Commands of concurrent requests issued in the same tick leave in one write: under load, far
    // fewer system calls per command (each request's own commands still run in its order).
    enableAutoPipelining: true,
  });
  client.defineCommand('kvIncrement', { numberOfKeys: 1, lua: INCREMENT_LUA });
  client.defineCommand('kvSetAdd', { numberOfKeys: 1, lua: SET_ADD_LUA });
  client.defineCommand('kvCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
  client.defineCommand('kvDecrement', { numberOfKeys: 1, lua: DECREMENT_LUA });
  client.defineCommand('kvSetOwned', { numberOfKeys: 1, lua: SET_OWNED_LUA });
  const scripts = client as Client & KvScripts;

  let isClosed = false;
  let isDown = false;
  let lastError = 'not connected yet';
  const unreachable = () => new KvUnavailableError('kv_unavailable', `Redis is not reachable: ${lastError}`);

  /** Operations waiting for a connection; settled by 'ready', a failed attempt, close() or their timer. */
  const waiters = new Set<(err?: Error) => void>();
  const settleWaiters = (err?: Error) => {
    for (const settle of [...waiters]) settle(err);
  };

  // Without an 'error' listener ioredis reports every failed reconnect; log only the transition.
  client.on('error', (err: unknown) => {
    lastError = describeError(err);
    settleWaiters(unreachable());
    if (isClosed || isDown) return;
    isDown = true;
    options.log?.warn({ service: 'redis', reason: lastError }, 'kv.unavailable');
  });
  client.on('ready', () => {
    settleWaiters();
    if (!isDown) return;
    isDown = false;
    const log = options.log;
    if (log?.info) log.info({ service: 'redis' }, 'kv.recovered');
    else log?.warn({ service: 'redis' }, 'kv.recovered');
  });

  /**
   * While connecting (startup, or a reconnect not yet known to fail) an operation waits up to
   * connectTimeoutMs; once a connection attempt has failed it fails at once, so an outage
   * costs callers no latency.
   */
  function whenReady(): Promise<void> | void {
    if (client.status === 'ready') return;
    if (isDown) throw unreachable();
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        waiters.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settle(unreachable()), connectTimeoutMs);
      waiters.add(settle);
    });
  }

  async function run<T>(op: () => Promise<T>): Promise<T> {
    if (isClosed) throw kvClosedError();
    await whenReady();
    try {
      return await op();
    } catch (err) {
      throw translate(err, isClosed);
    }
  }

  // A cluster rejects multi-key DEL across slots, so it deletes one key at a time.
  async function deleteKeys(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!(client instanceof Cluster)) return client.del(...keys);
    const counts = await Promise.all(keys.map((k) => client.del(k)));
    return counts.reduce((a, b) => a + b, 0);
  }

  return {
    kind: 'redis',

    get: (key) => run(() => client.get(key)),

    async set(key, value, { ttlSeconds, onlyIfAbsent, ownerPrefix }) {
      const ms = ttlToMs(ttlSeconds);
      if (ownerPrefix !== undefined && !onlyIfAbsent) return (await run(() => scripts.kvSetOwned(key, value, ownerPrefix, ms))) === 1;
      const reply = await run(() =>
        onlyIfAbsent ? client.set(key, value, 'PX', ms, 'NX') : client.set(key, value, 'PX', ms),
      );
      return reply === 'OK';
    },

    getDel: (key) => run(() => client.getdel(key)),

    compareAndSet: async (key, expected, next) => (await run(() => scripts.kvCompareAndSet(key, expected, next))) === 1,

    delete: (...keys) => run(() => deleteKeys(keys)),

    async increment(key, ttlSeconds): Promise<KvCounter> {
      const ms = ttlSeconds === undefined ? 0 : ttlToMs(ttlSeconds);
      const [count, pttl] = await run(() => scripts.kvIncrement(key, ms));
      return { count: Number(count), ttlSeconds: pttl >= 0 ? pttl / 1000 : null };
    },

    async decrement(key) {
      const [exists, count] = await run(() => scripts.kvDecrement(key));
      return exists === 1 ? Number(count) : null;
    },

    async ttl(key) {
      const pttl = await run(() => client.pttl(key));
      return pttl >= 0 ? pttl / 1000 : null;
    },

    async expire(key, ttlSeconds) {
      const ms = ttlToMs(ttlSeconds);
      return (await run(() => client.pexpire(key, ms))) === 1;
    },

    async setAdd(key, members, ttlSeconds) {
      const ms = ttlToMs(ttlSeconds);
      if (members.length === 0) return;
      await run(() => scripts.kvSetAdd(key, ms, ...members));
    },

    setMembers: (key) => run(() => client.smembers(key)),

    async setRemove(key, members) {
      if (members.length === 0) return;
      await run(() => client.srem(key, ...members));
    },

    async ping() {
      await run(() => client.ping());
    },

    async close() {
      if (isClosed) return;
      isClosed = true;
      settleWaiters(kvClosedError());
      try {
        if (client.status === 'ready') await client.quit();
      } catch {
        // quit is a courtesy; disconnect below always releases the socket.
      } finally {
        if (client.status !== 'end') client.disconnect();
      }
    },

    async clearNamespace() {
      if (!keyPrefix) throw new Error('clearNamespace needs a keyPrefix; refusing to clear the whole database');
      return run(async () => {
        // SCAN patterns are not prefixed by ioredis, and a cluster must be scanned node by node.
        const nodes = client instanceof Cluster ? client.nodes('master') : [client];
        const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
        let deleted = 0;
        for (const node of nodes) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
            cursor = next;
            deleted += await deleteKeys(keys.map((k) => k.slice(keyPrefix.length)));
          } while (cursor !== '0');
        }
        return deleted;
      });
    },
  };
}

type CommonOptions = Pick<
  RedisOptions,
  | 'keyPrefix'
  | 'connectTimeout'
  | 'commandTimeout'
  | 'maxRetriesPerRequest'
  | 'enableOfflineQueue'
  | 'autoResendUnfulfilledCommands'
  | 'reconnectOnError'
  | 'enableAutoPipelining'
>;

function connect(url: string, common: CommonOptions): Client {
  const scheme = url.slice(0, url.indexOf('://')).toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') return new Redis(url, { ...common, retryStrategy });
  const parsed = parseMultiHostUrl(url);
  if (scheme === 'redis+cluster') {
    const { keyPrefix, enableOfflineQueue, enableAutoPipelining, ...nodeOptions } = common;
    const clusterOptions: ClusterOptions = {
      keyPrefix,
      enableOfflineQueue,
      enableAutoPipelining,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...nodeOptions, ...parsed.auth, ...(parsed.isTls ? { tls: {} } : {}) },
    };
    return new Cluster(parsed.hosts, clusterOptions);
  }
  if (scheme === 'redis+sentinel') {
    if (!parsed.path) throw new Error('redis+sentinel URL needs the master name as its path: redis+sentinel://host:port/mymaster');
    return new Redis({
      ...common,
      ...parsed.auth,
      retryStrategy,
      sentinels: parsed.hosts,
      name: parsed.path,
      ...(parsed.isTls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  throw new Error(`Unsupported Redis URL scheme "${scheme}:"`);
}

interface MultiHostUrl {
  hosts: { host: string; port: number }[];
  auth: { username?: string; password?: string };
  path: string;
  isTls: boolean;
}

/** WHATWG URL cannot parse comma-separated hosts, so these schemes are split by hand. */
export function parseMultiHostUrl(url: string): MultiHostUrl {
  const match = /^[a-z+]+:\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(url);
  if (!match) throw new Error('Malformed Redis URL');
  const [, userinfo, hostList = '', path = '', query = ''] = match;
  const defaultPort = url.toLowerCase().startsWith('redis+sentinel:') ? 26379 : 6379;
  const hosts = hostList.split(',').map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry.trim());
    if (!m) throw new Error('Malformed host in Redis URL');
    return { host: (m[1] ?? m[2]) as string, port: m[3] ? Number(m[3]) : defaultPort };
  });
  const auth: MultiHostUrl['auth'] = {};
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (user) auth.username = user;
    if (colon >= 0) auth.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  const isTls = new URLSearchParams(query).get('tls') === 'true';
  return { hosts, auth, path: decodeURIComponent(path), isTls };
}

function translate(err: unknown, isClosed: boolean): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'ReplyError') {
    // Redis replies with these inside Lua scripts too, with the script location appended.
    if (err.message.includes('WRONGTYPE')) return new KvTypeError('kv_wrong_type', err.message);
    if (err.message.includes('not an integer')) return new KvTypeError('kv_not_integer', err.message);
    return err;
  }
  if (isClosed) return kvClosedError();
  return new KvUnavailableError('kv_unavailable', `Redis command failed: ${describeError(err)}`, err);
}

/** Node reports a refused `localhost` as an AggregateError with an empty message. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return err.message || code || err.name;
}
