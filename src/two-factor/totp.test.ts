import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base32Of, matchTotpStep, newTotpSecret, normalizeTotpCode, otpauthUrl, totpCodeAt, totpStep } from './totp.js';

/** RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890". */
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

/** RFC 4226 §5.3 computed independently of the library. */
function reference(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return bin.toString().padStart(6, '0');
}

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  it('matches the RFC 6238 test vectors (last 6 digits)', () => {
    const vectors: Array<[number, string]> = [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037']];
    for (const [seconds, code] of vectors) expect(totpCodeAt(RFC_SECRET, seconds * 1000)).toBe(code);
  });

  it('accepts the previous, current and next step and nothing further', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_015_000;
    const current = totpStep(now);
    for (const delta of [-1, 0, 1]) expect(matchTotpStep(secret, reference(secret, current + delta), now)).toBe(current + delta);
    for (const delta of [-3, -2, 2, 3]) expect(matchTotpStep(secret, reference(secret, current + delta), now)).toBeNull();
  });

  it('rejects malformed codes without throwing, and ignores spaces an app shows', () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const code = totpCodeAt(secret, now);
    expect(matchTotpStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(totpStep(now));
    for (const bad of ['', '12345', '1234567', 'abcdef', '12345x']) expect(matchTotpStep(secret, bad, now)).toBeNull();
    expect(normalizeTotpCode(123456)).toBeNull();
  });

  it('makes 20-byte secrets and an otpauth URI with issuer, account and parameters', () => {
    const secret = newTotpSecret();
    expect(secret).toHaveLength(20);
    expect(base32Of(secret)).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl(secret, 'Acme Corp', 'ana@example.com'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Acme Corp:ana@example.com');
    expect(Object.fromEntries(url.searchParams)).toEqual({ issuer: 'Acme Corp', secret: base32Of(secret), algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
