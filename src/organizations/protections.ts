import { requireSuperAdmin, type Actor } from '../actors/index.js';
import { noUsableLoginMethod } from './errors.js';
import type { LoginMethod, Organization } from './schema.js';

/** Issue 9 item 8: only super admins change the admin organization (spec 20 §3.3). */
export function assertMayChangeOrganization(
  actor: Actor,
  org: Pick<Organization, 'isSuperAdmin'>,
  message = 'Only a super admin may change the super-admin organization.',
): void {
  if (org.isSuperAdmin) requireSuperAdmin(actor, message);
}

/** The methods admins can actually sign in with: a magic link needs a mail transport. */
export function usableLoginMethods(methods: readonly LoginMethod[], isMailConfigured: boolean): LoginMethod[] {
  return methods.filter((method) => method === 'password' || (method === 'magic_link' && isMailConfigured));
}

/** Issue 9 item 10: the admin organization never loses its last usable sign-in method. */
export function assertAdminsCanSignIn(methods: readonly LoginMethod[], isMailConfigured: boolean): void {
  if (usableLoginMethods(methods, isMailConfigured).length === 0) throw noUsableLoginMethod(methods);
}
