import { AppError } from '../platform/errors.js';

export { encryptionKeyMissing } from './crypto.js';
export { parseInput } from '../platform/validation.js';

/** Spec 20 §5.6: disable, reset and regenerate need an enabled second factor. */
export const twoFactorNotEnabled = () => new AppError('conflict', 'two_factor_not_enabled', 'Two-factor authentication is not enabled for this user.');

export const twoFactorAlreadyEnabled = (method: string) =>
  new AppError('conflict', 'two_factor_already_enabled', `Two-factor authentication is already enabled with ${method}; disable it first.`, { method });

/** Turning the factor off would leave the user without one the organization's policy requires. */
export const twoFactorRequired = (policy: string) =>
  new AppError('forbidden', 'two_factor_required', `The organization's two-factor policy (${policy}) requires a second factor; add another one first.`, { policy });

/** The policy does not accept this method (spec 60 §4: no dodging a required method). */
export const methodNotAllowed = (method: string, policy: string) =>
  new AppError('forbidden', 'two_factor_method_not_allowed', `The organization's two-factor policy (${policy}) does not allow ${method}.`, { method, policy });

/** A setup step without a pending authenticator-app enrolment. */
export const noPendingTotp = () => new AppError('conflict', 'totp_enrolment_not_started', 'No authenticator-app enrolment is pending for this user.');

/** The code of a TOTP enrolment did not match; the enrolment stays pending. */
export const invalidSetupCode = () => new AppError('invalid', 'invalid_two_factor_code', 'That code is not valid.');

/** Only the user, or Porta itself, may enrol a factor: its secret must reach no one else. */
export const notAccountOwner = () =>
  new AppError('forbidden', 'forbidden', 'Only the account owner can set up a second factor.');

/** The same code as the users domain's: the admin API answers 404 `not_found` for both. */
export const userNotFound = () => new AppError('not_found', 'user_not_found', 'User not found.');

export const userInactive = () => new AppError('forbidden', 'user_inactive', 'The account is not active.');
