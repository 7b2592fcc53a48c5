export {
  ADMIN_APPLICATION_SLUG,
  createApplicationService,
  type ApplicationPrecondition,
  type ApplicationService,
  type ApplicationServiceDeps,
  type ApplicationStatusChange,
} from './service.js';
export {
  APPLICATION_SORTS,
  APPLICATION_STATUSES,
  MODULE_STATUSES,
  CreateApplicationInput,
  CreateModuleInput,
  ListApplicationsQuery,
  UpdateApplicationInput,
  UpdateModuleInput,
  type Application,
  type ApplicationStatus,
  type Module,
  type ModuleStatus,
  type Page,
} from './schema.js';
export {
  ACCESS_TOKEN_FORMATS,
  CreateResourceInput,
  UpdateResourceInput,
  indicatorProblem,
  type AccessTokenFormat,
  type ApiResource,
} from './resources.js';
