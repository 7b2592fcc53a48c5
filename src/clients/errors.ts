import { AppError } from '../platform/errors.js';

export const clientNotFound = () => new AppError('not_found', 'client_not_found', 'Client not found.');
export const clientSecretNotFound = () => new AppError('not_found', 'client_secret_not_found', 'Client secret not found.');
export const organizationNotFound = () => new AppError('not_found', 'organization_not_found', 'Organization not found.');
export const applicationNotFound = (applicationId: string) =>
  new AppError('invalid', 'application_not_found', 'The application does not exist or is archived.', { applicationId });
export const applicationInactive = (applicationId: string) =>
  new AppError('invalid', 'application_inactive', 'The application is inactive and accepts no new clients.', { applicationId });
export const clientIdTaken = () => new AppError('conflict', 'client_id_taken', 'This client_id is already in use.');
export const publicClientSecret = () => new AppError('invalid', 'public_client_secret', 'Public clients have no secrets.');
export const clientRevoked = () => new AppError('conflict', 'client_revoked', 'The client is revoked.');
export const invalidSecretExpiry = () => new AppError('invalid', 'invalid_secret_expiry', 'expiresAt must be in the future.');

export const invalidTransition = (from: string, to: string) =>
  new AppError('conflict', 'invalid_transition', `Cannot change a ${from} client to ${to}.`, { from, to });

/** A client rule violation: `invalid` with a specific code and the offending field. */
export const invalidClient = (code: string, message: string, details: Record<string, unknown>) =>
  new AppError('invalid', code, message, details);

export { parseInput } from '../platform/validation.js';
