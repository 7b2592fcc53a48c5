import type { AdapterPayload } from 'oidc-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../platform/clock.js';
import { createMemoryKv, type Kv, type MemoryKv } from '../platform/kv/index.js';
import { createLog } from '../platform/log.js';
import { runInRequestScope } from '../platform/request-scope.js';
import { createKvAdapter } from './adapter-kv.js';

const log = createLog({ env: 'test', level: 'silent' });

class ConsumeLost extends Error {
  constructor(readonly payload: AdapterPayload | undefined) {
    super('consume lost');
  }
}

describe('Kv adapter: one read of an artifact per HTTP request', () => {
  let store: MemoryKv;
  let ops: string[];
  let kv: Kv;
  const clock = createManualClock();

  beforeEach(() => {
    store = createMemoryKv({ clock });
    ops = [];
    kv = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          ops.push(`${String(name)} ${String(args[0])}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  });
  afterEach(() => store.close());

  const adapter = (model: string, organizationId = 'org-a') => createKvAdapter(model, {
    kv, clock, log, organizationId, onConsumeLost: async (payload) => {
      throw new ConsumeLost(payload);
    },
  });
  const reads = () => ops.filter((op) => op.startsWith('get '));

  it('outside a request, every find reads the store', async () => {
    await adapter('Interaction').upsert('i1', { uid: 'u', returnTo: '/x' }, 60);
    await adapter('Interaction').find('i1');
    await adapter('Interaction').find('i1');
    expect(reads()).toEqual(['get oidc:Interaction:i1', 'get oidc:Interaction:i1']);
  });

  it('within a request, a second find is answered from the first read, each caller with its own copy', async () => {
    await adapter('Interaction').upsert('i1', { returnTo: '/x', params: { scope: 'openid' } }, 60);
    await runInRequestScope(async () => {
      const first = await adapter('Interaction').find('i1');
      first!.result = { login: { accountId: 'a' } };
      (first!.params as Record<string, unknown>).scope = 'changed';
      const second = await adapter('Interaction').find('i1');
      expect(second).toEqual({ returnTo: '/x', params: { scope: 'openid' } });
      expect(second).not.toBe(first);
    });
    expect(reads()).toEqual(['get oidc:Interaction:i1']);
  });

  it('a write forgets: the next find reads what was written; a destroyed artifact is gone', async () => {
    await adapter('Interaction').upsert('i1', { returnTo: '/x' }, 60);
    await runInRequestScope(async () => {
      expect(await adapter('Interaction').find('i1')).toEqual({ returnTo: '/x' });
      await adapter('Interaction').upsert('i1', { returnTo: '/x', result: { login: { accountId: 'a' } } }, 60);
      expect(await adapter('Interaction').find('i1')).toEqual({ returnTo: '/x', result: { login: { accountId: 'a' } } });
      await adapter('Interaction').destroy('i1');
      expect(await adapter('Interaction').find('i1')).toBeUndefined();
    });
    // The destroy used the request's read; the finds after each write read again.
    expect(reads()).toEqual(['get oidc:Interaction:i1', 'get oidc:Interaction:i1', 'get oidc:Interaction:i1']);
  });

  it('keeps the organization check: another organization never gets what this request read', async () => {
    await adapter('Session').upsert('s1', { uid: 'su', accountId: 'a' }, 60);
    await runInRequestScope(async () => {
      expect(await adapter('Session').find('s1')).toMatchObject({ uid: 'su' });
      expect(await adapter('Session', 'org-b').find('s1')).toBeUndefined();
      expect(await adapter('Session', 'org-b').findByUid('su')).toBeUndefined();
      await expect(adapter('Session', 'org-b').upsert('s1', { uid: 'su' }, 60)).rejects.toThrow(/another organization/);
      expect(await adapter('Session').find('s1')).toMatchObject({ uid: 'su', accountId: 'a' });
    });
  });

  it('finds a session by uid once per request: the index and the session one read each', async () => {
    await adapter('Session').upsert('s1', { uid: 'su', accountId: 'a' }, 60);
    ops = [];
    await runInRequestScope(async () => {
      await adapter('Session').findByUid('su');
      await adapter('Session').findByUid('su');
      await adapter('Session').find('s1');
    });
    expect(reads()).toEqual(['get oidc:Session:uid:su', 'get oidc:Session:s1']);
  });

  it('destroys a session and its uid index in one delete', async () => {
    await adapter('Session').upsert('s1', { uid: 'su', accountId: 'a' }, 60);
    ops = [];
    await adapter('Session').destroy('s1');
    expect(ops).toEqual(['get oidc:Session:s1', 'get oidc:Session:uid:su', 'delete oidc:Session:s1']);
    expect(await store.get('oidc:Session:uid:su')).toBeNull();
  });

  it('keeps a grant set for codes, none for interactions (nobody revokes them by grant)', async () => {
    await adapter('Interaction').upsert('i1', { grantId: 'g1' }, 60);
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    expect(await store.setMembers('oidc:grant:Interaction:g1')).toEqual([]);
    expect(await store.setMembers('oidc:grant:AuthorizationCode:g1')).toEqual(['c1']);
    await adapter('AuthorizationCode').revokeByGrantId('g1');
    expect(await store.get('oidc:AuthorizationCode:c1')).toBeNull();
  });

  it('consumes a code found in this request against that read: one read, one compare-and-set', async () => {
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    ops = [];
    await runInRequestScope(async () => {
      expect(await adapter('AuthorizationCode').find('c1')).toEqual({ grantId: 'g1' });
      await adapter('AuthorizationCode').consume('c1');
      expect((await adapter('AuthorizationCode').find('c1'))?.consumed).toBe(Math.floor(clock.now() / 1000));
    });
    expect(ops).toEqual(['get oidc:AuthorizationCode:c1', 'compareAndSet oidc:AuthorizationCode:c1', 'get oidc:AuthorizationCode:c1']);
  });

  it('loses when another request consumed the code after this one found it: the same answer as a second reader', async () => {
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    await runInRequestScope(async () => {
      await adapter('AuthorizationCode').find('c1');
      await runInRequestScope(() => adapter('AuthorizationCode').consume('c1'));
      const lost = await adapter('AuthorizationCode').consume('c1').catch((err: unknown) => err);
      expect(lost).toBeInstanceOf(ConsumeLost);
      expect((lost as ConsumeLost).payload).toMatchObject({ grantId: 'g1', consumed: expect.any(Number) });
    });
  });

  it('lets exactly one of many requests that found the same code consume it', async () => {
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => runInRequestScope(async () => {
      await adapter('AuthorizationCode').find('c1');
      await adapter('AuthorizationCode').consume('c1');
    })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConsumeLost);
  });

  it('a code gone since this request found it loses as before, with nothing to revoke', async () => {
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    await runInRequestScope(async () => {
      await adapter('AuthorizationCode').find('c1');
      await store.delete('oidc:AuthorizationCode:c1');
      const lost = await adapter('AuthorizationCode').consume('c1').catch((err: unknown) => err);
      expect(lost).toBeInstanceOf(ConsumeLost);
      expect((lost as ConsumeLost).payload).toBeUndefined();
    });
  });
});
