export { createUserService, type UserService, type UserServiceDeps, type UserPage, type TwoFactorSummary } from './service.js';
export { DEFAULT_ADMIN_LOCK_REASON, profileColumns, superAdminProtected, type Precondition, type StatusInput, type UpdateUserCommand, type UserStatusAction } from './writes.js';
export { LOCKOUT_DEFAULTS, hasUsableSessions, type AuthenticateResult, type AuthFailureReason, type UserSettings } from './authenticate.js';
export { createPasswordHasher, OWASP_ARGON2ID_PARAMS, type PasswordHasher, type PasswordHashParams } from './passwords.js';
export { standardClaims, type ClaimsUser } from './claims.js';
export { rowToUser, type User, type UserAddress } from './repo.js';
export { forgetUserInRequest } from './user-memo.js';
export { OwnProfileInput, type OwnPasswordResult } from './self-service.js';
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
  type PurgeResult,
  type UserDataExport,
  type UserGdprService,
  type UserGdprServiceDeps,
} from './gdpr.js';
export { InviteUserInput, PreviewInvitationInput, type InvitationPreview, type InvitationResult, type AcceptResult } from './invitations.js';
export { passwordProblem, assertPasswordPolicy, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, type PasswordProblem } from './password-policy.js';
export type { FlowOrganization, ResetOrigin, ResetResult, MagicLinkUse } from './account-flows.js';
