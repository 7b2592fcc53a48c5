import { describe, expect, it } from 'vitest';
import { newRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_ALPHABET } from './recovery.js';

describe('recovery codes (spec 60 §4)', () => {
  it('are ten distinct XXXX-XXXX codes over the unambiguous alphabet', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}$/);
    expect(RECOVERY_ALPHABET).toHaveLength(31);
    for (const ambiguous of '01ILO') expect(RECOVERY_ALPHABET).not.toContain(ambiguous);
  });

  it('draws every character uniformly (chi-square over 80 000 characters)', () => {
    const counts = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < 10_000; i++) {
      for (const ch of newRecoveryCode().replace('-', '')) {
        counts.set(ch, (counts.get(ch) ?? 0) + 1);
        total++;
      }
    }
    expect([...counts.keys()].sort().join('')).toBe([...RECOVERY_ALPHABET].sort().join(''));
    const expected = total / RECOVERY_ALPHABET.length;
    const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    // 30 degrees of freedom: p = 0.0001 at 66.6; a modulo bias of 256 % 31 would push it far higher.
    expect(chi2).toBeLessThan(66.6);
  });

  it('normalises case, dashes and spaces, and refuses what cannot be a code', () => {
    expect(normalizeRecoveryCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normalizeRecoveryCode(' AbCd EfGh ')).toBe('ABCDEFGH');
    expect(normalizeRecoveryCode('ABCDEFGH')).toBe('ABCDEFGH');
    expect(normalizeRecoveryCode('a-b-c-d-e-f-g-h')).toBe('ABCDEFGH');
    for (const bad of ['', 'ABCD-EFG', 'ABCD-EFGHJ', 'ABCD-EFG0', 'ABCD-EFGI', 'ABCD-EFGO', 'ABCD_EFGH', 'x'.repeat(100)]) {
      expect(normalizeRecoveryCode(bad), bad).toBeNull();
    }
    expect(normalizeRecoveryCode(undefined)).toBeNull();
  });
});
