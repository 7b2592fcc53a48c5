import { describe, expect, it } from 'vitest';
import { parseOptions } from '@node-rs/argon2';
import { createPasswordHasher, OWASP_ARGON2ID_PARAMS } from './passwords.js';

const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

describe('password hasher', () => {
  it('uses the OWASP Argon2id minimum by default', async () => {
    expect(OWASP_ARGON2ID_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hasher = createPasswordHasher();
    expect(hasher.params).toEqual(OWASP_ARGON2ID_PARAMS);
    const hash = await hasher.hash('correct horse battery');
    expect(hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    const parsed = parseOptions(hash);
    expect([parsed.memoryCost, parsed.timeCost, parsed.parallelism]).toEqual([19456, 2, 1]);
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hasher = createPasswordHasher(cheap);
    const hash = await hasher.hash('s3cret-passw0rd');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await hasher.verify(hash, 's3cret-passw0rd')).toBe(true);
    expect(await hasher.verify(hash, 's3cret-passw0rD')).toBe(false);
    expect(await hasher.hash('s3cret-passw0rd')).not.toBe(hash);
  });

  it('answers false for malformed hashes instead of throwing', async () => {
    const hasher = createPasswordHasher(cheap);
    for (const bad of ['', 'not-a-hash', '$argon2id$v=19$m=1024,t=1,p=1$broken', '$2b$10$abcdefghijklmnopqrstuv']) {
      await expect(hasher.verify(bad, 'whatever')).resolves.toBe(false);
    }
    await expect(hasher.verify(null as unknown as string, 'x')).resolves.toBe(false);
  });

  it('verifyDummy always answers false', async () => {
    const hasher = createPasswordHasher(cheap);
    await expect(hasher.verifyDummy('anything')).resolves.toBe(false);
    await expect(hasher.verifyDummy('')).resolves.toBe(false);
  });
});
