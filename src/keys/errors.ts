import { AppError } from '../platform/errors.js';

export const signingKeyNotFound = (kidOrId: string) =>
  new AppError('not_found', 'signing_key_not_found', `No signing key ${kidOrId}.`);

export const lastActiveKey = (kid: string, algorithm: string) =>
  new AppError(
    'conflict',
    'last_active_key',
    `${kid} is the only active ${algorithm} signing key; generate a new ${algorithm} key before revoking it.`,
    { algorithm },
  );
