import { AppError } from '../platform/errors.js';
import { EXPORT_ENTITY_TYPES } from './schema.js';

const invalid = (path: string, message: string) => new AppError('invalid', 'validation_failed', `${path}: ${message}`, [{ path, message }]);

export const unknownEntityType = (type: string) =>
  invalid('entityType', `"${type}" is not an export type; use one of ${EXPORT_ENTITY_TYPES.join(', ')}`);

export const missingFilter = (filter: string, type: string) => invalid(filter, `required for ${type} exports`);

export const filterNotApplicable = (filter: string, type: string) => invalid(filter, `does not apply to ${type} exports`);

export const organizationNotFound = () => new AppError('not_found', 'organization_not_found', 'Organization not found.');
export const applicationNotFound = () => new AppError('not_found', 'application_not_found', 'Application not found.');
