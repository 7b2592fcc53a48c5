import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_2FA } from '../two-factor/index.js';
import { SECOND_FACTOR_REASON, isStepUpRequested } from './second-factor.js';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps } from './types.js';

/**
 * Whether a live session's sign-in is too weak for this request: its `acr` is one factor while the client
 * asks for `urn:porta:acr:2fa` (step-up), the organization's policy now requires a second factor, or the
 * user has since enrolled one (spec 60 §4: a policy change applies to the next sign-in, and reusing the
 * session is one). Right after a sign-in (the interaction's result), never: that sign-in already followed
 * the policy, and asking again would loop.
 */
export function secondFactorCheck(deps: Pick<OidcDeps, 'users'>): interactionPolicy.Check {
  return new interactionPolicy.Check(SECOND_FACTOR_REASON, 'a second factor is required', 'login_required', async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    if (!accountId || oidc.result?.login || oidc.session?.acr === ACR_2FA) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    if (isStepUpRequested(oidc.params?.acr_values)) return interactionPolicy.Check.REQUEST_PROMPT;
    const { org } = currentTenant();
    if (org.twoFactorPolicy !== 'optional') return interactionPolicy.Check.REQUEST_PROMPT;
    const user = await deps.users.findById(org.id, accountId);
    return user?.twoFactorEnabled === true;
  });
}

/**
 * The engine's prompts with the second-factor check added to `login`: under `prompt=none` a session that
 * needs it answers `login_required`; otherwise the interaction asks for the second factor.
 */
export function interactionPolicyOf(deps: Pick<OidcDeps, 'users'>): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(secondFactorCheck(deps));
  return policy;
}
