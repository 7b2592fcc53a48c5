export { createSeedService, type SeedService, type SeedServiceDeps } from './service.js';
export {
  SeedInput,
  SEED_ORG_SLUG,
  SEED_OTHER_ORG_SLUG,
  SEED_APPLICATION_SLUG,
  SEED_USER_EMAIL,
  DEFAULT_SEED_REDIRECT_URI,
  postLogoutUriFor,
  type SeedOutput,
  type SeedItem,
  type SeedResult,
} from './schema.js';
