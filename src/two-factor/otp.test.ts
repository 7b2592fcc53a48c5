import { describe, expect, it } from 'vitest';
import { hashOtpCode, newOtpCode, normalizeOtpCode } from './otp.js';

describe('e-mail OTP codes (spec 60 §4)', () => {
  it('are six digits, leading zeros kept, spread over every first digit', () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newOtpCode();
      expect(code).toMatch(/^\d{6}$/);
      firsts.add(code[0]!);
    }
    expect(firsts.size).toBe(10);
  });

  it('are stored as SHA-256 hex and read back from what a user types', () => {
    expect(hashOtpCode('012345')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOtpCode('012345')).not.toBe(hashOtpCode('012346'));
    expect(normalizeOtpCode(' 012 345 ')).toBe('012345');
    for (const bad of ['', '12345', '1234567', 'abcdef', null]) expect(normalizeOtpCode(bad)).toBeNull();
  });
});
