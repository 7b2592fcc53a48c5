import { ADMIN_CONSOLE_CLIENT_ID } from '../actors/index.js';
import type { EngineClientMetadata } from '../clients/index.js';

/** Where the console at `/admin` receives the authorization code and lands after sign-out (spec 70 §3). */
export function adminConsoleUris(issuerBaseUrl: string): { redirectUri: string; postLogoutRedirectUri: string } {
  return { redirectUri: `${issuerBaseUrl}/admin/callback`, postLogoutRedirectUri: `${issuerBaseUrl}/admin` };
}

/**
 * The engine's view of the built-in `porta-admin-console` client of the admin organization: its redirect
 * and post-logout URIs come from ISSUER_BASE_URL each time the engine loads it (migration 026 cannot know
 * the issuer, and a changed issuer keeps working), beside any a super admin registered. Other clients pass
 * through unchanged.
 */
export function withConsoleUris(metadata: EngineClientMetadata, org: { isSuperAdmin: boolean }, issuerBaseUrl: string): EngineClientMetadata {
  if (!org.isSuperAdmin || metadata.client_id !== ADMIN_CONSOLE_CLIENT_ID) return metadata;
  const { redirectUri, postLogoutRedirectUri } = adminConsoleUris(issuerBaseUrl);
  return {
    ...metadata,
    redirect_uris: [...new Set([redirectUri, ...metadata.redirect_uris])],
    post_logout_redirect_uris: [...new Set([postLogoutRedirectUri, ...metadata.post_logout_redirect_uris])],
  };
}
