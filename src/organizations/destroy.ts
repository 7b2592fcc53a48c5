import { authorize, type Actor } from '../actors/index.js';
import type { Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import type { AuditService } from '../audit/index.js';
import type { SessionService } from '../sessions/index.js';
import type { BrandingService } from '../branding/index.js';
import { createOrganizationDestroyRepo, createOrganizationRepo, type CascadeCounts } from './repo.js';
import { organizationNotFound, superAdminDestroyProtected } from './errors.js';
import type { Organization } from './schema.js';
import type { OrganizationService } from './service.js';
import { lockOrganization } from './writes.js';

export interface OrganizationDestroyDeps {
  db: Db;
  clock: Clock;
  log: Log;
  organizations: Pick<OrganizationService, 'getByIdOrSlug' | 'forget'>;
  audit: Pick<AuditService, 'record'>;
  sessions: Pick<SessionService, 'list' | 'revoke'>;
  branding: Pick<BrandingService, 'forget'>;
}

export interface DestroyResult {
  organization: Organization;
  cascadeCounts: CascadeCounts;
}

const SESSION_PAGE = 100;

export type OrganizationDestroyService = ReturnType<typeof createOrganizationDestroyService>;

/**
 * Spec 20 §5.1 DELETE `/organizations/:idOrSlug`: permanent removal of an organization and everything
 * it owns, in one transaction with its `org.destroyed` entry. The tracked sessions are marked ended in
 * it; the live ones (ephemeral store, with their grants and tokens) are destroyed once it commits.
 */
export function createOrganizationDestroyService(deps: OrganizationDestroyDeps) {
  const { db, clock, log, organizations, audit, sessions, branding } = deps;
  const repo = createOrganizationRepo(db);
  const destroyRepo = createOrganizationDestroyRepo(db);
  const now = () => new Date(clock.now());

  function assertDestroyable(org: Organization): Organization {
    // Spec 20 §3.3: refused for everyone, super admins included.
    if (org.isSuperAdmin) throw superAdminDestroyProtected();
    return org;
  }

  async function endTrackedSessions(organizationId: string): Promise<void> {
    const ended = new Set<string>();
    for (;;) {
      const { data } = await sessions.list({ organizationId, activeOnly: true, pageSize: SESSION_PAGE });
      const fresh = data.filter((s) => !ended.has(s.sessionId));
      if (fresh.length === 0) return;
      for (const session of fresh) {
        ended.add(session.sessionId);
        await sessions.revoke(session.sessionId);
      }
    }
  }

  return {
    /** What a destroy would remove, without changing anything (the dry run: same permission and refusals). */
    async preview(actor: Actor, idOrSlug: string): Promise<DestroyResult> {
      authorize(actor, 'admin:org:archive');
      const organization = assertDestroyable(await organizations.getByIdOrSlug(idOrSlug));
      return { organization, cascadeCounts: await destroyRepo.cascadeCounts(organization.id, now()) };
    },

    async destroy(actor: Actor, idOrSlug: string): Promise<DestroyResult> {
      const result = await db.transaction(async () => {
        authorize(actor, 'admin:org:archive');
        const organization = assertDestroyable(await lockOrganization(repo, idOrSlug));
        const cascadeCounts = await destroyRepo.cascadeCounts(organization.id, now());
        // Written first: no destroy without its record, no record without the destroy.
        await audit.record(actor, {
          eventType: 'org.destroyed',
          targetType: 'organization',
          targetId: organization.id,
          organizationId: organization.id,
          metadata: { name: organization.name, slug: organization.slug, cascadeCounts },
        });
        await endTrackedSessions(organization.id);
        if (!(await destroyRepo.destroy(organization.id))) throw organizationNotFound();
        return { organization, cascadeCounts };
      });
      const { organization, cascadeCounts } = result;
      await Promise.all([organizations.forget(organization), branding.forget(organization.id)]);
      log.info({ organizationId: organization.id, slug: organization.slug, cascadeCounts }, 'organization.destroyed');
      return result;
    },
  };
}
