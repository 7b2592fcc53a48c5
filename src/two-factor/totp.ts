import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** Spec 60 §4: RFC 6238 with SHA-1, 6 digits and 30-second steps; the previous and next step are accepted. */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_WINDOW = 1;
export const TOTP_SECRET_BYTES = 20;

/** 20 random bytes (160 bits, RFC 4226's recommended length). */
export function newTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

export function base32Of(secret: Buffer): string {
  return new Secret({ buffer: Uint8Array.from(secret).buffer }).base32;
}

const totpOf = (secret: Buffer, issuer = '', label = 'account') =>
  new TOTP({ issuer, label, secret: new Secret({ buffer: Uint8Array.from(secret).buffer }), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });

/**
 * The `otpauth://totp/…` URI an authenticator app scans: issuer and label prefix are the organization's
 * company name (or slug), the account is the user's e-mail (spec 60 §4).
 */
export function otpauthUrl(secret: Buffer, issuer: string, account: string): string {
  return totpOf(secret, issuer, account).toString();
}

/** The time step (RFC 6238 T) at `nowMs`. */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** Six digits and nothing else (spaces an app shows between groups are dropped first). */
export function normalizeTotpCode(input: unknown): string | null {
  if (typeof input !== 'string') return null;
  const code = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The step whose code `code` is, within one step of now; null when it matches none. The caller still has
 * to claim the step (the replay guard): a code is valid only for a step after the last one used.
 */
export function matchTotpStep(secret: Buffer, code: string, nowMs: number): number | null {
  const token = normalizeTotpCode(code);
  if (token === null) return null;
  const delta = totpOf(secret).validate({ token, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(nowMs) + delta;
}

/** The code of the step at `nowMs` (tests, and users' apps do the same). */
export function totpCodeAt(secret: Buffer, nowMs: number): string {
  return totpOf(secret).generate({ timestamp: nowMs });
}
