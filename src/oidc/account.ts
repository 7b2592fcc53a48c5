import type { FindAccount } from 'oidc-provider';
import { hasUsableSessions, standardClaims } from '../users/index.js';
import { applicationIdOf, findAccountUser, rbacClaims } from './rbac-claims.js';
import { portaOf } from './client-extras.js';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps } from './types.js';

/**
 * Accounts are users of the issuer's organization (the one in scope) only; inactive users have no claims
 * at all, so userinfo answers invalid_token and refresh invalid_grant (spec 10 §4). An automatically
 * locked user keeps its live sessions and tokens: that lock stops new sign-ins only.
 */
export function findAccountFor(deps: OidcDeps): FindAccount {
  return async (ctx, sub) => {
    const { org } = currentTenant();
    const user = await findAccountUser(deps.access, (orgId, id) => deps.users.findById(orgId, id), ctx, org.id, sub);
    if (!user || !hasUsableSessions(user)) return undefined;
    return {
      accountId: user.id,
      async claims(use, scope, requested) {
        const scopes = new Set(scope.split(' '));
        // Roles, permissions and custom claims come from the client's application only (spec 10 §4).
        const applicationId = applicationIdOf(ctx.oidc.client);
        const rbac = await rbacClaims(deps.access, user.id, applicationId, use === 'id_token' ? 'id_token' : 'userinfo');
        const isMinimal = use === 'id_token' && isMinimalIdToken(ctx.oidc.client);
        return {
          ...rbac,
          ...(isMinimal ? {} : standardClaims(user, scopes)),
          // The `claims` request parameter (OIDC Core §5.5), already narrowed by the engine to what was granted.
          ...picked(standardClaims(user, ALL_SCOPES), requested),
          sub: user.id,
          org_id: org.id,
          org_slug: org.slug,
        };
      },
    };
  };
}

/**
 * Spec 70 §5: a client registered with `id_token_claims: minimal` gets the scopes' standard claims from
 * userinfo only, as the engine's `conformIdTokenClaims` would do; absent means the default, `scopes`.
 */
function isMinimalIdToken(client: object | undefined): boolean {
  return portaOf(client)?.id_token_claims === 'minimal';
}

const ALL_SCOPES: ReadonlySet<string> = new Set(['profile', 'email', 'phone', 'address']);

/** The claims named in a `claims` request member, from `claims`. */
function picked(claims: Record<string, unknown>, requested: object | undefined): Record<string, unknown> {
  const names = new Set(Object.keys(requested ?? {}));
  return Object.fromEntries(Object.entries(claims).filter(([name]) => names.has(name)));
}
