import { z } from 'zod';
import { LOGIN_METHODS, TWO_FACTOR_POLICIES } from '../organizations/index.js';
import { ProvisionedSecretValue } from '../clients/index.js';
import { CLAIM_NAME, CLAIM_TYPES, PERMISSION_SLUG, PERMISSION_SLUG_MAX, RESERVED_CLAIM_NAMES, ROLE_SLUG } from '../rbac/index.js';
import { checkClient } from './rules.js';
import { checkManifestEntries } from './manifest-rules.js';
import { ProvisionBranding, clientFields, locale, name, resourceFields, slugOf, userFields } from './schema.js';

export const MANIFEST_VERSION = '1.0';

const description = (max: number) => z.string().max(max).nullable().optional();
const ref = z.string().trim().min(1).max(255);

/** The RBAC domain's rules (spec 20 §5.4), checked up front so that every problem is listed at once. */
const roleSlug = z.string().trim().regex(ROLE_SLUG, 'lowercase letters, digits and "-", at most 100');
const permissionSlug = z
  .string()
  .trim()
  .max(PERMISSION_SLUG_MAX)
  .regex(PERMISSION_SLUG, 'at least 3 ":"-separated segments of lowercase letters, digits and "-"');
const claimName = z
  .string()
  .regex(CLAIM_NAME, 'a lowercase letter, then up to 99 lowercase letters, digits or "_"')
  .refine((v) => !RESERVED_CLAIM_NAMES.has(v), 'is a reserved claim name');

export const ManifestOrganization = z.strictObject({
  name,
  slug: slugOf('organization'),
  default_login_methods: z.array(z.enum(LOGIN_METHODS)).min(1).optional(),
  default_locale: locale.optional(),
  two_factor_policy: z.enum(TWO_FACTOR_POLICIES).optional(),
  dynamic_registration: z.boolean().optional(),
  passkey_enrolment_prompt: z.boolean().optional(),
  account_portal_enabled: z.boolean().optional(),
  branding_primary_color: ProvisionBranding.shape.primary_color,
  branding_company_name: ProvisionBranding.shape.company_name,
  branding_custom_css: ProvisionBranding.shape.custom_css,
  branding_logo_url: ProvisionBranding.shape.logo_url,
  branding_favicon_url: ProvisionBranding.shape.favicon_url,
});
export type ManifestOrganization = z.infer<typeof ManifestOrganization>;

export const ManifestApplication = z.strictObject({ name, slug: slugOf('application'), description: description(2000) });
export type ManifestApplication = z.infer<typeof ManifestApplication>;

export const ManifestModule = z.strictObject({
  application_slug: ref,
  name,
  slug: slugOf('module'),
  description: description(2000),
  status: z.enum(['active', 'inactive']).optional(),
});
export type ManifestModule = z.infer<typeof ManifestModule>;

export const ManifestResource = z.strictObject({ application_slug: ref, ...resourceFields });
export type ManifestResource = z.infer<typeof ManifestResource>;

export const ManifestClient = z
  .strictObject({
    organization_slug: ref,
    application_slug: ref,
    ...clientFields,
    secret_label: z.string().trim().max(255).optional(),
    secret_expires_at: z.iso.datetime({ offset: true }).optional(),
    secret_value: ProvisionedSecretValue.optional(),
  })
  .superRefine((c, ctx) => {
    checkClient(c, ctx);
    const isKeyAuthenticated = c.token_endpoint_auth_method === 'private_key_jwt';
    if (c.client_type !== 'public' && !isKeyAuthenticated) return;
    for (const field of ['secret_label', 'secret_expires_at', 'secret_value'] as const) {
      const message = isKeyAuthenticated ? 'private_key_jwt clients authenticate with their keys and have no secret' : 'public clients have no secrets';
      if (c[field] !== undefined) ctx.addIssue({ code: 'custom', message, path: [field] });
    }
  });
export type ManifestClient = z.infer<typeof ManifestClient>;

export const ManifestRole = z.strictObject({ application_slug: ref, name, slug: roleSlug, description: description(1000) });
export type ManifestRole = z.infer<typeof ManifestRole>;

export const ManifestPermission = z.strictObject({
  application_slug: ref,
  name,
  slug: permissionSlug,
  description: description(1000),
  module_slug: ref.nullable().optional(),
});
export type ManifestPermission = z.infer<typeof ManifestPermission>;

export const ManifestClaimDefinition = z.strictObject({
  application_slug: ref,
  claim_name: claimName,
  claim_type: z.enum(CLAIM_TYPES),
  description: description(1000),
  include_in_id_token: z.boolean().optional(),
  include_in_access_token: z.boolean().optional(),
  include_in_userinfo: z.boolean().optional(),
});
export type ManifestClaimDefinition = z.infer<typeof ManifestClaimDefinition>;

export const ManifestRolePermissionMapping = z.strictObject({
  application_slug: ref,
  role_slug: roleSlug,
  permission_slugs: z.array(permissionSlug).max(1000),
});
export type ManifestRolePermissionMapping = z.infer<typeof ManifestRolePermissionMapping>;

export const ManifestUser = z.strictObject({ organization_slug: ref, ...userFields });
export type ManifestUser = z.infer<typeof ManifestUser>;

export const ManifestUserRoleAssignment = z.strictObject({ organization_slug: ref, email: userFields.email, application_slug: ref, role_slug: roleSlug });
export type ManifestUserRoleAssignment = z.infer<typeof ManifestUserRoleAssignment>;

export const ManifestUserClaimValue = z.strictObject({
  organization_slug: ref,
  email: userFields.email,
  application_slug: ref,
  claim_name: claimName,
  value: z.unknown().refine((v) => v !== null && v !== undefined, 'is required and may not be null'),
});
export type ManifestUserClaimValue = z.infer<typeof ManifestUserClaimValue>;

/**
 * The import manifest (40-data-model §7, version "1.0"): flat lists joined by slugs, applied in this
 * key order. `config` sets existing keys only.
 */
export const ImportManifest = z
  .strictObject({
    version: z.union([z.literal(MANIFEST_VERSION), z.literal(1)], { error: `required: "${MANIFEST_VERSION}"` }),
    exportedAt: z.string().optional(),
    allow_passwords: z.boolean().optional(),
    organizations: z.array(ManifestOrganization).default([]),
    applications: z.array(ManifestApplication).default([]),
    application_modules: z.array(ManifestModule).default([]),
    api_resources: z.array(ManifestResource).default([]),
    clients: z.array(ManifestClient).default([]),
    roles: z.array(ManifestRole).default([]),
    permissions: z.array(ManifestPermission).default([]),
    claim_definitions: z.array(ManifestClaimDefinition).default([]),
    role_permission_mappings: z.array(ManifestRolePermissionMapping).default([]),
    users: z.array(ManifestUser).default([]),
    user_role_assignments: z.array(ManifestUserRoleAssignment).default([]),
    user_claim_values: z.array(ManifestUserClaimValue).default([]),
    config: z.record(z.string().min(1).max(255), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .superRefine(checkManifestEntries);
export type ImportManifest = z.infer<typeof ImportManifest>;
export type ImportManifestInput = z.input<typeof ImportManifest>;

/** A manifest with nothing in it: the base the nested provisioning file is converted onto. */
export function emptyManifest(): ImportManifest {
  return {
    version: MANIFEST_VERSION, organizations: [], applications: [], application_modules: [], api_resources: [], clients: [], roles: [], permissions: [],
    claim_definitions: [], role_permission_mappings: [], users: [], user_role_assignments: [], user_claim_values: [], config: {},
  };
}
