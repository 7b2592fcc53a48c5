import { AppError } from '../platform/errors.js';

export const configKeyNotFound = (key: string) =>
  new AppError('not_found', 'config_key_not_found', `No configuration key "${key}".`, { key });

export const configReadonly = (key: string) =>
  new AppError('forbidden', 'config_readonly', `The configuration key "${key}" is read-only.`, { key });

export const invalidConfigValue = (key: string, message: string) =>
  new AppError('invalid', 'invalid_config_value', `${key} ${message}`, { key });

export const configTypeMismatch = (key: string, expected: string, actual: string) =>
  new AppError('invalid', 'config_type_mismatch', `${key} holds a ${actual}, not a ${expected}.`, { key, expected, actual });
