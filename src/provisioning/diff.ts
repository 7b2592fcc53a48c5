import type { ApiResource, Application, Module, UpdateApplicationInput, UpdateModuleInput, UpdateResourceInput } from '../applications/index.js';
import type { Client, UpdateClientInput } from '../clients/index.js';
import type { Branding, Organization, UpdateOrganizationInput } from '../organizations/index.js';
import type { User } from '../users/index.js';
import { clientFieldsOf } from './rules.js';
import type { ManifestApplication, ManifestClient, ManifestModule, ManifestOrganization, ManifestResource, ManifestUser } from './manifest.js';

/** What overwrite mode changes: only the fields the file gives, and only where they differ. */
export interface Patch<T> {
  patch: T;
  /** The file's field names that differ. */
  changes: string[];
}

const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && a.every((v) => b.includes(v));
const scopeTokens = (scope: string) => scope.split(/\s+/).filter(Boolean);
/** JSON values equal whatever the order of object keys (jsonb stores them in its own order). */
const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical)
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)]))
      : v;
const sameJson = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function differ<T extends object>(
  fields: Array<[fileName: string, key: keyof T, wanted: unknown, current: unknown, isSame?: (a: never, b: never) => boolean]>,
): Patch<Partial<T>> {
  const patch: Partial<T> = {};
  const changes: string[] = [];
  for (const [fileName, key, wanted, current, isSame] of fields) {
    if (wanted === undefined) continue;
    const same = isSame && wanted !== null && current !== null ? isSame(wanted as never, current as never) : wanted === current;
    if (same) continue;
    patch[key] = wanted as T[keyof T];
    changes.push(fileName);
  }
  return { patch, changes };
}

type BrandingField = 'branding_logo_url' | 'branding_favicon_url' | 'branding_primary_color' | 'branding_company_name' | 'branding_custom_css';

const BRANDING_FIELDS: Array<[BrandingField, keyof Branding]> = [
  ['branding_logo_url', 'logoUrl'],
  ['branding_favicon_url', 'faviconUrl'],
  ['branding_primary_color', 'primaryColor'],
  ['branding_company_name', 'companyName'],
  ['branding_custom_css', 'customCss'],
];

export function brandingInput(o: ManifestOrganization): Partial<Branding> {
  const out: Partial<Branding> = {};
  for (const [from, to] of BRANDING_FIELDS) if (o[from] !== undefined) out[to] = o[from];
  return out;
}

export function organizationPatch(o: ManifestOrganization, current: Organization): Patch<UpdateOrganizationInput> {
  const main = differ<UpdateOrganizationInput>([
    ['name', 'name', o.name, current.name],
    ['default_locale', 'defaultLocale', o.default_locale, current.defaultLocale],
    ['default_login_methods', 'defaultLoginMethods', o.default_login_methods, current.defaultLoginMethods, sameSet],
    ['two_factor_policy', 'twoFactorPolicy', o.two_factor_policy, current.twoFactorPolicy],
    ['dynamic_registration', 'dynamicRegistration', o.dynamic_registration, current.dynamicRegistration],
    ['passkey_enrolment_prompt', 'passkeyEnrolmentPrompt', o.passkey_enrolment_prompt, current.passkeyEnrolmentPrompt],
    ['account_portal_enabled', 'accountPortalEnabled', o.account_portal_enabled, current.accountPortalEnabled],
  ]);
  const branding = differ<Branding>(BRANDING_FIELDS.map(([from, to]) => [from, to, o[from], current.branding[to]]));
  if (branding.changes.length === 0) return main;
  return { patch: { ...main.patch, branding: branding.patch }, changes: [...main.changes, ...branding.changes] };
}

export function applicationPatch(a: ManifestApplication, current: Application): Patch<UpdateApplicationInput> {
  return differ<UpdateApplicationInput>([
    ['name', 'name', a.name, current.name],
    ['description', 'description', a.description, current.description],
  ]);
}

export function modulePatch(m: ManifestModule, current: Module): Patch<UpdateModuleInput> {
  return differ<UpdateModuleInput>([
    ['name', 'name', m.name, current.name],
    ['description', 'description', m.description, current.description],
    ['status', 'status', m.status, current.status],
  ]);
}

/** The file's client settings as the clients service takes them. */
/** The file's resource fields as the application service takes them. */
export function resourceInput(r: ManifestResource): { name: string; scopes?: string[]; accessTokenFormat?: 'jwt' | 'opaque'; accessTokenTtl?: number | null } {
  const input = { name: r.name, scopes: r.scopes, accessTokenFormat: r.access_token_format, accessTokenTtl: r.access_token_ttl };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ReturnType<typeof resourceInput>;
}

export function resourcePatch(r: ManifestResource, current: ApiResource): Patch<UpdateResourceInput> {
  return differ<UpdateResourceInput>([
    ['name', 'name', r.name, current.name],
    ['scopes', 'scopes', r.scopes, current.scopes, sameSet],
    ['access_token_format', 'accessTokenFormat', r.access_token_format, current.accessTokenFormat],
    ['access_token_ttl', 'accessTokenTtl', r.access_token_ttl, current.accessTokenTtl],
  ]);
}

export function clientSettings(c: ManifestClient): Omit<UpdateClientInput, 'clientName'> {
  return { ...clientFieldsOf(c), responseTypes: c.response_types };
}

export function clientPatch(c: ManifestClient, current: Client): Patch<UpdateClientInput> {
  const s = clientSettings(c);
  return differ<UpdateClientInput>([
    ['client_name', 'clientName', c.client_name, current.clientName],
    ['application_type', 'applicationType', s.applicationType, current.applicationType],
    ['redirect_uris', 'redirectUris', s.redirectUris, current.redirectUris, sameSet],
    ['post_logout_redirect_uris', 'postLogoutRedirectUris', s.postLogoutRedirectUris, current.postLogoutRedirectUris, sameSet],
    ['grant_types', 'grantTypes', s.grantTypes, current.grantTypes, sameSet],
    ['scope', 'scope', s.scope, current.scope, (a: string, b: string) => sameSet(scopeTokens(a), scopeTokens(b))],
    ['token_endpoint_auth_method', 'tokenEndpointAuthMethod', s.tokenEndpointAuthMethod, current.tokenEndpointAuthMethod],
    ['allowed_origins', 'allowedOrigins', s.allowedOrigins, current.allowedOrigins, sameSet],
    ['require_consent', 'requireConsent', s.requireConsent, current.requireConsent],
    ['login_methods', 'loginMethods', s.loginMethods, current.loginMethods, sameSet],
    ['require_pkce', 'requirePkce', s.requirePkce, current.requirePkce],
    ['id_token_signed_response_alg', 'idTokenSignedResponseAlg', s.idTokenSignedResponseAlg, current.idTokenSignedResponseAlg],
    ['id_token_claims', 'idTokenClaims', s.idTokenClaims, current.idTokenClaims],
    ['backchannel_logout_uri', 'backchannelLogoutUri', s.backchannelLogoutUri, current.backchannelLogoutUri],
    ['backchannel_logout_session_required', 'backchannelLogoutSessionRequired', s.backchannelLogoutSessionRequired, current.backchannelLogoutSessionRequired],
    ['jwks', 'jwks', s.jwks, current.jwks, sameJson],
    ['jwks_uri', 'jwksUri', s.jwksUri, current.jwksUri],
  ]);
}

export interface UserProfilePatch {
  givenName?: string | null;
  familyName?: string | null;
  locale?: string | null;
  emailVerified?: boolean;
}

const blankToNull = (v: string | null | undefined) => (v === '' ? null : v);

export function userPatch(u: ManifestUser, current: User): Patch<UserProfilePatch> {
  return differ<UserProfilePatch>([
    ['given_name', 'givenName', blankToNull(u.given_name), current.givenName],
    ['family_name', 'familyName', blankToNull(u.family_name), current.familyName],
    ['locale', 'locale', blankToNull(u.locale), current.locale],
    ['email_verified', 'emailVerified', u.email_verified, current.emailVerified],
  ]);
}
