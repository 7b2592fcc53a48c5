import type { Organization } from './schema.js';

/**
 * The sign-in methods a user of `org` may use through a client (spec 60 §1): the client's own list, else
 * the organization's. The admin organization offers magic links only while mail is deliverable (issue 9
 * item 10): an administrator must never depend on an e-mail that cannot arrive.
 */
export function signInMethods(
  org: Pick<Organization, 'isSuperAdmin' | 'defaultLoginMethods'>,
  clientMethods: readonly string[] | null | undefined,
  isMailDeliverable: boolean,
): string[] {
  const methods = [...(clientMethods ?? org.defaultLoginMethods)];
  return org.isSuperAdmin && !isMailDeliverable ? methods.filter((m) => m !== 'magic_link') : methods;
}
