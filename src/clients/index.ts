export {
  createClientService,
  clientCacheKey,
  type ClientService,
  type ClientServiceDeps,
  type ClientPage,
  type CreatedClientSecret,
} from './service.js';
export type { Client, ClientSecret } from './repo.js';
export { isBuiltInAdminClient, type ClientPrecondition } from './writes.js';
export {
  CreateServiceAccountInput,
  ServiceAccountRolesInput,
  type ServiceAccount,
  type ServiceAccounts,
} from './service-accounts.js';
export { ACCOUNT_PORTAL_CLIENT_ID, accountPortalClient, accountPortalUrl } from './account-portal.js';
export { toEngineMetadata, ENGINE_SECRET_PLACEHOLDER, type EngineClientMetadata, type PortaClientExtras } from './engine.js';
export { redirectUriProblem, originProblem, resolveClientSettings, usesSecret, webUriProblem, DEFAULT_SCOPE, type ClientSettings } from './rules.js';
export {
  CreateClientInput,
  UpdateClientInput,
  ListClientsInput,
  ClientSecretInput,
  ClientStatus,
  ClientType,
  ApplicationType,
  GrantType,
  LoginMethod,
  TokenEndpointAuthMethod,
  IdTokenSigningAlg,
  IdTokenClaims,
  ClientJwks,
  SUPPORTED_SCOPES,
  ExplicitClientId,
  ProvisionedSecretValue,
} from './schema.js';
