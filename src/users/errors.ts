import { AppError } from '../platform/errors.js';

export const userNotFound = () => new AppError('not_found', 'user_not_found', 'User not found.');
export const organizationNotFound = () => new AppError('not_found', 'organization_not_found', 'Organization not found.');
export const userEmailTaken = () => new AppError('conflict', 'user_email_taken', 'A user with this e-mail already exists in the organization.');

export const invalidTransition = (action: string, from: string) =>
  new AppError('conflict', 'invalid_transition', `Cannot ${action} a user whose status is ${from}.`, { action, from });

export const reservedLockReason = () =>
  new AppError('invalid', 'invalid_lock_reason', 'The lock reason "auto_lockout" is reserved for automatic lockout.');

export { parseInput } from '../platform/validation.js';
