import type { FindAccount } from 'oidc-provider';
import { hasUsableSessions, standardClaims } from '../users/index.js';
import { applicationIdOf, rbacClaims } from './rbac-claims.js';
import type { OidcDeps, Organization } from './types.js';

/**
 * Accounts are users of the issuer's organization only; inactive users have no claims at all, so
 * userinfo answers invalid_token and refresh invalid_grant (spec 10 §4). An automatically locked user
 * keeps its live sessions and tokens: that lock stops new sign-ins only.
 */
export function findAccountFor(deps: OidcDeps, org: Organization): FindAccount {
  return async (ctx, sub) => {
    const user = await deps.users.findById(org.id, sub);
    if (!user || !hasUsableSessions(user)) return undefined;
    return {
      accountId: user.id,
      async claims(use, scope) {
        const scopes = new Set(scope.split(' '));
        // Roles, permissions and custom claims come from the client's application only (spec 10 §4).
        const applicationId = applicationIdOf(ctx.oidc.client);
        const rbac = await rbacClaims(deps.access, user.id, applicationId, use === 'id_token' ? 'id_token' : 'userinfo');
        return {
          ...rbac,
          ...standardClaims(user, scopes),
          sub: user.id,
          org_id: org.id,
          org_slug: org.slug,
        };
      },
    };
  };
}
