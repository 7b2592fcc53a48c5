export {
  createOrganizationService,
  type OrganizationService,
  type OrganizationServiceDeps,
  type OrganizationStatusChange,
  type SlugAvailability,
} from './service.js';
export {
  createOrganizationDestroyService,
  type DestroyActor,
  type DestroyResult,
  type OrganizationDestroyDeps,
  type OrganizationDestroyService,
} from './destroy.js';
export type { CascadeCounts } from './repo.js';
export { RESERVED_SLUGS, SLUG_MAX_LENGTH, SLUG_MIN_LENGTH, slugify, slugCandidates, validateSlug, type SlugCheck, type ValidateSlugOptions } from './slug.js';
export {
  BrandingInput,
  CreateOrganizationInput,
  ListOrganizationsQuery,
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
