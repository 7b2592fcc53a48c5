import type { Db } from '../platform/db/index.js';
import type { Clock } from '../platform/clock.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { parseInput } from '../platform/validation.js';
import { createAuditRepo, type AuditFilter } from './repo.js';
import { authorize, systemActor, type Actor } from '../actors/index.js';
import { CleanupInput, HistoryQuery, ListAuditQuery, type AuditEntry, type AuditEvent, type AuditInput, type HistoryPage } from './schema.js';

export interface AuditServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  /** `audit_retention_days` (spec 40 §5). */
  retentionDays: () => Promise<number>;
}

export interface AuditPage {
  data: AuditEntry[];
  total: number;
  nextCursor: string | null;
}

export interface CleanupResult {
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  entriesFound: number;
  deleted: number;
}

export const invalidCursor = () => new AppError('invalid', 'invalid_cursor', 'The cursor is not valid.');

/** Opaque keyset cursor over (created_at, seq). */
export function encodeCursor(entry: { createdAt: Date; seq: string }): string {
  return Buffer.from(`${entry.createdAt.toISOString()}|${entry.seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; seq: string } {
  const [at, seq, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (extra !== undefined || !seq || !/^[1-9][0-9]{0,18}$/.test(seq) || Number.isNaN(createdAt.getTime())) throw invalidCursor();
  return { createdAt, seq };
}

/** The row an event becomes: who (actor), through which edge, from where. */
export function auditRow(actor: Actor, event: AuditEvent): AuditInput {
  return {
    ...event,
    eventCategory: event.eventCategory ?? 'admin',
    actorId: actor.userId,
    actorType: actor.kind,
    actorClientId: actor.clientId,
    actorName: actor.name,
    source: actor.source,
    requestId: actor.requestId,
    ipAddress: actor.ip,
    userAgent: actor.userAgent,
  };
}

export interface RetentionTimerOptions {
  /** Checked before each run: false while the schema is outdated. */
  isEnabled?: () => boolean;
  /** First check after start (default 5 min), then every `intervalMs` (default 1 h). */
  firstCheckMs?: number;
  intervalMs?: number;
}

/** Automatic retention runs when the last automatic run is at least this old. */
const RETENTION_PERIOD_MS = 86_400_000;
const RETENTION_ACTOR = systemActor('system', 'audit-retention');

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({ db, clock, log, retentionDays }: AuditServiceDeps) {
  const repo = createAuditRepo(db);

  /**
   * Spec 20 §5.8 `POST /audit/cleanup` (spec 50 §11): needs `config:update`; deletes entries older than
   * the retention period (or counts them on a dry run). Audit `audit.cleanup` with the result.
   */
  async function cleanup(actor: Actor, input: CleanupInput = {}): Promise<CleanupResult> {
    const q = parseInput(CleanupInput, input);
    return db.transaction(async () => {
      authorize(actor, 'admin:config:update');
      const days = q.retentionDays ?? (await retentionDays());
      const cutoff = new Date(clock.now() - days * 86_400_000);
      const entriesFound = await repo.countOlderThan(cutoff);
      const deleted = q.dryRun ? 0 : await repo.deleteOlderThan(cutoff);
      const result: CleanupResult = { dryRun: q.dryRun, retentionDays: days, cutoff: cutoff.toISOString(), entriesFound, deleted };
      await repo.insert(auditRow(actor, { eventType: 'audit.cleanup', metadata: { ...result } }), new Date(clock.now()));
      return result;
    });
  }

  /**
   * The daily retention run (spec 50 §11), as the system actor with `audit_retention_days`. Several
   * instances may call it at once: the one holding the advisory lock runs it, provided the last
   * automatic run (its `audit.cleanup` entry) is a day old; the others return null.
   */
  async function runRetentionIfDue(): Promise<CleanupResult | null> {
    return db.transaction(async () => {
      if (!(await repo.tryRetentionLock())) return null;
      const last = await repo.lastCleanupAt(RETENTION_ACTOR.kind);
      if (last && clock.now() - last.getTime() < RETENTION_PERIOD_MS) return null;
      return cleanup(RETENTION_ACTOR);
    });
  }

  return {
    /**
     * Appends the use case's entry. Call it inside the use case's transaction: when the insert fails,
     * the error propagates and the change rolls back with it.
     */
    async record(actor: Actor, event: AuditEvent): Promise<AuditEntry> {
      return repo.insert(auditRow(actor, event), new Date(clock.now()));
    },

    /** Appends one entry; a failure is logged, never thrown (security events on the sign-in path). */
    async recordSafely(actor: Actor, event: AuditEvent): Promise<void> {
      try {
        await repo.insert(auditRow(actor, event), new Date(clock.now()));
      } catch (err) {
        log.error({ err, eventType: event.eventType }, 'audit.write_failed');
      }
    },

    async list(query: ListAuditQuery = {}): Promise<AuditPage> {
      const q = parseInput(ListAuditQuery, query);
      const filter: AuditFilter = {
        category: q.category,
        organizationId: q.org,
        userId: q.user,
        actorId: q.actor,
        actorClientId: q.actorClient,
        source: q.source,
        targetType: q.targetType,
        targetId: q.targetId,
        since: q.since,
        until: q.until,
        ...(q.event === undefined ? {} : q.event.endsWith('.') ? { eventPrefix: q.event } : { eventType: q.event }),
      };
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const [rows, total] = await Promise.all([repo.list({ ...filter, before }, q.limit + 1), repo.count(filter)]);
      const data = rows.slice(0, q.limit);
      const last = data.at(-1);
      return { data, total, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
    },

    /** Spec 20 HistoryPage for one target, newest first. */
    async history(targetType: string, targetId: string, query: HistoryQuery = {}): Promise<HistoryPage> {
      const q = parseInput(HistoryQuery, query);
      const before = q.after === undefined ? undefined : decodeCursor(q.after);
      const rows = await repo.list({ targetType, targetId, eventPrefix: q.event_type, before }, q.limit + 1);
      const data = rows.slice(0, q.limit);
      const last = data.at(-1);
      return {
        data: data.map((e) => ({ id: e.id, eventType: e.eventType, actorId: e.actorId, metadata: e.metadata, createdAt: e.createdAt })),
        hasMore: rows.length > q.limit,
        nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
      };
    },

    cleanup,

    runRetentionIfDue,

    /** Checks hourly whether the daily retention run is due; returns the stop function. */
    startRetentionTimer({ isEnabled = () => true, firstCheckMs = 5 * 60_000, intervalMs = 3_600_000 }: RetentionTimerOptions = {}): () => void {
      const tick = async () => {
        if (!isEnabled()) return;
        try {
          const result = await runRetentionIfDue();
          if (result) log.info({ ...result }, 'audit.retention_ran');
        } catch (err) {
          log.warn({ err }, 'audit.retention_failed');
        }
      };
      const first = setTimeout(() => void tick(), firstCheckMs);
      const timer = setInterval(() => void tick(), intervalMs);
      first.unref();
      timer.unref();
      return () => {
        clearTimeout(first);
        clearInterval(timer);
      };
    },

    /** Entries about or by the user, newest first (GDPR export, spec 50 §11). */
    listAboutOrBy: (userId: string, limit = 1000) => repo.listAboutOrBy(userId, limit),

    /** Spec 50 §11 purge step; run it inside the purge transaction so it commits with the rest. */
    anonymizeForUser: (userId: string) => repo.anonymizeForUser(userId),

    /** Login activity over the last 24 h, 7 d and 30 d (spec 20 §5.8). */
    async loginActivity(organizationId?: string) {
      const now = clock.now();
      const ago = (days: number) => new Date(now - days * 86_400_000);
      return repo.loginActivity({ last24h: ago(1), last7d: ago(7), last30d: ago(30) }, organizationId);
    },
  };
}
