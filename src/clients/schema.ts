import { z } from 'zod';

export const ClientType = z.enum(['confidential', 'public']);
export type ClientType = z.infer<typeof ClientType>;
export const ApplicationType = z.enum(['web', 'native', 'spa']);
export type ApplicationType = z.infer<typeof ApplicationType>;
/** RFC 8628 names its grant by URN; the others are RFC 6749's short names. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GrantType = z.enum(['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT]);
export type GrantType = z.infer<typeof GrantType>;
export const TokenEndpointAuthMethod = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
export type TokenEndpointAuthMethod = z.infer<typeof TokenEndpointAuthMethod>;
/** Spec 60 §1 and spec 70 §1 (`passkey`); `null` on a client inherits the organization's list. */
export const LoginMethod = z.enum(['password', 'magic_link', 'passkey']);
export type LoginMethod = z.infer<typeof LoginMethod>;
export const ClientStatus = z.enum(['active', 'inactive', 'revoked']);
export type ClientStatus = z.infer<typeof ClientStatus>;
/** Spec 70 §5: RS256 by default (OIDC Core §15.1); PS256 signs with the RSA key too. */
export const IdTokenSigningAlg = z.enum(['RS256', 'ES256', 'PS256']);
export type IdTokenSigningAlg = z.infer<typeof IdTokenSigningAlg>;
/** `scopes`: the granted scopes' claims and custom claims in the ID token too; `minimal`: only in userinfo. */
export const IdTokenClaims = z.enum(['scopes', 'minimal']);
export type IdTokenClaims = z.infer<typeof IdTokenClaims>;

/** A public JWK of a private_key_jwt client (RFC 7517); private members are refused by the rules. */
const Jwk = z.looseObject({ kty: z.enum(['RSA', 'EC', 'OKP']), kid: z.string().max(255).optional() });
export const ClientJwks = z.strictObject({ keys: z.array(Jwk).min(1).max(10) });
export type ClientJwks = z.infer<typeof ClientJwks>;

/** Scopes a client may be registered for (spec 10 §3 `scopes_supported`). */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

// 30-cli §7: provisioned identifiers and secret values.
export const ExplicitClientId = z.string().regex(/^[A-Za-z0-9._~-]{3,255}$/, '3–255 characters of A-Z a-z 0-9 . _ ~ -');
export const ProvisionedSecretValue = z.string().regex(/^[\x20-\x7e]{32,255}$/, '32–255 printable ASCII characters');

const uri = z.string().trim().min(1).max(2048);
const expiry = z.union([z.iso.datetime({ offset: true }), z.date()]).transform((v) => new Date(v));

export const ClientSecretInput = z.object({
  label: z.string().trim().max(255).nullable().optional(),
  expiresAt: expiry.nullable().optional(),
  value: ProvisionedSecretValue.optional(),
});
export type ClientSecretInput = z.input<typeof ClientSecretInput>;

/** Fields that may change after creation (admin API 20 §5.5 PUT); defaults are applied by the rules, not here. */
const settingsFields = {
  clientName: z.string().trim().min(1).max(255),
  applicationType: ApplicationType,
  redirectUris: z.array(uri).max(10),
  postLogoutRedirectUris: z.array(uri).max(10),
  grantTypes: z.array(GrantType).min(1),
  responseTypes: z.array(z.literal('code')).length(1),
  scope: z.string().trim().min(1).max(1000),
  tokenEndpointAuthMethod: TokenEndpointAuthMethod,
  allowedOrigins: z.array(uri).max(20),
  requirePkce: z.boolean(),
  requireConsent: z.boolean(),
  loginMethods: z.array(LoginMethod).min(1).nullable(),
  idTokenSignedResponseAlg: IdTokenSigningAlg,
  idTokenClaims: IdTokenClaims,
  backchannelLogoutUri: uri.nullable(),
  backchannelLogoutSessionRequired: z.boolean(),
  jwks: ClientJwks.nullable(),
  jwksUri: uri.nullable(),
};

export const CreateClientInput = z.object(settingsFields).partial().extend({
  applicationId: z.string(),
  clientType: ClientType,
  clientName: settingsFields.clientName,
  clientId: ExplicitClientId.optional(),
  secret: ClientSecretInput.optional(),
});
export type CreateClientInput = z.input<typeof CreateClientInput>;

/** Organization, application, client type and client_id are fixed; `loginMethods: null` = inherit the org's. */
export const UpdateClientInput = z.strictObject(settingsFields).partial();
export type UpdateClientInput = z.input<typeof UpdateClientInput>;

export const ClientSortBy = z.enum(['client_name', 'created_at']);
export type ClientSortBy = z.infer<typeof ClientSortBy>;

export const ListClientsInput = z.object({
  applicationId: z.string().optional(),
  status: ClientStatus.optional(),
  search: z.string().trim().max(255).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sortBy: ClientSortBy.default('created_at'),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
});
export type ListClientsInput = z.input<typeof ListClientsInput>;
