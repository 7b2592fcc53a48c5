export { createRegistrationService, type RegistrationInput, type RegistrationService, type RegistrationServiceDeps } from './service.js';
export {
  CreateRegistrationTokenInput,
  ListRegistrationTokensQuery,
  REGISTRATION_TOKEN_STATUSES,
  type CreatedRegistrationToken,
  type RegistrationToken,
  type RegistrationTokenPage,
  type RegistrationTokenStatus,
} from './schema.js';
