import { describe, expect, it } from 'vitest';
import { currentRequestScope, forgetInRequest, requestMemo, runInRequestScope } from './request-scope.js';

describe('request scope', () => {
  it('shares one load per key within a request, and none between requests', async () => {
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    const first = await runInRequestScope(async () => [await requestMemo('k', load), await requestMemo('k', load)]);
    const second = await runInRequestScope(() => requestMemo('k', load));
    expect(first).toEqual([1, 1]);
    expect(second).toBe(2);
  });

  it('loads every time outside a request', async () => {
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(currentRequestScope()).toBeUndefined();
    expect([await requestMemo('k', load), await requestMemo('k', load)]).toEqual([1, 2]);
  });

  it('forgets a key after a write, and a failed load, so the next caller reads again', async () => {
    let loads = 0;
    await runInRequestScope(async () => {
      expect(await requestMemo('k', () => Promise.resolve(++loads))).toBe(1);
      forgetInRequest('k');
      expect(await requestMemo('k', () => Promise.resolve(++loads))).toBe(2);
      await expect(requestMemo('f', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
      expect(await requestMemo('f', () => Promise.resolve('up'))).toBe('up');
    });
  });

  it('keeps concurrent requests apart', async () => {
    const seen = await Promise.all(['a', 'b'].map((name) => runInRequestScope(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return requestMemo('k', () => Promise.resolve(name));
    })));
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('request scope after the request', () => {
  it('is closed to work the request started and that runs on after it', async () => {
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    let later: Promise<number[]> | undefined;
    await runInRequestScope(async () => {
      await requestMemo('k', load);
      later = new Promise((resolve) => setTimeout(() => {
        void Promise.all([requestMemo('k', load), requestMemo('k', load)]).then(resolve);
      }, 5));
    });
    expect(await later).toEqual([2, 3]);
    expect(currentRequestScope()).toBeUndefined();
  });
});
