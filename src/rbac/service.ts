import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createRbacContext, type RbacCollaborators } from './context.js';
import { createClaimNamesCache, type ClaimNameSet } from './claim-names.js';
import { createClaimRepo } from './claim-repo.js';
import { createRoleOperations } from './roles.js';
import { createPermissionOperations } from './permissions.js';
import { createClaimOperations } from './claims.js';
import { createAssignmentOperations } from './assignments.js';

export interface RbacServiceDeps extends RbacCollaborators {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
}

/**
 * Roles, permissions, claim definitions and values of applications, and users' role assignments
 * (spec 20 §5.4, §5.6). Each write takes the actor first and, in one transaction, authorizes it,
 * applies the change and writes the audit entry. The admin application's catalog is read-only (§3.3);
 * its roles follow the escalation rules of §3.4; roles and claim values of a user change only for an
 * actor holding every admin power the user holds (issue 9 item 7).
 */
export function createRbacService(deps: RbacServiceDeps) {
  const { db, kv, clock, log } = deps;
  const claimRepo = createClaimRepo(db);
  const claimNames = createClaimNamesCache({ kv, clock, log, load: () => claimRepo.listAllNames() });
  const ctx = createRbacContext({ ...deps, claimNames });
  return {
    ...createRoleOperations(ctx),
    ...createPermissionOperations(ctx),
    ...createClaimOperations(ctx),
    ...createAssignmentOperations(ctx),
    /** Every custom claim name with a version, for the OIDC engine's `claims` configuration. */
    claimNames: (): Promise<ClaimNameSet> => claimNames.read(),
  };
}

export type RbacService = ReturnType<typeof createRbacService>;
