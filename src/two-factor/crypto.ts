import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../platform/errors.js';

/** A TOTP secret as stored: hex ciphertext, 12-byte IV and 16-byte GCM tag (spec 40 §2 `user_totp`). */
export interface SealedSecret {
  ciphertext: string;
  iv: string;
  tag: string;
}

export interface SecretBox {
  readonly isConfigured: boolean;
  /** `context` is authenticated with the ciphertext: a row copied to another user does not open. */
  seal(plain: Buffer, context: string): SealedSecret;
  /** Throws `SecretUnreadable` when the key differs from the one that sealed it or the row was altered. */
  open(sealed: SealedSecret, context: string): Buffer;
}

/** Opening failed: wrong key (TWO_FACTOR_ENCRYPTION_KEY changed) or tampered ciphertext, IV, tag or context. */
export class SecretUnreadable extends Error {
  constructor() {
    super('The TOTP secret cannot be decrypted with the configured TWO_FACTOR_ENCRYPTION_KEY.');
    this.name = 'SecretUnreadable';
  }
}

export const encryptionKeyMissing = () =>
  new AppError('unavailable', 'two_factor_key_missing', 'Authenticator apps are unavailable: TWO_FACTOR_ENCRYPTION_KEY is not configured.');

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX = /^(?:[0-9a-f]{2})+$/;

/**
 * AES-256-GCM under TWO_FACTOR_ENCRYPTION_KEY (64 hex characters; spec 60 §4), a random IV per seal. With no
 * key (only when a caller skipped the development secrets) every use throws `two_factor_key_missing`: TOTP
 * is unavailable while e-mail codes and recovery codes, which need no key, keep working.
 */
export function createSecretBox(keyHex: string | undefined): SecretBox {
  const key = keyHex !== undefined && /^[0-9a-fA-F]{64}$/.test(keyHex) ? Buffer.from(keyHex, 'hex') : undefined;
  const requireKey = (): Buffer => {
    if (!key) throw encryptionKeyMissing();
    return key;
  };
  return {
    isConfigured: key !== undefined,
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, requireKey(), iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
      return { ciphertext: ciphertext.toString('hex'), iv: iv.toString('hex'), tag: cipher.getAuthTag().toString('hex') };
    },
    open(sealed, context) {
      const k = requireKey();
      if (!HEX.test(sealed.ciphertext) || !/^[0-9a-f]{24}$/.test(sealed.iv) || !/^[0-9a-f]{32}$/.test(sealed.tag)) throw new SecretUnreadable();
      try {
        const decipher = createDecipheriv(ALGORITHM, k, Buffer.from(sealed.iv, 'hex'), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'hex'));
        return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'hex')), decipher.final()]);
      } catch {
        throw new SecretUnreadable();
      }
    },
  };
}
