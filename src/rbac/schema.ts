import { z } from 'zod';

/** Timestamps are ISO-8601 strings, as in the other domains. */
export interface Role {
  id: string;
  applicationId: string;
  name: string;
  slug: string;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Permission {
  id: string;
  applicationId: string;
  moduleId: string | null;
  name: string;
  slug: string;
  description: string | null;
  createdAt: string;
}

export const CLAIM_TYPES = ['string', 'number', 'boolean', 'json'] as const;
export type ClaimType = (typeof CLAIM_TYPES)[number];

export interface ClaimDefinition {
  id: string;
  applicationId: string;
  claimName: string;
  claimType: ClaimType;
  description: string | null;
  includeInIdToken: boolean;
  includeInAccessToken: boolean;
  includeInUserinfo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ClaimValue {
  id: string;
  userId: string;
  claimId: string;
  claimName: string;
  value: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface RoleAssignment {
  userId: string;
  roleId: string;
  assignedBy: string | null;
  createdAt: string;
}

/**
 * Claims a custom claim may not shadow: spec 20 §5.4 footnote 1 (standard and Porta claims) and, since a
 * custom claim also reaches access tokens and introspection, the protocol and introspection claims of
 * RFC 7519, 7662, 7800 (`cnf`) and 8693 (`act`, `may_act`).
 */
export const RESERVED_CLAIM_NAMES: ReadonlySet<string> = new Set([
  'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'acr', 'amr', 'azp', 'sid',
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified',
  'address', 'updated_at', 'roles', 'permissions', 'org_id', 'org_slug',
  's_hash', 'scope', 'client_id', 'cnf', 'token_type', 'active', 'username', 'act', 'may_act',
]);

export const ROLE_SLUG = /^[a-z0-9-]{1,100}$/;
/** Three or more `:`-separated segments of lowercase letters, digits and hyphens, e.g. `billing:invoice:read`. */
export const PERMISSION_SLUG = /^[a-z0-9-]+(?::[a-z0-9-]+){2,}$/;
export const PERMISSION_SLUG_MAX = 150;
export const CLAIM_NAME = /^[a-z][a-z0-9_]{0,99}$/;

const name = z.string().trim().min(1).max(255);
const description = z.string().max(1000).nullable();
const roleSlug = z.string().regex(ROLE_SLUG, 'A role slug is 1-100 lowercase letters, digits and hyphens.');
const ids = z.array(z.uuid()).min(1).max(500);

export const CreateRoleInput = z.strictObject({ name, slug: roleSlug.optional(), description: description.optional() });
export type CreateRoleInput = z.input<typeof CreateRoleInput>;

export const UpdateRoleInput = z.strictObject({ name: name.optional(), slug: roleSlug.optional(), description: description.optional() });
export type UpdateRoleInput = z.input<typeof UpdateRoleInput>;

export const CreatePermissionInput = z.strictObject({
  name,
  slug: z
    .string()
    .max(PERMISSION_SLUG_MAX)
    .regex(PERMISSION_SLUG, 'A permission slug has at least three ":"-separated segments of lowercase letters, digits and hyphens.'),
  moduleId: z.uuid().nullable().optional(),
  description: description.optional(),
});
export type CreatePermissionInput = z.input<typeof CreatePermissionInput>;

/** `slug` is accepted only unchanged: permission slugs are immutable. */
export const UpdatePermissionInput = z.strictObject({ name: name.optional(), slug: z.string().optional(), description: description.optional() });
export type UpdatePermissionInput = z.input<typeof UpdatePermissionInput>;

/** A reserved name (RESERVED_CLAIM_NAMES) passes this schema; the service refuses it with `claim_name_reserved`. */
export const CreateClaimInput = z.strictObject({
  claimName: z
    .string()
    .regex(CLAIM_NAME, 'A claim name starts with a lowercase letter and has up to 100 lowercase letters, digits and underscores.'),
  claimType: z.enum(CLAIM_TYPES),
  description: description.optional(),
  includeInIdToken: z.boolean().default(false),
  includeInAccessToken: z.boolean().default(true),
  includeInUserinfo: z.boolean().default(true),
});
export type CreateClaimInput = z.input<typeof CreateClaimInput>;

/** `claimName` and `claimType` are accepted only unchanged: both are immutable. */
export const UpdateClaimInput = z.strictObject({
  claimName: z.string().optional(),
  claimType: z.string().optional(),
  description: description.optional(),
  includeInIdToken: z.boolean().optional(),
  includeInAccessToken: z.boolean().optional(),
  includeInUserinfo: z.boolean().optional(),
});
export type UpdateClaimInput = z.input<typeof UpdateClaimInput>;

export const ClaimValueInput = z.strictObject({ value: z.unknown() });
export type ClaimValueInput = z.input<typeof ClaimValueInput>;

export const PermissionIdsInput = z.strictObject({ permissionIds: ids });
export type PermissionIdsInput = z.input<typeof PermissionIdsInput>;

export const RoleIdsInput = z.strictObject({ roleIds: ids });
export type RoleIdsInput = z.input<typeof RoleIdsInput>;

export const RoleUsersQuery = z.strictObject({
  orgId: z.uuid(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export type RoleUsersQuery = z.input<typeof RoleUsersQuery>;
