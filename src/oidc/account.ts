import type { FindAccount } from 'oidc-provider';
import { standardClaims } from '../users/index.js';
import type { OidcDeps, Organization } from './types.js';

/**
 * Accounts are users of the issuer's organization only; inactive users have no claims at all, so
 * userinfo answers invalid_token and refresh invalid_grant (spec 10 §4).
 */
export function findAccountFor(deps: OidcDeps, org: Organization): FindAccount {
  return async (_ctx, sub) => {
    const user = await deps.users.findById(org.id, sub);
    if (!user || user.status !== 'active') return undefined;
    return {
      accountId: user.id,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        return {
          ...standardClaims(user, scopes),
          sub: user.id,
          org_id: org.id,
          org_slug: org.slug,
          roles: [],
          permissions: [],
        };
      },
    };
  };
}
