import { randomBytes } from 'node:crypto';
import type { Client } from './repo.js';
import { usesSecret } from './rules.js';
import type { ClientJwks } from './schema.js';

/**
 * Stands in for `client_secret` so the engine accepts secret-based auth methods. Random per process and
 * never stored or shown, so nobody can present it; the real check is `verifySecret` (SHA-256 of every
 * active secret), which the OIDC layer must wire in place of the engine's own comparison.
 */
export const ENGINE_SECRET_PLACEHOLDER = `porta-secret-placeholder.${randomBytes(32).toString('base64url')}`;

/** Porta's own fields, registered with oidc-provider as `extraClientMetadata.properties: ['porta']`. */
export interface PortaClientExtras {
  internal_id: string;
  organization_id: string;
  application_id: string;
  client_type: Client['clientType'];
  /** the registered type, before `spa` is presented to the engine as `web` */
  application_type: Client['applicationType'];
  require_consent: boolean;
  /** null = the organization's default login methods */
  login_methods: string[] | null;
  allowed_origins: string[];
  status: Client['status'];
  /** Confidential clients may turn PKCE off; public clients never (spec 70 §5). */
  require_pkce: boolean;
  /** `scopes`: the granted scopes' claims also in the ID token; `minimal`: userinfo only. */
  id_token_claims: Client['idTokenClaims'];
}

/** oidc-provider (v9) client metadata; snake_case as the engine expects. */
export interface EngineClientMetadata {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  /** ['code'], or [] for a client without authorization_code (the engine then needs no redirect URIs) */
  response_types: string[];
  scope: string;
  token_endpoint_auth_method: Client['tokenEndpointAuthMethod'];
  application_type: 'web' | 'native';
  id_token_signed_response_alg: Client['idTokenSignedResponseAlg'];
  /** secret-based confidential clients only: ENGINE_SECRET_PLACEHOLDER */
  client_secret?: string;
  /** OIDC Back-Channel Logout 1.0, when registered. */
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** private_key_jwt clients: their public keys, inline or by URL. */
  jwks?: ClientJwks;
  jwks_uri?: string;
  porta: PortaClientExtras;
}

/** The engine's view of a client (spec 10 §13); `offline_access` joins the scope when refresh tokens are allowed. */
export function toEngineMetadata(client: Client): EngineClientMetadata {
  const hasCodeFlow = client.grantTypes.includes('authorization_code');
  const scopes = client.scope.split(/\s+/).filter(Boolean);
  if (client.grantTypes.includes('refresh_token') && !scopes.includes('offline_access')) scopes.push('offline_access');
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    grant_types: [...client.grantTypes],
    response_types: hasCodeFlow ? ['code'] : [],
    scope: scopes.join(' '),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    application_type: client.applicationType === 'native' ? 'native' : 'web',
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    ...(usesSecret(client) ? { client_secret: ENGINE_SECRET_PLACEHOLDER } : {}),
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: client.backchannelLogoutSessionRequired }
      : {}),
    ...(client.jwks ? { jwks: structuredClone(client.jwks) } : {}),
    ...(client.jwksUri ? { jwks_uri: client.jwksUri } : {}),
    porta: {
      internal_id: client.id,
      organization_id: client.organizationId,
      application_id: client.applicationId,
      client_type: client.clientType,
      application_type: client.applicationType,
      require_consent: client.requireConsent,
      login_methods: client.loginMethods === null ? null : [...client.loginMethods],
      allowed_origins: [...client.allowedOrigins],
      status: client.status,
      require_pkce: client.clientType === 'public' || client.requirePkce,
      id_token_claims: client.idTokenClaims,
    },
  };
}
