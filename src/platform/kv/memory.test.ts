import { afterEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../clock.js';
import { createKv, createMemoryKv } from './index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('memory Kv', () => {
  it('sweeps expired keys that nobody reads again', async () => {
    vi.useFakeTimers();
    const clock = createManualClock();
    const kv = createMemoryKv({ clock, sweepIntervalMs: 1000 });
    await kv.set('short', 'v', { ttlSeconds: 1 });
    await kv.increment('window', 1);
    await kv.set('long', 'v', { ttlSeconds: 100 });
    clock.advance(2000);
    expect(kv.size()).toBe(3);
    vi.advanceTimersByTime(1000);
    expect(kv.size()).toBe(1);
    expect(await kv.get('long')).toBe('v');
    await kv.close();
  });

  it('drops an expired entry when it is read', async () => {
    const clock = createManualClock();
    const kv = createMemoryKv({ clock });
    await kv.set('a', 'v', { ttlSeconds: 1 });
    clock.advance(999);
    expect(await kv.get('a')).toBe('v');
    expect(await kv.ttl('a')).toBeCloseTo(0.001);
    clock.advance(1);
    expect(await kv.get('a')).toBeNull();
    expect(kv.size()).toBe(0);
    await kv.close();
  });

  it('rounds TTLs up to whole milliseconds, like the Redis backend', async () => {
    const clock = createManualClock();
    const kv = createMemoryKv({ clock });
    await kv.set('a', 'v', { ttlSeconds: 0.0001 });
    expect(await kv.ttl('a')).toBe(0.001);
    await kv.close();
  });

  it('clears its sweep timer and its data on close', async () => {
    vi.useFakeTimers();
    const before = vi.getTimerCount();
    const kv = createMemoryKv({ clock: createManualClock() });
    await kv.set('a', 'v', { ttlSeconds: 60 });
    expect(vi.getTimerCount()).toBe(before + 1);
    await kv.close();
    expect(vi.getTimerCount()).toBe(before);
    expect(kv.size()).toBe(0);
    await expect(kv.get('a')).rejects.toMatchObject({ code: 'kv_closed' });
  });

  it('does not keep the process alive', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    const kv = createMemoryKv();
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    return kv.close();
  });

  it('is what createKv builds without a Redis URL', async () => {
    const clock = createManualClock();
    const kv = createKv({ kind: 'memory' }, { clock, log: { warn: () => {} } });
    expect(kv.kind).toBe('memory');
    await kv.set('a', 'v', { ttlSeconds: 1 });
    clock.advance(1000);
    expect(await kv.get('a')).toBeNull();
    await kv.close();
  });
});
