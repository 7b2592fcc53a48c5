import type { Actor } from '../actors/index.js';
import type { AuditCategory, AuditService } from '../audit/index.js';
import type { Organization } from '../organizations/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { isUuid } from '../platform/ids.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { User } from '../users/index.js';
import type { FactorChange, FactorChangeDetails } from '../two-factor/index.js';
import { createChallengeStore } from './challenges.js';
import { userNotFound } from './errors.js';
import { relyingPartyOf } from './relying-party.js';
import { createPasskeyRepo } from './repo.js';

/** What the passkey use cases consult elsewhere; wired in services.ts. */
export interface PasskeyServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** The RP ID and origin come from it (spec 70 §1). */
  issuerBaseUrl: string;
  users: { findById(orgId: string, id: string): Promise<User | null> };
  organizations: { findById(id: string): Promise<Organization | null> };
  /** Spec 20 §3.3 protections (src/rbac/admin-access.ts). */
  adminAccess: () => { assertMayManageUser(actor: Actor, user: Pick<User, 'id' | 'organizationId'>): Promise<void> };
  /** The factor-change notice (issue 15 item 5), queued in the caller's transaction. */
  twoFactor: () => { notifyFactorChange(orgId: string, userId: string, change: FactorChange, details?: FactorChangeDetails): Promise<void> };
}

export interface Subject {
  user: User;
  org: Organization;
}

export type Core = ReturnType<typeof createCore>;

export function createCore(deps: PasskeyServiceDeps) {
  const repo = createPasskeyRepo(deps.db);
  const challenges = createChallengeStore(deps.kv);
  const rp = relyingPartyOf(deps.issuerBaseUrl);
  const now = () => new Date(deps.clock.now());

  async function subject(orgId: string, userId: string): Promise<Subject> {
    if (!isUuid(orgId) || !isUuid(userId)) throw userNotFound();
    const [user, org] = await Promise.all([deps.users.findById(orgId, userId), deps.organizations.findById(orgId)]);
    if (!user || !org) throw userNotFound();
    return { user, org };
  }

  const record = (actor: Actor, orgId: string, userId: string | null, eventType: string, metadata: Record<string, unknown>, eventCategory: AuditCategory = 'authentication') =>
    deps.audit.record(actor, { eventType, eventCategory, organizationId: orgId, userId, targetType: 'user', targetId: userId, metadata });

  return { deps, repo, challenges, rp, now, subject, record };
}
