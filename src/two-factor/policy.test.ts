import { describe, expect, it } from 'vitest';
import { ACR_1FA, ACR_2FA, acrFor, amrFor, requiredSecondFactor, type EnrolledMethod, type FirstFactor, type SecondFactorStep, type TwoFactorPolicy } from './policy.js';

const step = (policy: TwoFactorPolicy, method: EnrolledMethod | null, hasPasskey = false, firstFactor: FirstFactor = 'pwd', isStepUp = false) =>
  requiredSecondFactor({ policy, enrolment: { method, hasPasskey }, firstFactor, isStepUp });

const none: SecondFactorStep = { kind: 'none' };
const challenge = (...methods: string[]) => ({ kind: 'challenge', methods });
const enrol = (...methods: string[]) => ({ kind: 'enrol', methods });

describe('requiredSecondFactor (spec 60 §4, spec 70 §1)', () => {
  // policy, enrolled method, has a passkey → expected step after a password
  const table: Array<[TwoFactorPolicy, EnrolledMethod | null, boolean, unknown]> = [
    ['optional', null, false, none],
    ['optional', null, true, none],
    ['optional', 'email', false, challenge('email')],
    ['optional', 'totp', false, challenge('totp')],
    ['optional', 'totp', true, challenge('totp', 'passkey')],
    ['required_email', null, false, enrol('email')],
    ['required_email', 'email', false, challenge('email')],
    ['required_email', 'totp', false, enrol('email')],
    ['required_email', null, true, enrol('email')],
    ['required_totp', null, false, enrol('totp')],
    ['required_totp', 'totp', false, challenge('totp')],
    // A weaker enrolled method never satisfies a stricter policy: re-enrol.
    ['required_totp', 'email', false, enrol('totp')],
    ['required_totp', 'email', true, enrol('totp')],
    ['required_any', null, false, enrol('email', 'totp', 'passkey')],
    ['required_any', null, true, challenge('passkey')],
    ['required_any', 'email', false, challenge('email')],
    ['required_any', 'totp', true, challenge('totp', 'passkey')],
    ['required_passkey', null, false, enrol('passkey')],
    ['required_passkey', null, true, challenge('passkey')],
    ['required_passkey', 'totp', false, enrol('passkey')],
    ['required_passkey', 'email', true, challenge('passkey')],
  ];
  for (const [policy, method, hasPasskey, expected] of table) {
    it(`${policy}, enrolled ${method ?? 'nothing'}${hasPasskey ? ' + passkey' : ''} → ${JSON.stringify(expected)}`, () => {
      expect(step(policy, method, hasPasskey)).toEqual(expected);
      // A magic link is a first factor like a password: the same second factor follows.
      expect(step(policy, method, hasPasskey, 'magic_link')).toEqual(expected);
      expect(step(policy, method, hasPasskey, 'passkey')).toEqual(expected);
    });
  }

  it('asks nothing more after a user-verified passkey, whatever the policy', () => {
    for (const policy of ['optional', 'required_email', 'required_totp', 'required_any', 'required_passkey'] as const) {
      for (const method of [null, 'email', 'totp'] as const) expect(step(policy, method, true, 'passkey_uv', true)).toEqual(none);
    }
  });

  it('step-up asks for a second factor under optional: the enrolled one, else any to enrol', () => {
    expect(step('optional', null, false, 'pwd', true)).toEqual(enrol('email', 'totp', 'passkey'));
    expect(step('optional', 'totp', false, 'pwd', true)).toEqual(challenge('totp'));
    expect(step('optional', null, true, 'magic_link', true)).toEqual(challenge('passkey'));
  });
});

describe('amrFor / acrFor (RFC 8176)', () => {
  it('one factor', () => {
    expect(amrFor('pwd')).toEqual(['pwd']);
    expect(amrFor('magic_link')).toEqual(['otp']);
    expect(acrFor('pwd')).toBe(ACR_1FA);
    expect(acrFor('magic_link')).toBe(ACR_1FA);
  });

  it('a verified second factor adds its value and mfa', () => {
    expect(amrFor('pwd', 'totp')).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrFor('pwd', 'email')).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrFor('pwd', 'recovery')).toEqual(['pwd', 'otp', 'mfa']);
    // Both are one-time secrets: `otp` once.
    expect(amrFor('magic_link', 'totp')).toEqual(['otp', 'mfa']);
    expect(acrFor('magic_link', 'email')).toBe(ACR_2FA);
  });

  it('passkeys: hwk device-bound, swk synced, user with verification; UV alone is multi-factor', () => {
    expect(amrFor({ passkey: { isBackedUp: false, isUserVerified: true } })).toEqual(['hwk', 'user', 'mfa']);
    expect(amrFor({ passkey: { isBackedUp: true, isUserVerified: true } })).toEqual(['swk', 'user', 'mfa']);
    expect(amrFor({ passkey: { isBackedUp: true, isUserVerified: false } })).toEqual(['swk']);
    expect(acrFor({ passkey: { isBackedUp: false, isUserVerified: true } })).toBe(ACR_2FA);
    expect(acrFor({ passkey: { isBackedUp: false, isUserVerified: false } })).toBe(ACR_1FA);
    expect(amrFor('pwd', { passkey: { isBackedUp: false, isUserVerified: false } })).toEqual(['pwd', 'hwk', 'mfa']);
    expect(acrFor('pwd', { passkey: { isBackedUp: false, isUserVerified: false } })).toBe(ACR_2FA);
  });
});
