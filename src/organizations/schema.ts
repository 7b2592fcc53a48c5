import { z } from 'zod';

export const ORGANIZATION_STATUSES = ['active', 'suspended', 'archived'] as const;
export type OrganizationStatus = (typeof ORGANIZATION_STATUSES)[number];

/** Spec 40 §1; `passkey` since spec 70 §1 (src/passkeys). */
export const LOGIN_METHODS = ['password', 'magic_link', 'passkey'] as const;
/** Named in the data model but not offered (spec 40 §1). */
const RESERVED_LOGIN_METHODS = new Set(['sso']);
export type LoginMethod = (typeof LOGIN_METHODS)[number];

/** Spec 40 §1 and spec 70 §1 (`required_passkey`); what each requires is src/two-factor/policy.ts. */
export const TWO_FACTOR_POLICIES = ['optional', 'required_email', 'required_totp', 'required_any', 'required_passkey'] as const;
export type TwoFactorPolicy = (typeof TWO_FACTOR_POLICIES)[number];

export interface Branding {
  logoUrl: string | null;
  faviconUrl: string | null;
  primaryColor: string | null;
  companyName: string | null;
  customCss: string | null;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  status: OrganizationStatus;
  isSuperAdmin: boolean;
  branding: Branding;
  defaultLocale: string;
  defaultLoginMethods: LoginMethod[];
  twoFactorPolicy: TwoFactorPolicy;
  /** Spec 70 §5: RFC 7591/7592 registration with an initial access token; off by default. */
  dynamicRegistration: boolean;
  /** Spec 70 §1: offer to add a passkey right after a password sign-in (skippable); off by default. */
  passkeyEnrolmentPrompt: boolean;
  /** Spec 70 §2: the account portal `/{org}/account`; on by default. */
  accountPortalEnabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

const httpsUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    try {
      return new URL(value).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https URL');

export const BrandingInput = z.strictObject({
  logoUrl: httpsUrl.nullable().optional(),
  faviconUrl: httpsUrl.nullable().optional(),
  primaryColor: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour like #1A2B3C').nullable().optional(),
  companyName: z.string().trim().min(1).max(255).nullable().optional(),
  // Inserted into a <style> element: a "<" could close it and open markup.
  customCss: z.string().max(10_000).refine((css) => !css.includes('<'), 'must not contain "<"').nullable().optional(),
});
export type BrandingInput = z.infer<typeof BrandingInput>;

const name = z.string().trim().min(1).max(255);
const locale = z
  .string()
  .min(2)
  .max(10)
  .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en or pt-BR');
const loginMethods = z
  .array(z.string())
  .min(1, 'must name at least one login method')
  .check((ctx) => {
    for (const method of ctx.value) {
      if (!(LOGIN_METHODS as readonly string[]).includes(method)) {
        const why = RESERVED_LOGIN_METHODS.has(method) ? 'is not available yet' : 'is not a login method';
        ctx.issues.push({ code: 'custom', input: method, message: `"${method}" ${why}` });
      }
    }
  })
  .transform((methods) => [...new Set(methods)] as LoginMethod[]);

export const CreateOrganizationInput = z.strictObject({
  name,
  slug: z.string().optional(),
  defaultLocale: locale.default('en'),
  defaultLoginMethods: loginMethods.default(['password', 'magic_link']),
  twoFactorPolicy: z.enum(TWO_FACTOR_POLICIES).default('optional'),
  dynamicRegistration: z.boolean().default(false),
  passkeyEnrolmentPrompt: z.boolean().default(false),
  accountPortalEnabled: z.boolean().default(true),
  branding: BrandingInput.default({}),
});
export type CreateOrganizationInput = z.input<typeof CreateOrganizationInput>;

export const UpdateOrganizationInput = z.strictObject({
  name: name.optional(),
  slug: z.string().optional(),
  defaultLocale: locale.optional(),
  defaultLoginMethods: loginMethods.optional(),
  twoFactorPolicy: z.enum(TWO_FACTOR_POLICIES).optional(),
  dynamicRegistration: z.boolean().optional(),
  passkeyEnrolmentPrompt: z.boolean().optional(),
  accountPortalEnabled: z.boolean().optional(),
  branding: BrandingInput.optional(),
});
export type UpdateOrganizationInput = z.input<typeof UpdateOrganizationInput>;

export const TwoFactorPolicyInput = z.strictObject({ twoFactorPolicy: z.enum(TWO_FACTOR_POLICIES) });
export type TwoFactorPolicyInput = z.input<typeof TwoFactorPolicyInput>;

export const SuspendOrganizationInput = z.strictObject({ reason: z.string().trim().max(500).optional() });
export type SuspendOrganizationInput = z.input<typeof SuspendOrganizationInput>;

export const ORGANIZATION_SORTS = ['name', 'slug', 'created_at', 'updated_at'] as const;

export const ListOrganizationsQuery = z.strictObject({
  status: z.enum(ORGANIZATION_STATUSES).optional(),
  search: z.string().trim().max(255).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  sort: z.enum(ORGANIZATION_SORTS).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type ListOrganizationsQuery = z.input<typeof ListOrganizationsQuery>;

export { parseInput } from '../platform/validation.js';
