import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** OIDC client_id: 32 random bytes, base64url (43 characters). */
export const generateClientId = (): string => randomBytes(32).toString('base64url');

/** Client secret: 48 random bytes, base64url (64 characters). */
export const generateSecretValue = (): string => randomBytes(48).toString('base64url');

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * The first digest equal to SHA-256(`presented`), compared in constant time. Every candidate is compared
 * (no early exit), so the answer's timing does not reveal which or how many secrets exist.
 */
export function findMatchingDigest<T extends { sha256: string }>(presented: string, candidates: readonly T[]): T | null {
  const digest = hash('sha256', presented, 'buffer');
  let match: T | null = null;
  for (const candidate of candidates) {
    const stored = Buffer.from(candidate.sha256, 'hex');
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && match === null) match = candidate;
  }
  return match;
}
