import type { TwoFactorPolicy } from '../organizations/index.js';

export type { TwoFactorPolicy };

/** A second factor a user can hold: e-mailed codes, an authenticator app, or a passkey (spec 70 §1). */
export type SecondFactorMethod = 'email' | 'totp' | 'passkey';

/** The method stored on the user (`users.two_factor_method`); passkeys live in their own table. */
export type EnrolledMethod = 'email' | 'totp';

/**
 * How the user proved who they are first. `passkey_uv`: a passkey assertion with user verification, which
 * is multi-factor on its own (spec 70 §1); `passkey`: one without it, a single factor like a password.
 */
export type FirstFactor = 'pwd' | 'magic_link' | 'passkey' | 'passkey_uv';

export interface SecondFactorInput {
  policy: TwoFactorPolicy;
  enrolment: { method: EnrolledMethod | null; hasPasskey: boolean };
  firstFactor: FirstFactor;
  /** The client asked for `urn:porta:acr:2fa` (step-up): a second factor even under `optional`. */
  isStepUp?: boolean;
}

/**
 * `none`: the sign-in is complete. `challenge`: verify one of `methods` (the user holds each; a recovery
 * code may stand in for an enrolled e-mail or TOTP factor). `enrol`: set up one of `methods` first.
 */
export type SecondFactorStep =
  | { kind: 'none' }
  | { kind: 'challenge'; methods: SecondFactorMethod[] }
  | { kind: 'enrol'; methods: SecondFactorMethod[] };

const ALLOWED: Readonly<Record<TwoFactorPolicy, readonly SecondFactorMethod[]>> = {
  optional: ['email', 'totp', 'passkey'],
  required_email: ['email'],
  required_totp: ['totp'],
  required_any: ['email', 'totp', 'passkey'],
  required_passkey: ['passkey'],
};

/** The methods that satisfy the policy, in the order pages offer them. */
export function allowedMethods(policy: TwoFactorPolicy): SecondFactorMethod[] {
  return [...ALLOWED[policy]];
}

export function isMethodAllowed(policy: TwoFactorPolicy, method: SecondFactorMethod): boolean {
  return ALLOWED[policy].includes(method);
}

/**
 * Spec 60 §4 and spec 70 §1: what must follow a successful first factor. A user-verified passkey satisfies
 * every policy. Otherwise a second factor is needed when the user enrolled one, the policy is not
 * `optional`, or the client asked for step-up. An enrolled method the policy does not accept is never
 * challenged (no dodging a required method with a weaker one): the user enrols an allowed one instead.
 * After a passkey without user verification, a `passkey` challenge means a new assertion with it.
 */
export function requiredSecondFactor(input: SecondFactorInput): SecondFactorStep {
  const { policy, enrolment, firstFactor } = input;
  if (firstFactor === 'passkey_uv') return { kind: 'none' };
  const isRequired = enrolment.method !== null || policy !== 'optional' || input.isStepUp === true;
  if (!isRequired) return { kind: 'none' };

  const held: SecondFactorMethod[] = [];
  if (enrolment.method !== null && isMethodAllowed(policy, enrolment.method)) held.push(enrolment.method);
  if (enrolment.hasPasskey && isMethodAllowed(policy, 'passkey')) held.push('passkey');
  if (held.length > 0) return { kind: 'challenge', methods: held };
  return { kind: 'enrol', methods: allowedMethods(policy) };
}

/** `acr` values (spec 60 §4 contract): one factor, or a verified second factor / user-verified passkey. */
export const ACR_1FA = 'urn:porta:acr:1fa';
export const ACR_2FA = 'urn:porta:acr:2fa';
export const ACR_VALUES_SUPPORTED: readonly string[] = [ACR_1FA, ACR_2FA];

/** A passkey assertion as the amr sees it: synced (backed up) or device-bound, and whether UV ran. */
export interface PasskeyUse {
  isBackedUp: boolean;
  isUserVerified: boolean;
}

/** A factor as used in one sign-in: a first factor, a verified second factor, or a passkey assertion. */
export type FactorUse = 'pwd' | 'magic_link' | 'email' | 'totp' | 'recovery' | { passkey: PasskeyUse };

function amrOf(factor: FactorUse): string[] {
  if (typeof factor === 'object') {
    // RFC 8176: hwk = proof of a hardware-bound key, swk = a software (here: synced) key; user = UV gesture.
    return [factor.passkey.isBackedUp ? 'swk' : 'hwk', ...(factor.passkey.isUserVerified ? ['user'] : [])];
  }
  // Magic links, e-mailed codes, TOTP and recovery codes are all one-time secrets (RFC 8176 `otp`).
  return factor === 'pwd' ? ['pwd'] : ['otp'];
}

const isUserVerifiedPasskey = (f: FactorUse | undefined) => typeof f === 'object' && f.passkey.isUserVerified;

/**
 * RFC 8176 `amr` of a sign-in: the de-duplicated union of both factors' values, plus `mfa` when a second
 * factor was verified or a user-verified passkey was used.
 */
export function amrFor(first: FactorUse, second?: FactorUse): string[] {
  const values = new Set([...amrOf(first), ...(second === undefined ? [] : amrOf(second))]);
  if (second !== undefined || isUserVerifiedPasskey(first)) values.add('mfa');
  return [...values];
}

export function acrFor(first: FactorUse, second?: FactorUse): string {
  return second !== undefined || isUserVerifiedPasskey(first) ? ACR_2FA : ACR_1FA;
}
