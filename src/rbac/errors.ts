import { AppError } from '../platform/errors.js';

export const roleNotFound = () => new AppError('not_found', 'role_not_found', 'Role not found in this application.');
export const permissionNotFound = () => new AppError('not_found', 'permission_not_found', 'Permission not found in this application.');
export const claimNotFound = () => new AppError('not_found', 'claim_not_found', 'Claim definition not found in this application.');
export const claimValueNotFound = () => new AppError('not_found', 'claim_value_not_found', 'The user has no value for this claim.');
export const userNotFound = () => new AppError('not_found', 'user_not_found', 'User not found.');
export const organizationNotFound = () => new AppError('not_found', 'organization_not_found', 'Organization not found.');

export const roleSlugTaken = (slug: string) =>
  new AppError('conflict', 'role_slug_taken', `The role slug "${slug}" is already in use in this application.`, { slug });
export const permissionSlugTaken = (slug: string) =>
  new AppError('conflict', 'permission_slug_taken', `The permission slug "${slug}" is already in use in this application.`, { slug });
export const claimNameTaken = (claimName: string) =>
  new AppError('conflict', 'claim_slug_taken', `The claim "${claimName}" is already defined in this application.`, { claimName });

export const inUse = (what: 'role' | 'permission', count: number) =>
  new AppError(
    'conflict',
    'in_use',
    what === 'role'
      ? `The role is held by ${count} user(s); pass force=true to delete it anyway.`
      : `The permission is used by ${count} role(s); pass force=true to delete it anyway.`,
    { count },
  );

/** Spec 20 §3.3: the admin application's roles, permissions and claims are read-only. */
export const adminApplicationProtected = () =>
  new AppError('forbidden', 'admin_application_protected', "The admin application's roles, permissions and claims are read-only.");

export const superAdminProtected = () =>
  new AppError('forbidden', 'super_admin_protected', 'The super-admin user always keeps the porta-super-admin role.');

export const privilegeEscalation = (message: string, details?: unknown) => new AppError('forbidden', 'privilege_escalation', message, details);

/** Issue 9 item 12: a custom claim would shadow a protocol, introspection or Porta claim. */
export const claimNameReserved = (claimName: string) =>
  new AppError('invalid', 'claim_name_reserved', `The claim name "${claimName}" is reserved (a protocol, introspection or Porta claim).`, { claimName });

/** An input rule broken by a referenced object; `field` names the offending input. */
export const invalidReference = (code: string, field: string, message: string, value: unknown) =>
  new AppError('invalid', code, message, { [field]: value });

export const immutableField = (field: string) => new AppError('invalid', `${field}_immutable`, `${field} cannot be changed.`, { [field]: null });

export const claimTypeMismatch = (claimType: string) =>
  new AppError('invalid', 'claim_type_mismatch', `The value must be ${describeType(claimType)}.`, { value: claimType });

function describeType(claimType: string): string {
  switch (claimType) {
    case 'string': return 'a string';
    case 'number': return 'a finite number';
    case 'boolean': return 'true or false';
    default: return 'an object or an array';
  }
}
