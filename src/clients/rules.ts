import { invalidClient } from './errors.js';
import {
  SUPPORTED_SCOPES,
  type ApplicationType,
  type ClientType,
  type GrantType,
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
    throw invalidClient('invalid_auth_method', 'Confidential clients use client_secret_basic or client_secret_post.', { path: 'tokenEndpointAuthMethod' });
  }
  return requested ?? 'client_secret_basic';
}

function resolveScope(scope: string | undefined): string {
  const tokens = unique((scope ?? DEFAULT_SCOPE).split(/\s+/).filter(Boolean));
  const unknown = tokens.filter((s) => !(SUPPORTED_SCOPES as readonly string[]).includes(s));
  if (tokens.length === 0 || unknown.length > 0) {
    throw invalidClient('invalid_scope', `Unsupported scope: ${unknown.join(' ') || '(empty)'}.`, { path: 'scope', unknown, supported: SUPPORTED_SCOPES });
  }
  return tokens.join(' ');
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
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) {
    throw invalidClient('invalid_grant_types', 'refresh_token needs authorization_code.', { path: 'grantTypes' });
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

  return {
    clientType,
    applicationType,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes: ['code'],
    scope: resolveScope(draft.scope),
    tokenEndpointAuthMethod: resolveAuthMethod(clientType, draft.tokenEndpointAuthMethod),
    allowedOrigins,
    requireConsent: draft.requireConsent ?? false,
    loginMethods: draft.loginMethods == null ? null : unique(draft.loginMethods),
  };
}
