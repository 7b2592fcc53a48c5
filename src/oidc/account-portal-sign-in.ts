import { createHash, timingSafeEqual } from 'node:crypto';
import type { PortalCodeRedemption, PortalSignIn } from '../account-portal/context.js';
import { ACCOUNT_PORTAL_CLIENT_ID } from '../clients/index.js';
import type { ProviderRegistry } from './registry.js';
import type { Organization } from './types.js';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function isSame(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The account portal's code exchange, in process: the checks of the token endpoint for a public client
 * with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.6) on the authorization code the organization's issuer gave
 * `porta-account`, plus the OIDC nonce, then the code's single use (the adapter's atomic consume: one
 * winner among concurrent redemptions). The portal needs no token, only who signed in and when, so it
 * reads them from the code instead of an ID token it would then have to verify. Null when any check fails.
 */
export function createPortalCodeRedeemer(registry: ProviderRegistry) {
  return (org: Organization, input: PortalCodeRedemption): Promise<PortalSignIn | null> =>
    registry.withOrganization(org, async (provider) => {
      const code = await provider.AuthorizationCode.find(input.code);
      if (!code || !code.isValid) return null;
      if (code.clientId !== ACCOUNT_PORTAL_CLIENT_ID || code.redirectUri !== input.redirectUri) return null;
      if (code.codeChallengeMethod !== 'S256' || typeof code.codeChallenge !== 'string' || !isSame(code.codeChallenge, s256(input.codeVerifier))) return null;
      if (typeof code.nonce !== 'string' || !isSame(code.nonce, input.nonce)) return null;
      if (typeof code.accountId !== 'string' || typeof code.authTime !== 'number') return null;
      try {
        await code.consume();
      } catch {
        return null;
      }
      return {
        accountId: code.accountId,
        authTime: code.authTime,
        amr: Array.isArray(code.amr) ? code.amr.map(String) : [],
        acr: typeof code.acr === 'string' ? code.acr : null,
        sessionUid: typeof code.sessionUid === 'string' ? code.sessionUid : null,
      };
    });
}

export type PortalCodeRedeemer = ReturnType<typeof createPortalCodeRedeemer>;
