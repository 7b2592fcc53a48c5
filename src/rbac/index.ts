export {
  ADMIN_APPLICATION_SLUG,
  ADMIN_CLI_CLIENT_ID,
  ADMIN_CLI_CLIENT_NAME,
  ADMIN_PERMISSIONS,
  ADMIN_ROLES,
  SUPER_ADMIN_ROLE,
  adminPermissionsOf,
  isBuiltInAdminRole,
  permissionDisplayName,
  type AdminPermission,
  type AdminPermissionName,
  type BuiltInRole,
} from '../actors/catalog.js';
export { createAccessService, type AccessService, type UserAccess, type UserClaimValue } from './access.js';
export {
  SUPER_ADMIN_USER_KEY,
  createAdminAccess,
  privilegeEscalation,
  protectedResource,
  type AccessTokenFacts,
  type AdminAccess,
  type AdminPowers,
} from './admin-access.js';
export { createRbacService, type RbacService, type RbacServiceDeps } from './service.js';
export { CLAIM_NAMES_VERSION_KEY, type ClaimNameSet } from './claim-names.js';
export { matchesClaimType } from './claims.js';
export type { RoleDeletion, RolePermissionChange } from './roles.js';
export type { PermissionDeletion } from './permissions.js';
export type { RoleAssignmentChange } from './assignments.js';
export {
  CLAIM_NAME,
  CLAIM_TYPES,
  PERMISSION_SLUG,
  PERMISSION_SLUG_MAX,
  RESERVED_CLAIM_NAMES,
  ROLE_SLUG,
  ClaimValueInput,
  CreateClaimInput,
  CreatePermissionInput,
  CreateRoleInput,
  PermissionIdsInput,
  RoleIdsInput,
  RoleUsersQuery,
  UpdateClaimInput,
  UpdatePermissionInput,
  UpdateRoleInput,
  type ClaimDefinition,
  type ClaimType,
  type ClaimValue,
  type Permission,
  type Role,
  type RoleAssignment,
} from './schema.js';
