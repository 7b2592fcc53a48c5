import { describe, expect, it } from 'vitest';
import { createSecretPool } from './secret-pool.js';

describe('secret pool', () => {
  const hashing = () => {
    const hashed: string[] = [];
    return { hashed, hash: async (plain: string) => (hashed.push(plain), `hash(${plain})`) };
  };

  it('hands out nothing outside a bulk run, and hashes nothing', () => {
    const { hashed, hash } = hashing();
    const pool = createSecretPool(hash);
    expect(pool.take()).toBeUndefined();
    expect(hashed).toEqual([]);
  });

  it('keeps `ahead` secrets hashing during a run, each handed out once with its own hash', async () => {
    const { hashed, hash } = hashing();
    const pool = createSecretPool(hash);
    const taken = await pool.during(3, async () => {
      expect(hashed).toHaveLength(3);
      const out = [pool.take()!, pool.take()!, pool.take()!, pool.take()!, pool.take()!];
      // Refilled as they go: always three under way.
      expect(hashed).toHaveLength(8);
      return Promise.all(out.map(async (s) => ({ plaintext: s.plaintext, hash: await s.hash })));
    });
    expect(new Set(taken.map((s) => s.plaintext)).size).toBe(5);
    for (const s of taken) expect(s.hash).toBe(`hash(${s.plaintext})`);
    // Leftovers are dropped when the run ends.
    expect(pool.take()).toBeUndefined();
  });

  it('ends its run also when the run fails', async () => {
    const pool = createSecretPool(async (plain) => plain);
    await expect(pool.during(2, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(pool.take()).toBeUndefined();
  });
});
