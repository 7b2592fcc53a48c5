import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import { createMemoryKv } from './kv/index.js';
import { createLocalCache } from './local-cache.js';
import { createLog } from './log.js';

const log = createLog({ env: 'test', level: 'silent' });

function setup() {
  const clock = createManualClock();
  const kv = createMemoryKv({ clock });
  const make = () => createLocalCache<string>({ kv, clock, log, counterKey: 'cache:things:version', name: 'things', maxAgeMs: 60_000, maxEntries: 3 });
  let loads = 0;
  const source = new Map<string, string>([['a', 'A1'], ['b', 'B1']]);
  const loader = (key: string) => async () => {
    loads++;
    return source.get(key) ?? null;
  };
  return { clock, kv, make, source, loader, loads: () => loads };
}

describe('local cache (per process, versioned by one shared counter)', () => {
  it('serves a loaded value from memory; nulls are not kept', async () => {
    const { make, loader, loads } = setup();
    const cache = make();
    expect(await cache.get('a', loader('a'))).toBe('A1');
    expect(await cache.get('a', loader('a'))).toBe('A1');
    expect(await cache.get('x', loader('x'))).toBeNull();
    expect(await cache.get('x', loader('x'))).toBeNull();
    expect(loads()).toBe(3);
  });

  it('drops everything at once in the writing process, and within a second in the others', async () => {
    const { make, loader, source, clock } = setup();
    const writer = make();
    const reader = make();
    await writer.get('a', loader('a'));
    await reader.get('a', loader('a'));
    source.set('a', 'A2');
    await writer.invalidate();
    expect(await writer.get('a', loader('a'))).toBe('A2');
    // The other process keeps its copy until its next look at the counter, at most a second later.
    expect(await reader.get('a', loader('a'))).toBe('A1');
    clock.advance(1_000);
    expect(await reader.get('a', loader('a'))).toBe('A2');
  });

  it('reloads an entry once it is older than maxAgeMs, and keeps at most maxEntries', async () => {
    const { make, loader, source, clock, loads } = setup();
    const cache = make();
    await cache.get('a', loader('a'));
    source.set('a', 'A2');
    clock.advance(59_000);
    expect(await cache.get('a', loader('a'))).toBe('A1');
    clock.advance(1_000);
    expect(await cache.get('a', loader('a'))).toBe('A2');
    source.set('c', 'C1').set('d', 'D1');
    for (const key of ['b', 'c', 'd']) await cache.get(key, loader(key));
    const before = loads();
    await cache.get('a', loader('a'));
    expect(loads()).toBe(before + 1);
  });

  it('loads a key once for concurrent callers, and never keeps a load that a write overtook', async () => {
    const { make, source } = setup();
    const cache = make();
    let release: () => void = () => undefined;
    let loads = 0;
    const slow = async () => {
      loads++;
      const value = source.get('a') ?? null;
      await new Promise<void>((resolve) => (release = resolve));
      return value;
    };
    const first = cache.get('a', slow);
    const second = cache.get('a', slow);
    await new Promise((r) => setImmediate(r));
    source.set('a', 'A2');
    await cache.invalidate();
    release();
    expect(await first).toBe('A1');
    expect(await second).toBe('A1');
    expect(loads).toBe(1);
    expect(await cache.get('a', async () => source.get('a') ?? null)).toBe('A2');
  });

  it('keeps its copies while the store is unreachable', async () => {
    const { make, loader, source, clock, kv } = setup();
    const cache = make();
    await cache.get('a', loader('a'));
    await kv.close();
    source.set('a', 'A2');
    clock.advance(5_000);
    expect(await cache.get('a', loader('a'))).toBe('A1');
  });
});
