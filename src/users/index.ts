export { createUserService, DEFAULT_ADMIN_LOCK_REASON, type UserService, type UserServiceDeps, type UserPage, type UserStatusAction, type TwoFactorSummary } from './service.js';
export { LOCKOUT_DEFAULTS, type AuthenticateResult, type AuthFailureReason, type UserSettings } from './authenticate.js';
export { createPasswordHasher, OWASP_ARGON2ID_PARAMS, type PasswordHasher, type PasswordHashParams } from './passwords.js';
export { standardClaims, type ClaimsUser } from './claims.js';
export type { User, UserAddress } from './repo.js';
export {
  CreateUserInput,
  UpdateUserInput,
  ListUsersInput,
  UserEmail,
  UserPassword,
  UserStatus,
  UserSortBy,
} from './schema.js';
export {
  createUserGdprService,
  superAdminProtected,
  type PurgeResult,
  type UserDataExport,
  type UserGdprService,
  type UserGdprServiceDeps,
} from './gdpr.js';
