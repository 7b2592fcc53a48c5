import { describe, expect, it } from 'vitest';
import { adminActor, adminPermissionsOf, systemActor } from '../actors/index.js';
import { AppError } from '../platform/errors.js';
import { assertAdminsCanSignIn, assertMayChangeOrganization, usableLoginMethods } from './protections.js';

const actor = (isSuperAdmin: boolean) =>
  adminActor({ userId: 'u', organizationId: 'o', permissions: adminPermissionsOf(['porta-org-admin']), isSuperAdmin });

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof AppError) return `${err.kind}/${err.code}`;
    throw err;
  }
}

describe('admin organization protections (issue 9 items 8 and 10)', () => {
  it('lets only super admins change the admin organization; any admin changes another', () => {
    expect(codeOf(() => assertMayChangeOrganization(actor(false), { isSuperAdmin: true }))).toBe('forbidden/protected_resource');
    expect(codeOf(() => assertMayChangeOrganization(actor(true), { isSuperAdmin: true }))).toBeNull();
    expect(codeOf(() => assertMayChangeOrganization(systemActor(), { isSuperAdmin: true }))).toBeNull();
    expect(codeOf(() => assertMayChangeOrganization(actor(false), { isSuperAdmin: false }))).toBeNull();
  });

  it('counts a magic link as usable only with a mail transport', () => {
    expect(usableLoginMethods(['password', 'magic_link'], false)).toEqual(['password']);
    expect(usableLoginMethods(['password', 'magic_link'], true)).toEqual(['password', 'magic_link']);
    expect(usableLoginMethods(['magic_link'], false)).toEqual([]);
  });

  it('refuses a method list admins could not sign in with, saying why', () => {
    expect(codeOf(() => assertAdminsCanSignIn(['magic_link'], false))).toBe('invalid/no_usable_login_method');
    expect(codeOf(() => assertAdminsCanSignIn(['magic_link'], true))).toBeNull();
    expect(codeOf(() => assertAdminsCanSignIn(['password'], false))).toBeNull();
    try {
      assertAdminsCanSignIn(['magic_link'], false);
    } catch (err) {
      expect((err as AppError).message).toContain('SMTP');
    }
  });
});
