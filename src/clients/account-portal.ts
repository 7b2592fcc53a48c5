import type { EngineClientMetadata, PortaClientExtras } from './engine.js';

type PortalClientMetadata = Omit<EngineClientMetadata, 'porta'> & { porta: Omit<PortaClientExtras, 'internal_id' | 'application_id'> };

/** Spec 70 §2: the built-in public client of every organization's account portal. */
export const ACCOUNT_PORTAL_CLIENT_ID = 'porta-account';

/** Where the portal of `orgSlug` lives, from ISSUER_BASE_URL (never from a request). */
export const accountPortalUrl = (issuerBaseUrl: string, orgSlug: string) => `${issuerBaseUrl.replace(/\/+$/, '')}/${orgSlug}/account`;

/**
 * The engine's view of `porta-account` in one organization. It is not a row of `clients`: client ids are
 * unique across organizations there, and this one exists in every organization (including those created
 * before the portal), so it is derived here from the organization and ISSUER_BASE_URL each time the engine
 * loads it. A changed ISSUER_BASE_URL therefore changes its redirect URI with it; administrators cannot
 * edit or delete it, and an organization with the portal off has no such client. It carries no internal
 * id (no secrets, no tracked-session client) and no application (no roles or custom claims).
 */
export function accountPortalClient(org: { id: string; slug: string }, issuerBaseUrl: string): PortalClientMetadata {
  const portal = accountPortalUrl(issuerBaseUrl, org.slug);
  return {
    client_id: ACCOUNT_PORTAL_CLIENT_ID,
    client_name: 'Account',
    redirect_uris: [`${portal}/callback`],
    post_logout_redirect_uris: [portal],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    id_token_signed_response_alg: 'RS256',
    porta: {
      organization_id: org.id,
      client_type: 'public',
      application_type: 'web',
      require_consent: false,
      login_methods: null,
      allowed_origins: [],
      status: 'active',
      require_pkce: true,
      id_token_claims: 'scopes',
    },
  };
}
