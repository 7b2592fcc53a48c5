import { z } from 'zod';
import { LOGIN_METHODS, TWO_FACTOR_POLICIES } from '../organizations/index.js';
import {
  ApplicationType,
  ClientJwks,
  ClientType,
  ExplicitClientId,
  GrantType,
  IdTokenClaims,
  IdTokenSigningAlg,
  LoginMethod as ClientLoginMethod,
  ProvisionedSecretValue,
  TokenEndpointAuthMethod,
} from '../clients/index.js';
import { UserEmail, UserPassword } from '../users/index.js';
import { ACCESS_TOKEN_FORMATS, indicatorProblem } from '../applications/index.js';
import { checkAcrossEntries, checkClient, checkDerivedSlug, checkSlugValue } from './rules.js';

export const PROVISION_MODES = ['merge', 'overwrite'] as const;
export type ProvisionMode = (typeof PROVISION_MODES)[number];

/** Sections of the file format (40-data-model §7) that this version rejects rather than ignores. */
const notSupportedYet = (section: string) =>
  z.unknown().superRefine((_value, ctx) => {
    ctx.addIssue({ code: 'custom', message: `"${section}" is not supported yet: remove the section (roles, permissions, claims and config are provisioned in a later release)` });
  });

export const name = z.string().trim().min(1).max(255);
export const slugOf = (kind: 'organization' | 'application' | 'module') => z.string().trim().superRefine((v, ctx) => checkSlugValue(v, ctx, kind));
const uri = z.string().trim().min(1).max(2048);
export const locale = z
  .string()
  .min(2)
  .max(10)
  .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en or pt-BR');

const httpsUrl = uri.refine((value) => {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an https URL');

export const ProvisionBranding = z.strictObject({
  logo_url: httpsUrl.nullable().optional(),
  favicon_url: httpsUrl.nullable().optional(),
  primary_color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour like #1A2B3C').nullable().optional(),
  company_name: z.string().trim().min(1).max(255).nullable().optional(),
  custom_css: z.string().max(10_000).refine((css) => !css.includes('<'), 'must not contain "<"').nullable().optional(),
});
export type ProvisionBranding = z.infer<typeof ProvisionBranding>;

/** 30-cli §4 durations: `24h`, `90d`, `2w`, `6m` (months of 30 days), `1y` (365 days), `45s`, or a number of seconds. */
const DURATION = /^(\d{1,9})\s*([shdwmy]?)$/;
const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, h: 3600, d: 86_400, w: 604_800, m: 2_592_000, y: 31_536_000 };

export function durationSeconds(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = DURATION.exec(value.trim());
  return match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ''] ?? 1) : Number.NaN;
}

const duration = z.union([z.number().int().positive(), z.string()]).refine((v) => durationSeconds(v) > 0, 'must be a duration such as 24h, 90d, 6m (months), 1y or a number of seconds');

export const ProvisionSecret = z
  .strictObject({
    label: z.string().trim().max(255).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    expires_in: duration.optional(),
    value: ProvisionedSecretValue.optional(),
  })
  .refine((s) => s.expires_at === undefined || s.expires_in === undefined, { message: 'give expires_at or expires_in, not both', path: ['expires_in'] });
export type ProvisionSecret = z.infer<typeof ProvisionSecret>;

/** Client fields shared by the nested file and the flat manifest (40-data-model §7). */
export const clientFields = {
  client_name: name,
  client_type: ClientType,
  client_id: ExplicitClientId.optional(),
  application_type: ApplicationType.optional(),
  redirect_uris: z.array(uri).max(10).optional(),
  post_logout_redirect_uris: z.array(uri).max(10).optional(),
  grant_types: z.array(GrantType).min(1).optional(),
  response_types: z.array(z.literal('code')).length(1).optional(),
  scope: z.union([z.string().trim().min(1).max(1000), z.array(z.string().trim().min(1)).min(1)]).optional(),
  token_endpoint_auth_method: TokenEndpointAuthMethod.optional(),
  allowed_origins: z.array(uri).max(20).optional(),
  require_pkce: z.boolean().optional(),
  require_consent: z.boolean().optional(),
  login_methods: z.array(ClientLoginMethod).min(1).nullable().optional(),
  id_token_signed_response_alg: IdTokenSigningAlg.optional(),
  id_token_claims: IdTokenClaims.optional(),
  backchannel_logout_uri: uri.nullable().optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  jwks: ClientJwks.nullable().optional(),
  jwks_uri: uri.nullable().optional(),
};

export const ProvisionClient = z.strictObject({
  ...clientFields,
  secret: ProvisionSecret.optional(),
}).superRefine(checkClient);
export type ProvisionClient = z.infer<typeof ProvisionClient>;

export const ProvisionModule = z.strictObject({
  name,
  slug: slugOf('module').optional(),
  description: z.string().max(2000).nullable().optional(),
  status: z.enum(['active', 'inactive']).optional(),
}).superRefine((m, ctx) => checkDerivedSlug(m, ctx, 'module'));
export type ProvisionModule = z.infer<typeof ProvisionModule>;

/** An API resource of the application (spec 70 §5); the indicator is its key. */
export const resourceFields = {
  indicator: z.string().trim().min(1).max(2048).superRefine((v, ctx) => {
    const problem = indicatorProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `${v} ${problem}` });
  }),
  name,
  scopes: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
  access_token_format: z.enum(ACCESS_TOKEN_FORMATS).optional(),
  access_token_ttl: z.number().int().min(60).max(86_400).nullable().optional(),
};
export const ProvisionResource = z.strictObject(resourceFields);
export type ProvisionResource = z.infer<typeof ProvisionResource>;

export const ProvisionApplication = z.strictObject({
  name,
  slug: slugOf('application').optional(),
  description: z.string().max(2000).nullable().optional(),
  modules: z.array(ProvisionModule).optional(),
  resources: z.array(ProvisionResource).optional(),
  clients: z.array(ProvisionClient).optional(),
  roles: notSupportedYet('roles').optional(),
  permissions: notSupportedYet('permissions').optional(),
  claim_definitions: notSupportedYet('claim_definitions').optional(),
}).superRefine((a, ctx) => checkDerivedSlug(a, ctx, 'application'));
export type ProvisionApplication = z.infer<typeof ProvisionApplication>;

/** User fields shared by the nested file and the flat manifest. */
export const userFields = {
  email: UserEmail,
  given_name: z.string().trim().max(255).nullable().optional(),
  family_name: z.string().trim().max(255).nullable().optional(),
  locale: z.string().trim().max(10).nullable().optional(),
  status: z.enum(['active', 'inactive']).optional(),
  email_verified: z.boolean().optional(),
  password: UserPassword.optional(),
  /** A new user without a password is invited by e-mail instead (spec 60 §6); ignored for existing users. */
  invite: z.boolean().optional(),
  invite_message: z.string().trim().max(500).optional(),
};

export const ProvisionUser = z.strictObject({
  ...userFields,
  roles: notSupportedYet('roles').optional(),
  claims: notSupportedYet('claims').optional(),
});
export type ProvisionUser = z.infer<typeof ProvisionUser>;

export const ProvisionOrganization = z.strictObject({
  name,
  slug: slugOf('organization').optional(),
  default_locale: locale.optional(),
  default_login_methods: z.array(z.enum(LOGIN_METHODS)).min(1).optional(),
  two_factor_policy: z.enum(TWO_FACTOR_POLICIES).optional(),
  dynamic_registration: z.boolean().optional(),
  passkey_enrolment_prompt: z.boolean().optional(),
  account_portal_enabled: z.boolean().optional(),
  branding: ProvisionBranding.optional(),
  applications: z.array(ProvisionApplication).optional(),
  users: z.array(ProvisionUser).optional(),
}).superRefine((o, ctx) => checkDerivedSlug(o, ctx, 'organization'));
export type ProvisionOrganization = z.infer<typeof ProvisionOrganization>;

/** The `porta provision` file: the import manifest of 40-data-model §7, nested under organizations. */
export const ProvisioningFile = z.strictObject({
  // YAML reads an unquoted 1.0 as the number 1.
  version: z.union([z.literal('1.0'), z.literal(1)], { error: 'the only supported version is "1.0"' }).optional(),
  exportedAt: z.string().optional(),
  allow_passwords: z.boolean().optional(),
  organizations: z.array(ProvisionOrganization).default([]),
  config: notSupportedYet('config').optional(),
}).superRefine(checkAcrossEntries);
export type ProvisioningFile = z.infer<typeof ProvisioningFile>;
