import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import { afterCommit, type Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { parseInput } from '../platform/validation.js';
import { createAccountSessions } from './account.js';
import { createSessionRepo } from './repo.js';
import type { SessionRevoker } from './revoker.js';
import { ListSessionsQuery, type SessionPage, type SessionSnapshot, type TrackedSession } from './schema.js';

/** Spec 10 §10: mirror rows whose expiry is more than 7 days past are deleted. */
export const MIRROR_RETENTION_MS = 7 * 86_400_000;
/** At most hourly per process. */
const PURGE_INTERVAL_MS = 3_600_000;

export interface SessionServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  /** Provided by the OIDC layer; see SessionRevoker. */
  revoker: () => SessionRevoker;
  audit: Pick<AuditService, 'record'>;
  /** Issue 9 item 7: ending someone's session is acting on them. */
  adminAccess: () => { assertMayManageUser(actor: Actor, user: { id: string; organizationId: string }): Promise<void> };
}

/** What ending a user's access removed. */
export interface EndedAccess {
  /** Tracked sessions that were active. */
  sessions: number;
  /** Durable grants and tokens deleted. */
  tokens: number;
}

export const sessionNotFound = () => new AppError('not_found', 'session_not_found', 'Session not found.');

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService({ db, clock, log, revoker, audit, adminAccess }: SessionServiceDeps) {
  const repo = createSessionRepo(db);
  const now = () => new Date(clock.now());
  let lastPurge = 0;
  let isPurging = false;

  /** Destroys the live session once the caller's transaction has committed (seed 002: mark first, then destroy). */
  function destroyLiveAfterCommit(organizationId: string, sessionId: string): Promise<void> {
    return afterCommit(async () => {
      try {
        await revoker().destroySession(organizationId, sessionId);
      } catch (err) {
        log.error({ err, sessionId }, 'session.destroy_failed');
      }
    });
  }

  const service = {
    ...createAccountSessions({ db, repo, now, revoker, audit, destroyLiveAfterCommit }),

    /** Mirror write for `session.saved`: never throws, never blocks the caller's flow. */
    mirrorSaved(snapshot: SessionSnapshot): void {
      repo.upsert(snapshot, now()).catch((err: unknown) => log.warn({ err }, 'session.mirror_write_failed'));
    },

    /** Mirror write for a destroyed session. */
    mirrorDestroyed(sessionId: string): void {
      repo.markRevoked(sessionId, now()).catch((err: unknown) => log.warn({ err }, 'session.mirror_write_failed'));
    },

    async list(query: ListSessionsQuery = {}): Promise<SessionPage> {
      const q = parseInput(ListSessionsQuery, query);
      const filter = { userId: q.userId, organizationId: q.organizationId, clientId: q.clientId, activeAt: q.activeOnly ? now() : undefined };
      const { data, total } = await repo.list(filter, q.pageSize, (q.page - 1) * q.pageSize);
      return { data, total, page: q.page, pageSize: q.pageSize };
    },

    find: (sessionId: string) => repo.find(sessionId),

    async get(sessionId: string): Promise<TrackedSession> {
      const session = await repo.find(sessionId);
      if (!session) throw sessionNotFound();
      return session;
    },

    /**
     * Seed 002 `DELETE /sessions/:id`, inside the caller's transaction: marks the mirror row, then
     * destroys the live session (with its grants and tokens) once that commits. Unknown id → not found.
     */
    async revoke(sessionId: string): Promise<TrackedSession> {
      const tracked = await repo.find(sessionId);
      if (!tracked) throw sessionNotFound();
      await repo.markRevoked(sessionId, now());
      await destroyLiveAfterCommit(tracked.organizationId, sessionId);
      return tracked;
    },

    /** Seed 002 `DELETE /sessions/:id` as an admin use case: authorized, protected and audited with the change. */
    async revokeTracked(actor: Actor, sessionId: string): Promise<void> {
      await db.transaction(async () => {
        authorize(actor, 'admin:session:revoke');
        const tracked = await service.revoke(sessionId);
        await adminAccess().assertMayManageUser(actor, { id: tracked.userId, organizationId: tracked.organizationId });
        await audit.record(actor, {
          eventType: 'session.revoked', eventCategory: 'security', targetType: 'session', targetId: sessionId,
          organizationId: tracked.organizationId, userId: tracked.userId,
        });
      });
    },

    /**
     * Ends everything a user holds, inside the caller's transaction: the tracked sessions are marked
     * revoked and every grant and token of the account is deleted with the change; the live sessions
     * in the ephemeral store are destroyed once it commits.
     */
    async endAllForUser(organizationId: string, userId: string): Promise<EndedAccess> {
      const ended = await repo.markAllRevokedForUser(userId, now());
      const tokens = await revoker().revokeAccountTokens(organizationId, userId);
      for (const s of ended) await destroyLiveAfterCommit(s.organizationId, s.sessionId);
      return { sessions: ended.length, tokens };
    },

    /** Every grant and token of a client (client revocation). */
    revokeClientTokens: (organizationId: string, clientId: string) => revoker().revokeClientTokens(organizationId, clientId),

    /** Deletes mirror rows whose expiry is more than 7 days past. */
    async purgeOld(): Promise<number> {
      lastPurge = clock.now();
      return repo.purgeExpiredBefore(new Date(clock.now() - MIRROR_RETENTION_MS));
    },

    /** Fire-and-forget purge at most hourly (called from the opportunistic purge and a timer). */
    purgeOldSoon(): void {
      if (isPurging || clock.now() - lastPurge < PURGE_INTERVAL_MS) return;
      isPurging = true;
      service
        .purgeOld()
        .then((n) => n > 0 && log.info({ deleted: n }, 'session.mirror_purged'))
        .catch((err: unknown) => log.warn({ err }, 'session.mirror_purge_failed'))
        .finally(() => {
          isPurging = false;
        });
    },

    /** The hourly timer of spec 10 §10; returns its stop function. */
    startPurgeTimer(): () => void {
      const timer = setInterval(() => service.purgeOldSoon(), PURGE_INTERVAL_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
  return service;
}
