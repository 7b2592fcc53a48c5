import { randomBytes } from 'node:crypto';
import { hash as argonHash, parseOptions, verify as argonVerify } from '@node-rs/argon2';

export interface PasswordHashParams {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1. The server hashes with the
 * configured PASSWORD_HASH_* parameters, which may not be lower; verification reads them from the hash.
 */
export const OWASP_ARGON2ID_PARAMS: Readonly<PasswordHashParams> = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

// Algorithm.Argon2id and Version.V0x13; the package's ambient const enums cannot be read under isolatedModules.
const ARGON2ID = 2;
const VERSION_19 = 1;

export interface PasswordHasher {
  readonly params: Readonly<PasswordHashParams>;
  hash(plain: string): Promise<string>;
  /** False for a wrong password and for a malformed hash; never throws. */
  verify(hash: string, plain: string): Promise<boolean>;
  /** Spends the same work as `verify` against a throwaway hash and returns false (unknown users, no timing oracle). */
  verifyDummy(plain: string): Promise<false>;
  /**
   * Whether a stored hash was made with less than these parameters (or another Argon2 variant or version), so
   * that the password, once verified, should be hashed again. False for a hash it cannot read.
   */
  needsRehash(hash: string): boolean;
}

export function createPasswordHasher(params: PasswordHashParams = OWASP_ARGON2ID_PARAMS): PasswordHasher {
  const frozen = Object.freeze({ ...params });
  const options = { ...frozen, algorithm: ARGON2ID };
  let dummy: Promise<string> | undefined;

  const hasher: PasswordHasher = {
    params: frozen,
    hash: (plain) => argonHash(plain, options),
    async verify(hash, plain) {
      if (typeof hash !== 'string' || hash === '' || typeof plain !== 'string') return false;
      try {
        return await argonVerify(hash, plain);
      } catch {
        return false;
      }
    },
    async verifyDummy(plain) {
      dummy ??= argonHash(randomBytes(32).toString('base64url'), options);
      await hasher.verify(await dummy, typeof plain === 'string' ? plain : '');
      return false;
    },
    needsRehash(hash) {
      let stored;
      try {
        stored = parseOptions(hash);
      } catch {
        return false;
      }
      return stored.algorithm !== ARGON2ID || stored.version !== VERSION_19 || stored.memoryCost < frozen.memoryCost
        || stored.timeCost < frozen.timeCost || stored.parallelism < frozen.parallelism;
    },
  };
  return hasher;
}
