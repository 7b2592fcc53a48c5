import { errors } from 'oidc-provider';
import { ClientJwks, IdTokenSigningAlg, usesSecret, type ClientSettings, type resolveClientSettings } from '../clients/index.js';

/** What a registration request asks for, in Porta's terms; Porta's client rules then apply to it. */
export type RegistrationDraft = Parameters<typeof resolveClientSettings>[0] & { clientName: string };

/** RFC 7591 §2 client metadata Porta understands; any other member is ignored and not stored (§2). */
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
const APPLICATION_TYPES = ['web', 'native'] as const;
const MAX_URIS = 10;
export const DEFAULT_CLIENT_NAME = 'Dynamically registered client';

const problem = (message: string) => new errors.InvalidClientMetadata(message);

function oneOf<const T extends readonly string[]>(field: string, value: unknown, allowed: T, fallback: T[number]): T[number] {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw problem(`${field} ${JSON.stringify(value)} is not supported (${allowed.join(', ')})`);
  }
  return value as T[number];
}

function strings(field: string, value: unknown, max: number): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > max || value.some((v) => typeof v !== 'string')) {
    throw problem(`${field} must be an array of at most ${max} strings`);
  }
  return value as string[];
}

function grantTypesOf(value: unknown): Array<(typeof GRANT_TYPES)[number]> {
  const grants = strings('grant_types', value, GRANT_TYPES.length * 2) ?? ['authorization_code'];
  const unsupported = grants.find((g) => !(GRANT_TYPES as readonly string[]).includes(g));
  if (unsupported !== undefined) throw problem(`grant_types "${unsupported}" is not supported (${GRANT_TYPES.join(', ')})`);
  return grants as Array<(typeof GRANT_TYPES)[number]>;
}

/** RFC 7591 §2.1: response types and grant types must agree; Porta answers only `code` (no implicit or hybrid). */
function checkResponseTypes(value: unknown, grants: readonly string[]): void {
  const hasCodeGrant = grants.includes('authorization_code');
  const types = strings('response_types', value, 4) ?? (hasCodeGrant ? ['code'] : []);
  const unsupported = types.find((t) => t !== 'code');
  if (unsupported !== undefined) throw problem(`response_types "${unsupported}" is not supported: only "code"`);
  if (types.includes('code') !== hasCodeGrant) throw problem('response_types "code" and grant_types authorization_code go together');
}

function clientNameOf(value: unknown): string {
  if (value === undefined || value === null) return DEFAULT_CLIENT_NAME;
  if (typeof value !== 'string' || value.trim().length === 0 || value.trim().length > 255) throw problem('client_name must be 1–255 characters');
  return value.trim();
}

function optionalString(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw problem(`${field} must be a string of at most ${max} characters`);
  return value;
}

function jwksOf(value: unknown): ClientJwks | null {
  if (value === undefined || value === null) return null;
  const parsed = ClientJwks.safeParse(value);
  if (!parsed.success) throw problem('jwks must be a JWK Set of 1–10 public keys');
  return parsed.data;
}

/**
 * The registration request (RFC 7591 §2, or an RFC 7592 update) as a Porta client draft. Unsupported
 * values of understood members are `invalid_client_metadata`; redirect URI problems are for the rules.
 */
export function registrationDraft(metadata: Record<string, unknown>): RegistrationDraft {
  const tokenEndpointAuthMethod = oneOf('token_endpoint_auth_method', metadata.token_endpoint_auth_method, AUTH_METHODS, 'client_secret_basic');
  const grantTypes = grantTypesOf(metadata.grant_types);
  checkResponseTypes(metadata.response_types, grantTypes);
  const alg = metadata.id_token_signed_response_alg;
  return {
    clientName: clientNameOf(metadata.client_name),
    clientType: tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
    applicationType: oneOf('application_type', metadata.application_type, APPLICATION_TYPES, 'web'),
    tokenEndpointAuthMethod,
    grantTypes,
    redirectUris: strings('redirect_uris', metadata.redirect_uris, MAX_URIS) ?? [],
    postLogoutRedirectUris: strings('post_logout_redirect_uris', metadata.post_logout_redirect_uris, MAX_URIS) ?? [],
    scope: optionalString('scope', metadata.scope, 1000),
    jwks: jwksOf(metadata.jwks),
    jwksUri: optionalString('jwks_uri', metadata.jwks_uri, 2048) ?? null,
    ...(alg === undefined || alg === null ? {} : { idTokenSignedResponseAlg: oneOf('id_token_signed_response_alg', alg, IdTokenSigningAlg.options, 'RS256') }),
  };
}

/**
 * The client as registered, in the engine's metadata (the registration response shows exactly this):
 * what Porta's rules made of the draft, with the engine's identifiers and, for secret-based clients, the
 * secret it generated. `offline_access` joins the scope when refresh tokens are allowed, as for every client.
 */
export function registeredMetadata(settings: ClientSettings, clientName: string, engine: Record<string, unknown>): Record<string, unknown> {
  const scopes = settings.scope.split(' ');
  if (settings.grantTypes.includes('refresh_token') && !scopes.includes('offline_access')) scopes.push('offline_access');
  const secret = usesSecret(settings) && typeof engine.client_secret === 'string'
    ? { client_secret: engine.client_secret, client_secret_expires_at: 0 }
    : {};
  return {
    client_id: engine.client_id,
    ...(engine.client_id_issued_at === undefined ? {} : { client_id_issued_at: engine.client_id_issued_at }),
    ...secret,
    client_name: clientName,
    application_type: settings.applicationType,
    redirect_uris: settings.redirectUris,
    post_logout_redirect_uris: settings.postLogoutRedirectUris,
    grant_types: settings.grantTypes,
    response_types: settings.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: scopes.join(' '),
    token_endpoint_auth_method: settings.tokenEndpointAuthMethod,
    id_token_signed_response_alg: settings.idTokenSignedResponseAlg,
    ...(settings.jwks ? { jwks: settings.jwks } : {}),
    ...(settings.jwksUri ? { jwks_uri: settings.jwksUri } : {}),
  };
}
