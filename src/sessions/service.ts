import type { Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { parseInput } from '../platform/validation.js';
import { createSessionRepo } from './repo.js';
import { ListSessionsQuery, type SessionPage, type SessionSnapshot, type TrackedSession } from './schema.js';

/** Spec 10 §10: mirror rows whose expiry is more than 7 days past are deleted. */
export const MIRROR_RETENTION_MS = 7 * 86_400_000;
/** At most hourly per process. */
const PURGE_INTERVAL_MS = 3_600_000;

export interface SessionServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  /**
   * Destroys the live session in the ephemeral store through the OIDC adapter, with the logout cascade
   * (its grants and tokens go too). Resolves false when no live session exists.
   */
  destroyLive: (organizationId: string, sessionId: string) => Promise<boolean>;
}

export const sessionNotFound = () => new AppError('not_found', 'session_not_found', 'Session not found.');

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService({ db, clock, log, destroyLive }: SessionServiceDeps) {
  const repo = createSessionRepo(db);
  const now = () => new Date(clock.now());
  let lastPurge = 0;
  let isPurging = false;

  /** Ends one tracked session: mark the mirror row, then destroy the live session (seed 002 order). */
  async function end(session: TrackedSession): Promise<boolean> {
    const wasActive = await repo.markRevoked(session.sessionId, now());
    const wasLive = await destroyLive(session.organizationId, session.sessionId);
    return wasActive || wasLive;
  }

  const service = {
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
     * Seed 002 `DELETE /sessions/:id`: 404 only if neither the mirror row nor a live session exists.
     * A live session without a mirror row can only be addressed through its organization.
     */
    async revoke(sessionId: string, organizationId?: string): Promise<void> {
      const tracked = await repo.find(sessionId);
      if (tracked) {
        await end(tracked);
        return;
      }
      if (!organizationId || !(await destroyLive(organizationId, sessionId))) throw sessionNotFound();
    },

    /** Ends every active session of a user; n = their tracked sessions that were active. */
    async revokeAllForUser(userId: string): Promise<number> {
      let revoked = 0;
      const at = now();
      for (;;) {
        const { data } = await repo.list({ userId, activeAt: at }, 100, 0);
        if (data.length === 0) return revoked;
        for (const session of data) if (await end(session)) revoked++;
      }
    },

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
