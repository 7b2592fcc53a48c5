import { createHash, randomInt } from 'node:crypto';

/** Spec 60 §4: at most this many live codes per user (the oldest is dropped) and wrong tries per code. */
export const MAX_LIVE_OTP_CODES = 5;
export const MAX_OTP_ATTEMPTS = 5;

/** Six decimal digits, each value of 000000–999999 equally likely (`randomInt` rejects biased draws). */
export function newOtpCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** SHA-256 hex: the only form in which a code is stored. */
export function hashOtpCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

/** Six digits, spaces and dashes dropped; null for anything else. */
export function normalizeOtpCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const code = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}
