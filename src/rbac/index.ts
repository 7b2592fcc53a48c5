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
} from './admin-catalog.js';
export { createAccessService, type AccessService, type UserAccess, type UserClaimValue } from './access.js';
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
  type RbacActor,
  type Role,
  type RoleAssignment,
} from './schema.js';
