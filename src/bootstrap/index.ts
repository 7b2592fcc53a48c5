export {
  createBootstrapService,
  alreadyInitialized,
  InitInput,
  ADMIN_CLI_REDIRECT_URIS,
  SUPER_ADMIN_USER_KEY,
  type BootstrapService,
  type BootstrapServiceDeps,
  type InitResult,
} from './service.js';
