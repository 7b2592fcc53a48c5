import { AppError } from '../platform/errors.js';
import type { LoginMethod, OrganizationStatus } from './schema.js';

export const organizationNotFound = () => new AppError('not_found', 'organization_not_found', 'Organization not found.');

export const organizationSlugTaken = (slug: string) =>
  new AppError('conflict', 'organization_slug_taken', `The slug "${slug}" is already in use.`, { slug });

export const invalidSlug = (slug: string) =>
  new AppError(
    'invalid',
    'invalid_slug',
    'A slug is 3-100 characters of a-z, 0-9 and "-", and does not start or end with "-".',
    { slug },
  );

export const slugReserved = (slug: string) =>
  new AppError('invalid', 'slug_reserved', `The slug "${slug}" is reserved.`, { slug });

export const invalidTransition = (from: OrganizationStatus, to: OrganizationStatus) =>
  new AppError('conflict', 'invalid_transition', `An organization cannot go from ${from} to ${to}.`, { from, to });

export const superAdminProtected = (message = 'The super-admin organization cannot be suspended, archived or restored.') =>
  new AppError('forbidden', 'super_admin_protected', message);

export const superAdminDestroyProtected = () =>
  new AppError('forbidden', 'super_admin_protected', 'The super-admin organization cannot be destroyed.');

export const noUsableLoginMethod = (methods: readonly LoginMethod[]) =>
  new AppError(
    'invalid',
    'no_usable_login_method',
    'The admin organization must keep a sign-in method admins can use: "password", or "magic_link" once a mail transport (SMTP) is configured.',
    { defaultLoginMethods: [...methods] },
  );
