import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCounterRegression, parseAuthenticatorDataHead, parseClientData, relyingPartyName, relyingPartyOf, rpIdHashOf } from './relying-party.js';

const authData = (flags: number, counter: number, rpId = 'auth.example.com') => {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter);
  return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), c]).toString('base64url');
};

describe('relying party (spec 70 §1)', () => {
  it('takes the RP ID from the host and the origin from the whole issuer URL', () => {
    expect(relyingPartyOf('https://auth.example.com')).toEqual({ id: 'auth.example.com', origin: 'https://auth.example.com' });
    expect(relyingPartyOf('http://localhost:3000')).toEqual({ id: 'localhost', origin: 'http://localhost:3000' });
    expect(relyingPartyOf('https://Auth.Example.com:8443')).toEqual({ id: 'auth.example.com', origin: 'https://auth.example.com:8443' });
  });

  it('names the RP after the company, else the slug', () => {
    expect(relyingPartyName({ slug: 'acme', branding: { companyName: 'Acme Inc.' } })).toBe('Acme Inc.');
    expect(relyingPartyName({ slug: 'acme', branding: { companyName: null } })).toBe('acme');
  });

  it('reads the client data, and nothing that is not its JSON object', () => {
    const encoded = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(parseClientData(encoded({ type: 'webauthn.get', challenge: 'abc', origin: 'https://a.example', crossOrigin: false }))).toEqual({ type: 'webauthn.get', challenge: 'abc', origin: 'https://a.example' });
    expect(parseClientData(encoded({ type: 'webauthn.get', challenge: 1, origin: 'x' }))).toBeNull();
    expect(parseClientData(encoded(null))).toBeNull();
    expect(parseClientData('not json')).toBeNull();
  });

  it('reads the flags and the big-endian counter of authenticator data', () => {
    expect(parseAuthenticatorDataHead(authData(0x01 | 0x04 | 0x08 | 0x10, 258))).toEqual({
      rpIdHash: rpIdHashOf('auth.example.com'), isUserPresent: true, isUserVerified: true, isBackupEligible: true, isBackedUp: true, signCount: 258,
    });
    expect(parseAuthenticatorDataHead(authData(0x01, 0))).toMatchObject({ isUserVerified: false, isBackedUp: false, signCount: 0 });
    expect(parseAuthenticatorDataHead(Buffer.alloc(36).toString('base64url'))).toBeNull();
  });

  it('refuses a counter that did not grow unless both are zero', () => {
    expect(isCounterRegression(0, 0)).toBe(false);
    expect(isCounterRegression(0, 1)).toBe(false);
    expect(isCounterRegression(5, 6)).toBe(false);
    expect(isCounterRegression(5, 5)).toBe(true);
    expect(isCounterRegression(5, 4)).toBe(true);
    expect(isCounterRegression(5, 0)).toBe(true);
  });
});
