import { randomInt } from 'node:crypto';

/** Spec 60 §4: no 0/O, 1/I/L, so a code read aloud or copied by hand survives. */
export const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const RECOVERY_CODE_COUNT = 10;
const GROUP = 4;
const LENGTH = 2 * GROUP;

/** `XXXX-XXXX`, each character drawn uniformly (`randomInt` rejects biased draws). */
export function newRecoveryCode(): string {
  let raw = '';
  for (let i = 0; i < LENGTH; i++) raw += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${raw.slice(0, GROUP)}-${raw.slice(GROUP)}`;
}

/** Ten distinct codes. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(newRecoveryCode());
  return [...codes];
}

/**
 * What is hashed and compared: upper case, without dashes and spaces. Null when the input cannot be a
 * code (wrong length or a character outside the alphabet), so it is refused before any Argon2 work.
 */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== LENGTH) return null;
  for (const ch of code) if (!RECOVERY_ALPHABET.includes(ch)) return null;
  return code;
}
