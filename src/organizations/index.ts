export {
  createOrganizationService,
  type OrganizationPrecondition,
  type OrganizationService,
  type OrganizationServiceDeps,
  type OrganizationStatusChange,
  type OrganizationTransition,
  type SlugAvailability,
} from './service.js';
export {
  createOrganizationDestroyService,
  type DestroyResult,
  type OrganizationDestroyDeps,
  type OrganizationDestroyService,
} from './destroy.js';
export { assertAdminsCanSignIn, assertMayChangeOrganization, usableLoginMethods } from './protections.js';
export type { CascadeCounts } from './repo.js';
export { RESERVED_SLUGS, SLUG_MAX_LENGTH, SLUG_MIN_LENGTH, slugify, slugCandidates, validateSlug, type SlugCheck, type ValidateSlugOptions } from './slug.js';
export {
  BrandingInput,
  CreateOrganizationInput,
  ListOrganizationsQuery,
  SuspendOrganizationInput,
  TwoFactorPolicyInput,
  UpdateOrganizationInput,
  LOGIN_METHODS,
  ORGANIZATION_SORTS,
  ORGANIZATION_STATUSES,
  TWO_FACTOR_POLICIES,
  type Branding,
  type LoginMethod,
  type Organization,
  type OrganizationStatus,
  type Page,
  type TwoFactorPolicy,
} from './schema.js';
export { signInMethods } from './sign-in-methods.js';
