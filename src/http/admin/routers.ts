import type Router from '@koa/router';
import type { AdminDeps } from './deps.js';
import { organizationRoutes } from './organizations.js';
import { organizationDestroyRoutes } from './organization-destroy.js';
import { organizationExtraRoutes } from './organization-extras.js';
import { organizationBrandingRoutes } from './organization-branding.js';
import { registrationTokenRoutes } from './registration-tokens.js';
import { applicationRoutes } from './applications.js';
import { clientRoutes } from './clients.js';
import { clientSecretRoutes } from './client-secrets.js';
import { rbacRoleRoutes } from './rbac-roles.js';
import { rbacPermissionRoutes } from './rbac-permissions.js';
import { rbacClaimRoutes } from './rbac-claims.js';
import { userRoleRoutes } from './user-roles.js';
import { userRoutes } from './users.js';
import { userGdprRoutes } from './users-gdpr.js';
import { userTwoFactorRoutes } from './users-two-factor.js';
import { userPasskeyRoutes } from './users-passkeys.js';
import { configRoutes } from './config.js';
import { keyRoutes } from './keys.js';
import { auditRoutes } from './audit.js';
import { statsRoutes } from './stats.js';
import { bulkRoutes } from './bulk.js';
import { exportRoutes } from './export.js';
import { importRoutes } from './import.js';
import { sessionRoutes } from './sessions.js';
import { serviceAccountRoutes } from './service-accounts.js';
import { meRoutes } from './me.js';

/** Each resource's routes register themselves on the authenticated admin router (prefix `/api/admin`). */
export type RegisterAdminRoutes = (router: Router, deps: AdminDeps) => void;

export const ADMIN_ROUTERS: readonly RegisterAdminRoutes[] = [
  meRoutes,
  organizationRoutes,
  organizationDestroyRoutes,
  organizationExtraRoutes,
  organizationBrandingRoutes,
  registrationTokenRoutes,
  applicationRoutes,
  clientRoutes,
  clientSecretRoutes,
  rbacRoleRoutes,
  rbacPermissionRoutes,
  rbacClaimRoutes,
  userRoleRoutes,
  userRoutes,
  userGdprRoutes,
  userTwoFactorRoutes,
  userPasskeyRoutes,
  configRoutes,
  keyRoutes,
  auditRoutes,
  statsRoutes,
  bulkRoutes,
  exportRoutes,
  importRoutes,
  sessionRoutes,
  serviceAccountRoutes,
];
