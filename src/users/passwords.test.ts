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

  it('asks for a new hash when the stored one used less memory, fewer passes or lanes, or another variant', async () => {
    const hasher = createPasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 2 });
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const digest = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    const phc = (variant: string, version: number, m: number, t: number, p: number) => `$${variant}$v=${version}$m=${m},t=${t},p=${p}$${salt}$${digest}`;
    expect(hasher.needsRehash(phc('argon2id', 19, 2048, 2, 2))).toBe(false);
    expect(hasher.needsRehash(phc('argon2id', 19, 4096, 3, 4))).toBe(false);
    expect(hasher.needsRehash(phc('argon2id', 19, 1024, 2, 2))).toBe(true);
    expect(hasher.needsRehash(phc('argon2id', 19, 4096, 1, 2))).toBe(true);
    expect(hasher.needsRehash(phc('argon2id', 19, 4096, 2, 1))).toBe(true);
    expect(hasher.needsRehash(phc('argon2i', 19, 2048, 2, 2))).toBe(true);
    expect(hasher.needsRehash(phc('argon2id', 16, 2048, 2, 2))).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false);
    expect(hasher.needsRehash(await createPasswordHasher(cheap).hash('pw'))).toBe(true);
    for (const unreadable of ['', 'not-a-hash', '$2b$10$abcdefghijklmnopqrstuv']) expect(hasher.needsRehash(unreadable)).toBe(false);
  });

  it('verifyDummy always answers false', async () => {
    const hasher = createPasswordHasher(cheap);
    await expect(hasher.verifyDummy('anything')).resolves.toBe(false);
    await expect(hasher.verifyDummy('')).resolves.toBe(false);
  });
});
