import { ACCOUNT_PORTAL_CLIENT_ID } from '../clients/index.js';
import { AppError } from '../platform/errors.js';
import { forbidden, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import type { SessionRepo } from './repo.js';
import type { AccountGrant, SessionRevoker } from './revoker.js';
import type { TrackedSession } from './schema.js';

/** A client holding grants of the account, as the account portal lists it. */
export interface ConnectedApp {
  clientId: string;
  scopes: string[];
  grantedAt: Date | null;
  expiresAt: Date | null;
  grantIds: string[];
}

interface AccountSessionDeps {
  db: Db;
  repo: SessionRepo;
  now: () => Date;
  revoker: () => SessionRevoker;
  audit: Pick<AuditService, 'record'>;
  destroyLiveAfterCommit(organizationId: string, sessionId: string): Promise<void>;
}

const grantNotFound = () => new AppError('not_found', 'grant_not_found', 'This application holds no access to your account.');
const sessionNotFound = () => new AppError('not_found', 'session_not_found', 'Session not found.');

/** A user acting on their own account in `orgId` (spec 70 §2); anyone else is refused before any read. */
function ownerOf(actor: Actor, orgId: string): string {
  if (actor.kind !== 'account' || !actor.userId || actor.organizationId !== orgId) throw forbidden([]);
  return actor.userId;
}

/**
 * The account portal's use cases on a user's own sessions and grants (spec 70 §2): each ends the engine's
 * artifacts through the revoker (back-channel logout for every live session destroyed) and is audited in
 * the same transaction with the account actor.
 */
export function createAccountSessions({ db, repo, now, revoker, audit, destroyLiveAfterCommit }: AccountSessionDeps) {
  const record = (actor: Actor, orgId: string, userId: string, eventType: string, targetType: string, targetId: string | null, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, eventCategory: 'security', organizationId: orgId, userId, targetType, targetId, metadata });

  async function connectedApps(orgId: string, userId: string): Promise<ConnectedApp[]> {
    const grants = await revoker().accountGrants(orgId, userId);
    const byClient = new Map<string, ConnectedApp>();
    for (const grant of grants.filter((g: AccountGrant) => g.clientId !== ACCOUNT_PORTAL_CLIENT_ID)) {
      const app = byClient.get(grant.clientId) ?? { clientId: grant.clientId, scopes: [], grantedAt: null, expiresAt: null, grantIds: [] };
      app.scopes = [...new Set([...app.scopes, ...grant.scopes])];
      if (grant.grantedAt && (!app.grantedAt || grant.grantedAt < app.grantedAt)) app.grantedAt = grant.grantedAt;
      if (grant.expiresAt && (!app.expiresAt || grant.expiresAt > app.expiresAt)) app.expiresAt = grant.expiresAt;
      app.grantIds.push(grant.grantId);
      byClient.set(grant.clientId, app);
    }
    return [...byClient.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  return {
    /** The user's live sessions in the organization, most recently active first. */
    async listOwn(orgId: string, userId: string): Promise<TrackedSession[]> {
      const { data } = await repo.list({ userId, organizationId: orgId, activeAt: now() }, 100, 0);
      return data;
    },

    /** Ends one of the user's own sessions (with its grants and tokens, and back-channel logout). */
    async endOwnSession(actor: Actor, orgId: string, sessionId: string, options: { isCurrent?: boolean } = {}): Promise<void> {
      const userId = ownerOf(actor, orgId);
      await db.transaction(async () => {
        const tracked = await repo.find(sessionId);
        if (!tracked || tracked.userId !== userId || tracked.organizationId !== orgId) throw sessionNotFound();
        await repo.markRevoked(sessionId, now());
        await destroyLiveAfterCommit(orgId, sessionId);
        await record(actor, orgId, userId, 'session.revoked', 'session', sessionId, { isCurrent: options.isCurrent === true });
      });
    },

    /** "Sign out everywhere else": every other session of the user ends, each with its grants and tokens. */
    async endOtherOwnSessions(actor: Actor, orgId: string, keepSessionId: string | null): Promise<number> {
      const userId = ownerOf(actor, orgId);
      return db.transaction(async () => {
        const ended = await repo.markOthersRevokedForUser(userId, keepSessionId, now());
        for (const s of ended) await destroyLiveAfterCommit(s.organizationId, s.sessionId);
        await record(actor, orgId, userId, 'user.sessions_revoked', 'user', userId, { revoked: ended.length, keptCurrent: keepSessionId !== null });
        return ended.length;
      });
    },

    /**
     * Inside the caller's transaction (a password change): every other session of the user ends, and
     * every grant and token of the account with them; the kept session stays signed in.
     */
    async endAllOtherAccess(orgId: string, userId: string, keepSessionId: string | null): Promise<{ sessions: number; tokens: number }> {
      const ended = await repo.markOthersRevokedForUser(userId, keepSessionId, now());
      const tokens = await revoker().revokeAccountTokens(orgId, userId);
      for (const s of ended) await destroyLiveAfterCommit(s.organizationId, s.sessionId);
      return { sessions: ended.length, tokens };
    },

    connectedApps,

    /** Revokes what the account gave one client: its grants, with every token and code of them. */
    async revokeConnectedApp(actor: Actor, orgId: string, clientId: string): Promise<number> {
      const userId = ownerOf(actor, orgId);
      return db.transaction(async () => {
        const app = (await connectedApps(orgId, userId)).find((a) => a.clientId === clientId);
        if (!app) throw grantNotFound();
        const deleted = await revoker().revokeGrants(orgId, app.grantIds);
        await record(actor, orgId, userId, 'grant.revoked', 'client', clientId, { clientId, grants: app.grantIds.length, revokedTokens: deleted });
        return deleted;
      });
    },
  };
}
