import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

type Oidc = KoaContextWithOIDC['oidc'];

/** Claims every ID token may carry, which the engine never asks consent for. */
const UNGATED_CLAIMS = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

/** A first-party client: one the organization registered without `require_consent` (spec 10 §7). */
function isFirstParty(metadata: Record<string, unknown>): boolean {
  return (metadata.porta as { require_consent?: boolean } | undefined)?.require_consent !== true;
}

/**
 * The engine's `loadExistingGrant`: the grant an authorization request may use without asking the user.
 * Other clients get what the user consented to before (the engine's default). A first-party client's
 * grant is extended to what this request needs, as the consent step would record it without asking,
 * so `prompt=none` at a second first-party client of the organization answers with a code while the
 * session lives (spec 70 §5, silent SSO). Without a session there is no grant: login_required.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client;
  if (!client) return undefined;
  const result = oidc.result as { consent?: { grantId?: string } } | undefined;
  const grantId = result?.consent?.grantId ?? oidc.session?.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const accountId = oidc.session?.accountId;
  if (!accountId || !isFirstParty(client.metadata()) || (existing && existing.accountId !== accountId)) return existing;
  const grant = existing ?? new oidc.provider.Grant({ accountId, clientId: client.clientId });
  if (!addWhatTheRequestNeeds(grant, oidc)) return existing;
  await grant.save();
  return grant;
}

/** Adds the request's scopes and claims the grant has not seen yet; false when there were none. */
function addWhatTheRequestNeeds(grant: Grant, oidc: Oidc): boolean {
  const seenScopes = new Set((grant.getOIDCScopeEncountered() ?? '').split(' '));
  const scopes = [...oidc.requestParamOIDCScopes].filter((scope) => !seenScopes.has(scope));
  const seenClaims = new Set(grant.getOIDCClaimsEncountered());
  const claims = [...oidc.requestParamClaims].filter((claim) => !seenClaims.has(claim) && !UNGATED_CLAIMS.has(claim));
  let isChanged = scopes.length > 0 || claims.length > 0;
  if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
  if (claims.length > 0) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const seen = new Set((grant.getResourceScopeEncountered(indicator) ?? '').split(' '));
    const missing = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope) && !seen.has(scope));
    if (missing.length > 0) {
      grant.addResourceScope(indicator, missing.join(' '));
      isChanged = true;
    }
  }
  return isChanged;
}
