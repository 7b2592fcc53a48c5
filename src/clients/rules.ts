import { invalidClient } from './errors.js';
import {
  DEVICE_CODE_GRANT,
  SUPPORTED_SCOPES,
  type ApplicationType,
  type ClientType,
  type ClientJwks,
  type GrantType,
  type IdTokenClaims,
  type IdTokenSigningAlg,
  type LoginMethod,
  type TokenEndpointAuthMethod,
} from './schema.js';

/** Everything about a client that the registration rules constrain. */
export interface ClientSettings {
  clientType: ClientType;
  applicationType: ApplicationType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  responseTypes: ['code'];
  scope: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  allowedOrigins: string[];
  requireConsent: boolean;
  loginMethods: LoginMethod[] | null;
  /** Always true for public clients (S256); a confidential client may turn it off for RPs without PKCE. */
  requirePkce: boolean;
  idTokenSignedResponseAlg: IdTokenSigningAlg;
  idTokenClaims: IdTokenClaims;
  /** OIDC Back-Channel Logout 1.0: where logout tokens go; null = none. */
  backchannelLogoutUri: string | null;
  /** Logout tokens carry `sid` (and the client needs it to match). */
  backchannelLogoutSessionRequired: boolean;
  /** private_key_jwt only: the client's public keys, inline or by URL (exactly one). */
  jwks: ClientJwks | null;
  jwksUri: string | null;
}

export type ClientDraft = Pick<ClientSettings, 'clientType'> & Partial<Omit<ClientSettings, 'clientType' | 'responseTypes'>>;

export const DEFAULT_SCOPE = 'openid profile email';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
// Never acceptable, even as a native app's private-use scheme (same list as the engine).
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);
// RFC 8252 §7.1: private-use schemes are reverse domain names, so they must contain a dot.
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * Why `uri` is not an acceptable redirect URI for this application type, or null when it is.
 * Absolute, no fragment, no wildcard, no credentials; https, or http on a loopback host (any port);
 * native apps may also use a private-use scheme, but not https on a loopback host (engine rule).
 */
export function redirectUriProblem(uri: string, applicationType: ApplicationType): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (uri.includes('*')) return 'must not contain a wildcard';
  if (url.username || url.password) return 'must not contain credentials';
  const isLoopback = LOOPBACK_HOSTS.has(url.hostname);
  switch (url.protocol) {
    case 'https:':
      if (!url.hostname) return 'must name a host';
      if (applicationType === 'native' && isLoopback) return 'native apps must use http for loopback redirects';
      return null;
    case 'http:':
      return isLoopback ? null : 'must use https (http only for localhost, 127.0.0.1 or [::1])';
    default:
      if (applicationType !== 'native') return 'must use https (http only for loopback hosts)';
      if (FORBIDDEN_SCHEMES.has(url.protocol) || !PRIVATE_USE_SCHEME.test(url.protocol)) {
        return 'a native app scheme must be a reverse domain name such as com.example.app';
      }
      return null;
  }
}

/** Why `origin` is not a bare web origin (scheme://host[:port]), or null. */
export function originProblem(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://app.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https or http';
  if (url.origin !== origin) return 'must be an origin only (scheme, host and port, lower case, no path or trailing slash)';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return 'must use https (http only for loopback hosts)';
  return null;
}

function checkUris(field: 'redirectUris' | 'postLogoutRedirectUris', uris: string[], applicationType: ApplicationType): string[] {
  const code = field === 'redirectUris' ? 'invalid_redirect_uri' : 'invalid_post_logout_redirect_uri';
  for (const uri of uris) {
    const problem = redirectUriProblem(uri, applicationType);
    if (problem) throw invalidClient(code, `${uri} ${problem}.`, { path: field, uri, reason: problem });
  }
  return unique(uris);
}

function defaultGrantTypes(clientType: ClientType, applicationType: ApplicationType): GrantType[] {
  // Admin API 20 §5.5: confidential web clients get all three grants, everyone else code + refresh.
  return clientType === 'confidential' && applicationType === 'web'
    ? ['authorization_code', 'refresh_token', 'client_credentials']
    : ['authorization_code', 'refresh_token'];
}

function resolveAuthMethod(clientType: ClientType, requested: TokenEndpointAuthMethod | undefined): TokenEndpointAuthMethod {
  if (clientType === 'public') {
    if (requested !== undefined && requested !== 'none') {
      throw invalidClient('invalid_auth_method', 'Public clients authenticate with "none".', { path: 'tokenEndpointAuthMethod' });
    }
    return 'none';
  }
  if (requested === 'none') {
    throw invalidClient('invalid_auth_method', 'Confidential clients use client_secret_basic, client_secret_post or private_key_jwt.', { path: 'tokenEndpointAuthMethod' });
  }
  return requested ?? 'client_secret_basic';
}

/** JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function resolveKeySource(method: TokenEndpointAuthMethod, jwks: ClientJwks | null, jwksUri: string | null): Pick<ClientSettings, 'jwks' | 'jwksUri'> {
  if (method !== 'private_key_jwt') {
    if (jwks !== null || jwksUri !== null) {
      throw invalidClient('keys_without_private_key_jwt', 'jwks and jwksUri are for private_key_jwt clients only.', { path: jwks !== null ? 'jwks' : 'jwksUri' });
    }
    return { jwks: null, jwksUri: null };
  }
  if ((jwks === null) === (jwksUri === null)) {
    throw invalidClient('private_key_jwt_keys', 'A private_key_jwt client needs exactly one of jwks or jwksUri.', { path: 'jwks' });
  }
  if (jwksUri !== null) {
    const problem = webUriProblem(jwksUri);
    if (problem) throw invalidClient('invalid_jwks_uri', `${jwksUri} ${problem}.`, { path: 'jwksUri', reason: problem });
    return { jwks: null, jwksUri };
  }
  for (const [index, key] of (jwks as ClientJwks).keys.entries()) {
    const found = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
    if (found.length > 0) {
      throw invalidClient('private_jwk', `jwks.keys[${index}] holds private key material (${found.join(', ')}); register the public key only.`, { path: 'jwks' });
    }
  }
  return { jwks, jwksUri: null };
}

/** An https URL Porta calls (back-channel logout, jwks_uri); http only on loopback hosts, for development. */
export function webUriProblem(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return url.hostname ? null : 'must name a host';
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return 'must use https (http only for localhost, 127.0.0.1 or [::1])';
}

function resolveScope(scope: string | undefined): string {
  const tokens = unique((scope ?? DEFAULT_SCOPE).split(/\s+/).filter(Boolean));
  const unknown = tokens.filter((s) => !(SUPPORTED_SCOPES as readonly string[]).includes(s));
  if (tokens.length === 0 || unknown.length > 0) {
    throw invalidClient('invalid_scope', `Unsupported scope: ${unknown.join(' ') || '(empty)'}.`, { path: 'scope', unknown, supported: SUPPORTED_SCOPES });
  }
  return tokens.join(' ');
}

/** Confidential clients authenticate with a secret, unless they sign assertions with their own keys. */
export function usesSecret(settings: Pick<ClientSettings, 'clientType' | 'tokenEndpointAuthMethod'>): boolean {
  return settings.clientType === 'confidential' && settings.tokenEndpointAuthMethod !== 'private_key_jwt';
}

/** Applies defaults and every cross-field rule of admin API 20 §5.5 and spec 10 §6; throws `invalid` with a specific code. */
export function resolveClientSettings(draft: ClientDraft): ClientSettings {
  const { clientType } = draft;
  const applicationType = draft.applicationType ?? 'web';
  if (applicationType === 'spa' && clientType !== 'public') {
    throw invalidClient('spa_requires_public', 'Single-page applications must be public clients.', { path: 'clientType' });
  }

  const grantTypes = unique(draft.grantTypes ?? defaultGrantTypes(clientType, applicationType));
  if (clientType === 'public' && grantTypes.includes('client_credentials')) {
    throw invalidClient('public_client_credentials', 'Public clients cannot use client_credentials.', { path: 'grantTypes' });
  }
  // Refresh tokens come from a user's sign-in: the code flow or the device flow (RFC 8628), public or confidential.
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code') && !grantTypes.includes(DEVICE_CODE_GRANT)) {
    throw invalidClient('invalid_grant_types', `refresh_token needs authorization_code or ${DEVICE_CODE_GRANT}.`, { path: 'grantTypes' });
  }

  const redirectUris = checkUris('redirectUris', draft.redirectUris ?? [], applicationType);
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw invalidClient('redirect_uris_required', 'authorization_code clients need at least one redirect URI.', { path: 'redirectUris' });
  }
  const postLogoutRedirectUris = checkUris('postLogoutRedirectUris', draft.postLogoutRedirectUris ?? [], applicationType);

  const allowedOrigins = unique(draft.allowedOrigins ?? []);
  for (const origin of allowedOrigins) {
    const problem = originProblem(origin);
    if (problem) throw invalidClient('invalid_origin', `${origin} ${problem}.`, { path: 'allowedOrigins', origin, reason: problem });
  }

  const requirePkce = draft.requirePkce ?? true;
  if (!requirePkce && clientType === 'public') {
    throw invalidClient('public_client_pkce', 'Public clients always use PKCE (S256).', { path: 'requirePkce' });
  }

  const backchannelLogoutUri = draft.backchannelLogoutUri ?? null;
  if (backchannelLogoutUri !== null) {
    if (!grantTypes.includes('authorization_code')) {
      throw invalidClient('backchannel_logout_without_login', 'Back-channel logout needs the authorization_code grant (a client without sign-ins has no sessions).', { path: 'backchannelLogoutUri' });
    }
    const problem = webUriProblem(backchannelLogoutUri);
    if (problem) throw invalidClient('invalid_backchannel_logout_uri', `${backchannelLogoutUri} ${problem}.`, { path: 'backchannelLogoutUri', reason: problem });
  }

  const tokenEndpointAuthMethod = resolveAuthMethod(clientType, draft.tokenEndpointAuthMethod);
  return {
    clientType,
    applicationType,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes: ['code'],
    scope: resolveScope(draft.scope),
    tokenEndpointAuthMethod,
    allowedOrigins,
    requireConsent: draft.requireConsent ?? false,
    loginMethods: draft.loginMethods == null ? null : unique(draft.loginMethods),
    requirePkce,
    idTokenSignedResponseAlg: draft.idTokenSignedResponseAlg ?? 'RS256',
    idTokenClaims: draft.idTokenClaims ?? 'scopes',
    backchannelLogoutUri,
    backchannelLogoutSessionRequired: draft.backchannelLogoutSessionRequired ?? true,
    ...resolveKeySource(tokenEndpointAuthMethod, draft.jwks ?? null, draft.jwksUri ?? null),
  };
}
