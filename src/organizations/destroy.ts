import type { Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import type { AuditInput, AuditService } from '../audit/index.js';
import type { SessionService } from '../sessions/index.js';
import type { BrandingService } from '../branding/index.js';
import { createOrganizationDestroyRepo, type CascadeCounts } from './repo.js';
import { organizationNotFound, superAdminDestroyProtected } from './errors.js';
import type { Organization } from './schema.js';
import type { OrganizationService } from './service.js';

export interface OrganizationDestroyDeps {
  db: Db;
  clock: Clock;
  log: Log;
  organizations: Pick<OrganizationService, 'getByIdOrSlug' | 'forget'>;
  audit: Pick<AuditService, 'record'>;
  sessions: Pick<SessionService, 'list' | 'revoke'>;
  branding: Pick<BrandingService, 'forget'>;
}

/** Who destroys: recorded on the `org.destroyed` entry. */
export type DestroyActor = Pick<AuditInput, 'actorId' | 'ipAddress' | 'userAgent'> & { metadata?: Record<string, unknown> };

export interface DestroyResult {
  organization: Organization;
  cascadeCounts: CascadeCounts;
}

const SESSION_PAGE = 100;

export type OrganizationDestroyService = ReturnType<typeof createOrganizationDestroyService>;

/**
 * Spec 20 §5.1 DELETE `/organizations/:idOrSlug`: permanent removal of an organization and everything
 * it owns. Live sessions (ephemeral store) end first, with their grants and tokens; then one
 * transaction writes `org.destroyed` and deletes the durable rows.
 */
export function createOrganizationDestroyService(deps: OrganizationDestroyDeps) {
  const { db, clock, log, organizations, audit, sessions, branding } = deps;

  async function loadDestroyable(idOrSlug: string): Promise<Organization> {
    const org = await organizations.getByIdOrSlug(idOrSlug);
    if (org.isSuperAdmin) throw superAdminDestroyProtected();
    return org;
  }

  async function endLiveSessions(orgId: string): Promise<void> {
    const ended = new Set<string>();
    for (;;) {
      const { data } = await sessions.list({ organizationId: orgId, activeOnly: true, pageSize: SESSION_PAGE });
      const fresh = data.filter((s) => !ended.has(s.sessionId));
      if (fresh.length === 0) return;
      for (const session of fresh) {
        ended.add(session.sessionId);
        await sessions.revoke(session.sessionId, orgId).catch((err: unknown) => log.warn({ err, sessionId: session.sessionId }, 'organization.destroy_session_failed'));
      }
    }
  }

  return {
    /** What a destroy would remove, without changing anything. */
    async preview(idOrSlug: string): Promise<DestroyResult> {
      const organization = await loadDestroyable(idOrSlug);
      const cascadeCounts = await createOrganizationDestroyRepo(db).cascadeCounts(organization.id, new Date(clock.now()));
      return { organization, cascadeCounts };
    },

    async destroy(idOrSlug: string, actor: DestroyActor): Promise<DestroyResult> {
      const organization = await loadDestroyable(idOrSlug);
      const cascadeCounts = await createOrganizationDestroyRepo(db).cascadeCounts(organization.id, new Date(clock.now()));
      await endLiveSessions(organization.id);
      await db.transaction(async (tx) => {
        // Written first, inside the transaction: no destroy without its record, no record without the destroy.
        await audit.record(
          {
            eventType: 'org.destroyed',
            eventCategory: 'admin',
            actorId: actor.actorId ?? null,
            organizationId: organization.id,
            targetType: 'organization',
            targetId: organization.id,
            metadata: { ...actor.metadata, name: organization.name, slug: organization.slug, cascadeCounts },
            ipAddress: actor.ipAddress ?? null,
            userAgent: actor.userAgent ?? null,
          },
          tx,
        );
        if (!(await createOrganizationDestroyRepo(tx).destroy(organization.id))) throw organizationNotFound();
      });
      await Promise.all([organizations.forget(organization), branding.forget(organization.id)]);
      log.info({ organizationId: organization.id, slug: organization.slug, cascadeCounts }, 'organization.destroyed');
      return { organization, cascadeCounts };
    },
  };
}
