import { AppError } from '../platform/errors.js';

/**
 * Why an assertion was refused, for the audit entry (`user.login.passkey.failed`) and the logs only: the
 * person sees one generic message whatever it was, so the page tells nothing about accounts or keys.
 */
export const SIGN_IN_FAILURES = [
  'challenge_missing',
  'challenge_mismatch',
  'wrong_ceremony',
  'origin_mismatch',
  'rp_id_mismatch',
  'unknown_credential',
  'user_handle_mismatch',
  'wrong_user',
  'counter_regression',
  'user_verification_missing',
  'invalid_signature',
  'malformed_response',
  'user_inactive',
] as const;
export type SignInFailure = (typeof SIGN_IN_FAILURES)[number];

/** A refused assertion; `reason` is never shown to the person signing in. */
export class PasskeyRejected extends AppError {
  constructor(
    readonly reason: SignInFailure,
    readonly userId: string | null = null,
    readonly passkeyId: string | null = null,
  ) {
    super('unauthorized', 'passkey_rejected', 'The passkey could not be verified.', { reason });
    this.name = 'PasskeyRejected';
  }
}

/** Why a registration was refused (the setup page asks the person to try again). */
export const REGISTRATION_FAILURES = ['challenge_missing', 'origin_mismatch', 'rp_id_mismatch', 'user_verification_missing', 'malformed_response', 'invalid_attestation'] as const;
export type RegistrationFailure = (typeof REGISTRATION_FAILURES)[number];

export class PasskeyRegistrationRejected extends AppError {
  constructor(readonly reason: RegistrationFailure) {
    super('invalid', 'passkey_registration_rejected', 'The new passkey could not be verified.', { reason });
    this.name = 'PasskeyRegistrationRejected';
  }
}

export const passkeyNotFound = () => new AppError('not_found', 'passkey_not_found', 'Passkey not found.');

export const passkeyAlreadyRegistered = () => new AppError('conflict', 'passkey_already_registered', 'This passkey is already registered.');

export const userNotFound = () => new AppError('not_found', 'user_not_found', 'User not found.');

/** Only the user, Porta itself or an admin holding `user:2fa` changes a user's passkeys. */
export const notAccountOwner = () => new AppError('forbidden', 'forbidden', "Only the account owner can add a passkey to this account.");

export const userInactive = () => new AppError('forbidden', 'user_inactive', 'The account is not active.');
