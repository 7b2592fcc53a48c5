import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/platform/clock.js';
import {
  createMemoryKv,
  createRedisKv,
  KvTypeError,
  KvUnavailableError,
  timeKv,
  type Kv,
  type RedisKv,
} from '../../src/platform/kv/index.js';
import { createTestRedisNamespace, describeWithRedis, redisUrl, type TestRedisNamespace } from '../support/services.js';

interface KvHarness {
  kv: Kv;
  /** Lets `ms` pass for expiry: moves the manual clock (memory) or really waits (Redis), so keep it small. */
  advance(ms: number): Promise<void>;
  /** Another store on the same backend under a different key prefix. */
  isolated(): Kv;
}

/** The one suite every Kv backend must pass. `makeKv` gives each test a fresh, empty store. */
function kvContract(name: string, makeKv: () => KvHarness) {
  describe(`Kv contract: ${name}`, () => {
    let kv: Kv;
    let advance: KvHarness['advance'];
    let harness: KvHarness;
    const opened: Kv[] = [];

    beforeEach(() => {
      harness = makeKv();
      ({ kv, advance } = harness);
      opened.push(kv);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((k) => k.close()));
    });
    const isolated = () => {
      const other = harness.isolated();
      opened.push(other);
      return other;
    };

    /** Real time passes on Redis between the write and the read, so only an upper bound is exact. */
    const expectTtlNear = (actual: number | null, expected: number, slack = 0.5) => {
      expect(actual).not.toBeNull();
      expect(actual as number).toBeLessThanOrEqual(expected);
      expect(actual as number).toBeGreaterThan(expected - slack);
    };

    describe('get and set', () => {
      it('returns null for a missing key', async () => {
        expect(await kv.get('missing')).toBeNull();
      });

      it('stores a value and reads it back', async () => {
        expect(await kv.set('a', 'héllo ✓', { ttlSeconds: 60 })).toBe(true);
        expect(await kv.get('a')).toBe('héllo ✓');
        await kv.set('empty', '', { ttlSeconds: 60 });
        expect(await kv.get('empty')).toBe('');
      });

      it('overwrites the value and the TTL', async () => {
        await kv.set('a', 'one', { ttlSeconds: 10 });
        expect(await kv.set('a', 'two', { ttlSeconds: 100 })).toBe(true);
        expect(await kv.get('a')).toBe('two');
        expectTtlNear(await kv.ttl('a'), 100);
      });

      it('with onlyIfAbsent, writes a missing key but leaves an existing one untouched', async () => {
        expect(await kv.set('a', 'first', { ttlSeconds: 100, onlyIfAbsent: true })).toBe(true);
        expect(await kv.set('a', 'second', { ttlSeconds: 5, onlyIfAbsent: true })).toBe(false);
        expect(await kv.get('a')).toBe('first');
        expectTtlNear(await kv.ttl('a'), 100);
      });

      it('with onlyIfAbsent false, overwrites like a plain set', async () => {
        await kv.set('a', 'first', { ttlSeconds: 60 });
        expect(await kv.set('a', 'second', { ttlSeconds: 60, onlyIfAbsent: false })).toBe(true);
        expect(await kv.get('a')).toBe('second');
      });

      it('with onlyIfAbsent, treats an expired key as absent', async () => {
        await kv.set('a', 'old', { ttlSeconds: 0.15 });
        await advance(300);
        expect(await kv.set('a', 'new', { ttlSeconds: 60, onlyIfAbsent: true })).toBe(true);
        expect(await kv.get('a')).toBe('new');
      });

      it('with onlyIfAbsent, counts a set as present', async () => {
        await kv.setAdd('s', ['x'], 60);
        expect(await kv.set('s', 'v', { ttlSeconds: 60, onlyIfAbsent: true })).toBe(false);
        expect(await kv.setMembers('s')).toEqual(['x']);
      });

      it('with ownerPrefix, writes over a missing key or its owner\'s value, and never over another owner\'s', async () => {
        expect(await kv.set('a', 'org1|one', { ttlSeconds: 100, ownerPrefix: 'org1|' })).toBe(true);
        expect(await kv.set('a', 'org1|two', { ttlSeconds: 20, ownerPrefix: 'org1|' })).toBe(true);
        expect(await kv.get('a')).toBe('org1|two');
        expectTtlNear(await kv.ttl('a'), 20);
        expect(await kv.set('a', 'org2|mine', { ttlSeconds: 100, ownerPrefix: 'org2|' })).toBe(false);
        expect(await kv.get('a')).toBe('org1|two');
        expectTtlNear(await kv.ttl('a'), 20);
      });

      it('with ownerPrefix, is one atomic step: of concurrent owners of a new key exactly one wins', async () => {
        const owners = Array.from({ length: 20 }, (_, i) => `o${i}|`);
        const won = await Promise.all(owners.map((o) => kv.set('k', `${o}value`, { ttlSeconds: 60, ownerPrefix: o })));
        // Later writers see the first owner's value and leave it alone, so exactly one of them wrote it.
        const value = await kv.get('k');
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(value).toBe(`${owners[won.indexOf(true)]}value`);
      });

      it('replaces a key of another type, like Redis SET', async () => {
        await kv.setAdd('s', ['x'], 60);
        await kv.set('s', 'now a string', { ttlSeconds: 60 });
        expect(await kv.get('s')).toBe('now a string');
      });

      it('keeps fractional TTLs', async () => {
        await kv.set('a', 'v', { ttlSeconds: 1.5 });
        expectTtlNear(await kv.ttl('a'), 1.5, 0.2);
      });

      it('rejects TTLs that are not positive numbers', async () => {
        for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(kv.set('a', 'v', { ttlSeconds: ttl })).rejects.toThrow(RangeError);
          await expect(kv.expire('a', ttl)).rejects.toThrow(RangeError);
          await expect(kv.increment('a', ttl)).rejects.toThrow(RangeError);
          await expect(kv.setAdd('a', ['x'], ttl)).rejects.toThrow(RangeError);
        }
        expect(await kv.get('a')).toBeNull();
      });
    });

    describe('getDel', () => {
      it('returns the value once and removes the key', async () => {
        await kv.set('code', 'secret', { ttlSeconds: 60 });
        expect(await kv.getDel('code')).toBe('secret');
        expect(await kv.getDel('code')).toBeNull();
        expect(await kv.get('code')).toBeNull();
      });

      it('returns null for a missing or expired key', async () => {
        expect(await kv.getDel('missing')).toBeNull();
        await kv.set('code', 'secret', { ttlSeconds: 0.15 });
        await advance(300);
        expect(await kv.getDel('code')).toBeNull();
      });

      it('hands a single-use value to exactly one of many concurrent callers', async () => {
        await kv.set('code', 'secret', { ttlSeconds: 60 });
        const results = await Promise.all(Array.from({ length: 25 }, () => kv.getDel('code')));
        expect(results.filter((r) => r !== null)).toEqual(['secret']);
      });
    });

    describe('compareAndSet', () => {
      it('replaces the value only while it still holds the expected one, keeping the expiry', async () => {
        await kv.set('code', 'fresh', { ttlSeconds: 60 });
        expect(await kv.compareAndSet('code', 'stale', 'used')).toBe(false);
        expect(await kv.get('code')).toBe('fresh');
        expect(await kv.compareAndSet('code', 'fresh', 'used')).toBe(true);
        expect(await kv.get('code')).toBe('used');
        expectTtlNear(await kv.ttl('code'), 60);
        expect(await kv.compareAndSet('code', 'fresh', 'used again')).toBe(false);
        expect(await kv.get('code')).toBe('used');
      });

      it('refuses a missing or expired key and does not create it', async () => {
        expect(await kv.compareAndSet('missing', '', 'v')).toBe(false);
        expect(await kv.get('missing')).toBeNull();
        await kv.set('code', 'fresh', { ttlSeconds: 0.15 });
        await advance(300);
        expect(await kv.compareAndSet('code', 'fresh', 'used')).toBe(false);
        expect(await kv.get('code')).toBeNull();
      });

      it('lets exactly one of many concurrent callers that read the same value win', async () => {
        await kv.set('code', 'fresh', { ttlSeconds: 60 });
        const seen = await Promise.all(Array.from({ length: 25 }, () => kv.get('code')));
        const wins = await Promise.all(seen.map((value, i) => kv.compareAndSet('code', value!, `used by ${i}`)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await kv.get('code')).toBe(`used by ${wins.indexOf(true)}`);
      });

      it('compares whole values, not prefixes, and keeps unicode intact', async () => {
        await kv.set('a', 'héllo ✓', { ttlSeconds: 60 });
        expect(await kv.compareAndSet('a', 'héllo', 'x')).toBe(false);
        expect(await kv.compareAndSet('a', 'héllo ✓ ', 'x')).toBe(false);
        expect(await kv.compareAndSet('a', 'héllo ✓', 'wörld ✓')).toBe(true);
        expect(await kv.get('a')).toBe('wörld ✓');
      });

      it('refuses a set like Redis WRONGTYPE', async () => {
        await kv.setAdd('s', ['x'], 60);
        await expect(kv.compareAndSet('s', 'x', 'y')).rejects.toMatchObject({ name: 'KvTypeError', code: 'kv_wrong_type' });
        expect(await kv.setMembers('s')).toEqual(['x']);
      });
    });

    describe('delete', () => {
      it('removes keys of any type and counts only those that existed', async () => {
        await kv.set('a', '1', { ttlSeconds: 60 });
        await kv.increment('b', 60);
        await kv.setAdd('c', ['x'], 60);
        expect(await kv.delete('a', 'b', 'c', 'missing')).toBe(3);
        expect(await kv.get('a')).toBeNull();
        expect(await kv.get('b')).toBeNull();
        expect(await kv.setMembers('c')).toEqual([]);
        expect(await kv.delete('a')).toBe(0);
      });

      it('returns 0 for no keys and does not count expired ones', async () => {
        expect(await kv.delete()).toBe(0);
        await kv.set('a', '1', { ttlSeconds: 0.15 });
        await advance(300);
        expect(await kv.delete('a')).toBe(0);
      });
    });

    describe('expiry', () => {
      it('forgets a value once its TTL has passed', async () => {
        await kv.set('a', 'v', { ttlSeconds: 0.15 });
        expect(await kv.get('a')).toBe('v');
        await advance(300);
        expect(await kv.get('a')).toBeNull();
        expect(await kv.ttl('a')).toBeNull();
      });

      it('ttl() reports the remaining seconds, or null for a missing key or one without expiry', async () => {
        expect(await kv.ttl('missing')).toBeNull();
        await kv.set('a', 'v', { ttlSeconds: 30 });
        expectTtlNear(await kv.ttl('a'), 30);
        await kv.increment('forever');
        expect(await kv.ttl('forever')).toBeNull();
      });

      it('expire() returns false for a missing key and does not create it', async () => {
        expect(await kv.expire('missing', 60)).toBe(false);
        expect(await kv.get('missing')).toBeNull();
        expect(await kv.ttl('missing')).toBeNull();
      });

      it('expire() sets a new expiry, shorter or longer, on any type', async () => {
        await kv.set('a', 'v', { ttlSeconds: 10 });
        expect(await kv.expire('a', 100)).toBe(true);
        expectTtlNear(await kv.ttl('a'), 100);
        await kv.setAdd('s', ['x'], 10);
        expect(await kv.expire('s', 50)).toBe(true);
        expectTtlNear(await kv.ttl('s'), 50);
        expect(await kv.expire('a', 0.15)).toBe(true);
        await advance(300);
        expect(await kv.get('a')).toBeNull();
      });

      it('expire() gives a counter without expiry one', async () => {
        await kv.increment('c');
        expect(await kv.expire('c', 20)).toBe(true);
        expectTtlNear(await kv.ttl('c'), 20);
      });
    });

    describe('increment', () => {
      it('is atomic under concurrency', async () => {
        const results = await Promise.all(Array.from({ length: 200 }, () => kv.increment('hits', 60)));
        const counts = results.map((r) => r.count).sort((a, b) => a - b);
        expect(counts).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect(await kv.get('hits')).toBe('200');
        expectTtlNear(await kv.ttl('hits'), 60);
      });

      it('opens a fixed window on the first hit, does not extend it, and starts over after it', async () => {
        const first = await kv.increment('w', 0.4);
        expect(first.count).toBe(1);
        expectTtlNear(first.ttlSeconds, 0.4, 0.1);
        await advance(200);
        const second = await kv.increment('w', 0.4);
        expect(second.count).toBe(2);
        expect(second.ttlSeconds as number).toBeLessThanOrEqual(0.2);
        expect(second.ttlSeconds as number).toBeGreaterThan(0);
        await advance(300);
        const third = await kv.increment('w', 0.4);
        expect(third.count).toBe(1);
        expectTtlNear(third.ttlSeconds, 0.4, 0.1);
      });

      it('without a TTL, counts forever', async () => {
        expect(await kv.increment('c')).toEqual({ count: 1, ttlSeconds: null });
        expect(await kv.increment('c')).toEqual({ count: 2, ttlSeconds: null });
        expect(await kv.ttl('c')).toBeNull();
      });

      it('gives a counter without expiry a window on the next increment with a TTL', async () => {
        await kv.increment('c');
        const next = await kv.increment('c', 30);
        expect(next.count).toBe(2);
        expectTtlNear(next.ttlSeconds, 30);
      });

      it('continues from a numeric string written with set', async () => {
        await kv.set('c', '41', { ttlSeconds: 30 });
        const next = await kv.increment('c', 1000);
        expect(next.count).toBe(42);
        expectTtlNear(next.ttlSeconds, 30);
      });

      it('refuses a value that is not an integer, and a set', async () => {
        await kv.set('text', 'abc', { ttlSeconds: 60 });
        await expect(kv.increment('text')).rejects.toMatchObject({ name: 'KvTypeError', code: 'kv_not_integer' });
        expect(await kv.get('text')).toBe('abc');
        await kv.setAdd('s', ['x'], 60);
        await expect(kv.increment('s', 60)).rejects.toMatchObject({ name: 'KvTypeError', code: 'kv_wrong_type' });
      });
    });

    describe('decrement', () => {
      it('takes one off an existing counter and keeps its window', async () => {
        await kv.increment('w', 30);
        await kv.increment('w', 30);
        expect(await kv.decrement('w')).toBe(1);
        expect(await kv.get('w')).toBe('1');
        expectTtlNear(await kv.ttl('w'), 30);
        expect((await kv.increment('w', 30)).count).toBe(2);
      });

      it('leaves a missing key missing and a counter at zero at zero', async () => {
        expect(await kv.decrement('none')).toBeNull();
        expect(await kv.get('none')).toBeNull();
        await kv.increment('z', 30);
        expect(await kv.decrement('z')).toBe(0);
        expect(await kv.decrement('z')).toBe(0);
        expect(await kv.get('z')).toBe('0');
      });

      it('is atomic under concurrency', async () => {
        for (let i = 0; i < 50; i++) await kv.increment('c', 60);
        await Promise.all(Array.from({ length: 80 }, () => kv.decrement('c')));
        expect(await kv.get('c')).toBe('0');
      });

      it('refuses a value that is not an integer', async () => {
        await kv.set('text', 'abc', { ttlSeconds: 60 });
        await expect(kv.decrement('text')).rejects.toMatchObject({ name: 'KvTypeError', code: 'kv_not_integer' });
        await kv.setAdd('s', ['x'], 60);
        await expect(kv.decrement('s')).rejects.toMatchObject({ name: 'KvTypeError', code: 'kv_wrong_type' });
      });
    });

    describe('sets', () => {
      it('adds, lists and removes members', async () => {
        expect(await kv.setMembers('s')).toEqual([]);
        await kv.setAdd('s', ['a', 'b'], 60);
        await kv.setAdd('s', ['b', 'c'], 60);
        expect((await kv.setMembers('s')).sort()).toEqual(['a', 'b', 'c']);
        await kv.setRemove('s', ['a', 'missing']);
        expect((await kv.setMembers('s')).sort()).toEqual(['b', 'c']);
        await kv.setRemove('missing', ['a']);
      });

      it('removes the key with its last member', async () => {
        await kv.setAdd('s', ['a'], 60);
        await kv.setRemove('s', ['a']);
        expect(await kv.setMembers('s')).toEqual([]);
        expect(await kv.ttl('s')).toBeNull();
        expect(await kv.delete('s')).toBe(0);
      });

      it('treats empty member lists as no-ops', async () => {
        await kv.setAdd('s', [], 60);
        expect(await kv.ttl('s')).toBeNull();
        await kv.setAdd('s', ['a'], 60);
        await kv.setRemove('s', []);
        expect(await kv.setMembers('s')).toEqual(['a']);
      });

      it('extends the expiry to the later one and never shortens it', async () => {
        await kv.setAdd('s', ['a'], 10);
        expectTtlNear(await kv.ttl('s'), 10);
        await kv.setAdd('s', ['b'], 100);
        expectTtlNear(await kv.ttl('s'), 100);
        await kv.setAdd('s', ['c'], 5);
        expectTtlNear(await kv.ttl('s'), 100);
        expect((await kv.setMembers('s')).sort()).toEqual(['a', 'b', 'c']);
      });

      it('expires as a whole', async () => {
        await kv.setAdd('s', ['a', 'b'], 0.15);
        await advance(300);
        expect(await kv.setMembers('s')).toEqual([]);
        await kv.setAdd('s', ['c'], 60);
        expect(await kv.setMembers('s')).toEqual(['c']);
      });

      it('refuses to mix strings and sets under one key, like Redis WRONGTYPE', async () => {
        const wrongType = { name: 'KvTypeError', code: 'kv_wrong_type' };
        await kv.set('str', 'v', { ttlSeconds: 60 });
        await expect(kv.setAdd('str', ['x'], 60)).rejects.toMatchObject(wrongType);
        await expect(kv.setMembers('str')).rejects.toMatchObject(wrongType);
        await expect(kv.setRemove('str', ['x'])).rejects.toMatchObject(wrongType);
        await kv.setAdd('set', ['x'], 60);
        await expect(kv.get('set')).rejects.toMatchObject(wrongType);
        await expect(kv.getDel('set')).rejects.toMatchObject(wrongType);
        await expect(kv.get('set')).rejects.toBeInstanceOf(KvTypeError);
        expect(await kv.get('str')).toBe('v');
        expect(await kv.setMembers('set')).toEqual(['x']);
      });
    });

    describe('key prefixes', () => {
      it('keeps stores with different prefixes apart', async () => {
        const other = isolated();
        await kv.set('a', 'mine', { ttlSeconds: 60 });
        await kv.increment('c', 60);
        await kv.setAdd('s', ['mine'], 60);
        expect(await other.get('a')).toBeNull();
        expect(await other.getDel('a')).toBeNull();
        expect(await other.compareAndSet('a', 'mine', 'theirs')).toBe(false);
        expect(await other.delete('a', 'c', 's')).toBe(0);
        expect((await other.increment('c', 60)).count).toBe(1);
        expect(await other.setMembers('s')).toEqual([]);
        await other.set('a', 'theirs', { ttlSeconds: 60 });
        expect(await kv.get('a')).toBe('mine');
        expect((await kv.increment('c', 60)).count).toBe(2);
        expect(await kv.setMembers('s')).toEqual(['mine']);
      });
    });

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await expect(kv.ping()).resolves.toBeUndefined();
      });

      it('rejects every operation after close, and closing twice is fine', async () => {
        await kv.set('a', 'v', { ttlSeconds: 60 });
        await kv.close();
        await kv.close();
        const closed = { name: 'KvUnavailableError', code: 'kv_closed', kind: 'unavailable' };
        const calls: Array<() => Promise<unknown>> = [
          () => kv.get('a'),
          () => kv.set('a', 'v', { ttlSeconds: 60 }),
          () => kv.getDel('a'),
          () => kv.compareAndSet('a', 'v', 'w'),
          () => kv.delete('a'),
          () => kv.increment('c', 60),
          () => kv.ttl('a'),
          () => kv.expire('a', 60),
          () => kv.setAdd('s', ['x'], 60),
          () => kv.setMembers('s'),
          () => kv.setRemove('s', ['x']),
          () => kv.ping(),
        ];
        for (const call of calls) await expect(call()).rejects.toMatchObject(closed);
        await expect(kv.get('a')).rejects.toBeInstanceOf(KvUnavailableError);
      });
    });
  });
}

kvContract('memory', () => {
  const clock = createManualClock();
  return {
    kv: createMemoryKv({ clock, keyPrefix: 'porta-test:' }),
    advance: async (ms) => clock.advance(ms),
    isolated: () => createMemoryKv({ clock, keyPrefix: 'porta-other:' }),
  };
});

// METRICS_ENABLED puts a timing layer in front of the store: it must pass the same contract.
kvContract('memory, timed', () => {
  const clock = createManualClock();
  const record = () => undefined;
  return {
    kv: timeKv(createMemoryKv({ clock, keyPrefix: 'porta-test:' }), record),
    advance: async (ms) => clock.advance(ms),
    isolated: () => timeKv(createMemoryKv({ clock, keyPrefix: 'porta-other:' }), record),
  };
});

describeWithRedis('Redis backend', () => {
  const namespaces: TestRedisNamespace[] = [];
  const redisKv = (): RedisKv => {
    const ns = createTestRedisNamespace();
    namespaces.push(ns);
    return createRedisKv({ url: ns.url, keyPrefix: ns.keyPrefix });
  };
  afterAll(async () => {
    await Promise.all(namespaces.map((ns) => ns.clear()));
  });

  // Each test gets its own prefix, so keys never leak between tests.
  kvContract('redis', () => ({
    kv: redisKv(),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    isolated: redisKv,
  }));

  describe('clearNamespace', () => {
    it('deletes every key under its own prefix and nothing else', async () => {
      const mine = redisKv();
      const other = redisKv();
      try {
        await mine.set('a', '1', { ttlSeconds: 60 });
        await mine.increment('b');
        await mine.setAdd('c', ['x'], 60);
        await other.set('a', 'kept', { ttlSeconds: 60 });
        expect(await mine.clearNamespace()).toBe(3);
        expect(await mine.get('a')).toBeNull();
        expect(await mine.setMembers('c')).toEqual([]);
        expect(await other.get('a')).toBe('kept');
      } finally {
        await Promise.all([mine.close(), other.close()]);
      }
    });

    it('refuses to run without a key prefix', async () => {
      const kv = createRedisKv({ url: redisUrl });
      try {
        await expect(kv.clearNamespace()).rejects.toThrow(/keyPrefix/);
      } finally {
        await kv.close();
      }
    });
  });
});
