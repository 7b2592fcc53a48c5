import { randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';

export interface PasswordHashParams {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2ID_PARAMS: Readonly<PasswordHashParams> = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

// Algorithm.Argon2id; the package's ambient const enum cannot be read under isolatedModules.
const ARGON2ID = 2;

export interface PasswordHasher {
  readonly params: Readonly<PasswordHashParams>;
  hash(plain: string): Promise<string>;
  /** False for a wrong password and for a malformed hash; never throws. */
  verify(hash: string, plain: string): Promise<boolean>;
  /** Spends the same work as `verify` against a throwaway hash and returns false (unknown users, no timing oracle). */
  verifyDummy(plain: string): Promise<false>;
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
  };
  return hasher;
}
