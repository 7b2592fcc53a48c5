import { AppError } from '../platform/errors.js';
import type { ApplicationStatus, ModuleStatus } from './schema.js';

export const applicationNotFound = () => new AppError('not_found', 'application_not_found', 'Application not found.');

export const applicationSlugTaken = (slug: string) =>
  new AppError('conflict', 'application_slug_taken', `The application slug "${slug}" is already in use.`, { slug });

export const moduleNotFound = () => new AppError('not_found', 'module_not_found', 'Module not found in this application.');

export const moduleSlugTaken = (slug: string) =>
  new AppError('conflict', 'module_slug_taken', `The module slug "${slug}" is already in use in this application.`, { slug });

export const invalidSlug = (slug: string) =>
  new AppError(
    'invalid',
    'invalid_slug',
    'A slug is 3-100 characters of a-z, 0-9 and "-", and does not start or end with "-".',
    { slug },
  );

export const invalidTransition = (from: ApplicationStatus, to: ApplicationStatus) =>
  new AppError('conflict', 'invalid_transition', `An application cannot go from ${from} to ${to}.`, { from, to });

export const moduleInvalidTransition = (from: ModuleStatus, to: ModuleStatus) =>
  new AppError('conflict', 'invalid_transition', `A module cannot go from ${from} to ${to}.`, { from, to });

export const adminApplicationProtected = () =>
  new AppError('forbidden', 'admin_application_protected', 'The admin application cannot be deactivated, archived or renamed.');
