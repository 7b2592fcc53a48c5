import type { Db } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import type { Application, ApplicationService } from '../applications/index.js';
import type { AuditService } from '../audit/index.js';
import type { OrganizationService } from '../organizations/index.js';
import type { UserService } from '../users/index.js';
import { ADMIN_APPLICATION_SLUG } from '../actors/catalog.js';
import type { AdminAccess } from './admin-access.js';
import { adminApplicationProtected } from './errors.js';
import { createClaimRepo, type ClaimRepo } from './claim-repo.js';
import { createPermissionRepo, type PermissionRepo } from './permission-repo.js';
import { createRoleRepo, type RoleRepo } from './role-repo.js';
import type { ClaimNamesCache } from './claim-names.js';

/** Other domains' services the RBAC rules consult. */
export interface RbacCollaborators {
  applications: Pick<ApplicationService, 'getByIdOrSlug' | 'findBySlug' | 'findModuleById'>;
  users: Pick<UserService, 'findById'>;
  organizations: Pick<OrganizationService, 'findById'>;
  /** Written in each use case's transaction. */
  audit: Pick<AuditService, 'record'>;
  /** Who holds admin powers (issue 9 item 7); lazy because it is built after this service. */
  adminAccess: () => Pick<AdminAccess, 'assertMayManageUser' | 'isSuperAdminUser'>;
}

/** What each group of RBAC operations shares. */
export interface RbacContext extends RbacCollaborators {
  db: Db;
  log: Log;
  roles: RoleRepo;
  permissions: PermissionRepo;
  claims: ClaimRepo;
  claimNames: ClaimNamesCache;
  /** The addressed application (id or slug); `application_not_found` otherwise. */
  application(idOrSlug: string): Promise<Application>;
  /** As `application`, refusing the admin application (spec 20 §3.3: its catalog is read-only). */
  writableApplication(idOrSlug: string): Promise<Application>;
}

export function createRbacContext(deps: RbacCollaborators & { db: Db; log: Log; claimNames: ClaimNamesCache }): RbacContext {
  const application = (idOrSlug: string) => deps.applications.getByIdOrSlug(idOrSlug);
  return {
    ...deps,
    roles: createRoleRepo(deps.db),
    permissions: createPermissionRepo(deps.db),
    claims: createClaimRepo(deps.db),
    application,
    async writableApplication(idOrSlug) {
      const app = await application(idOrSlug);
      if (app.slug === ADMIN_APPLICATION_SLUG) throw adminApplicationProtected();
      return app;
    },
  };
}
