import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import { createSecretBox, SecretUnreadable } from './crypto.js';

const KEY = 'ab'.repeat(32);

describe('TOTP secret box (AES-256-GCM under TWO_FACTOR_ENCRYPTION_KEY)', () => {
  it('round-trips with a fresh 12-byte IV and a 16-byte tag each time', () => {
    const box = createSecretBox(KEY);
    const secret = randomBytes(20);
    const a = box.seal(secret, 'porta:user_totp:u1');
    const b = box.seal(secret, 'porta:user_totp:u1');
    expect(a.iv).toMatch(/^[0-9a-f]{24}$/);
    expect(a.tag).toMatch(/^[0-9a-f]{32}$/);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ciphertext).not.toContain(secret.toString('hex'));
    expect(box.open(a, 'porta:user_totp:u1').equals(secret)).toBe(true);
  });

  it('detects tampering with the ciphertext, IV or tag, another context, and another key', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal(randomBytes(20), 'porta:user_totp:u1');
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    expect(() => box.open({ ...sealed, ciphertext: flip(sealed.ciphertext) }, 'porta:user_totp:u1')).toThrow(SecretUnreadable);
    expect(() => box.open({ ...sealed, iv: flip(sealed.iv) }, 'porta:user_totp:u1')).toThrow(SecretUnreadable);
    expect(() => box.open({ ...sealed, tag: flip(sealed.tag) }, 'porta:user_totp:u1')).toThrow(SecretUnreadable);
    expect(() => box.open({ ...sealed, tag: 'zz' }, 'porta:user_totp:u1')).toThrow(SecretUnreadable);
    // A row copied onto another user does not open for them.
    expect(() => box.open(sealed, 'porta:user_totp:u2')).toThrow(SecretUnreadable);
    // The key was changed (spec 50 §9: enrolments made under the old key stop working).
    expect(() => createSecretBox('cd'.repeat(32)).open(sealed, 'porta:user_totp:u1')).toThrow(SecretUnreadable);
  });

  it('without a key, refuses to seal or open with two_factor_key_missing', () => {
    const box = createSecretBox(undefined);
    expect(box.isConfigured).toBe(false);
    try {
      box.seal(randomBytes(20), 'x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('two_factor_key_missing');
    }
  });
});
