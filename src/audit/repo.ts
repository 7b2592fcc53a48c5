import type { Queryable } from '../platform/db/index.js';
import { escapeLike } from '../platform/db/sql.js';
import type { AuditCategory, AuditEntry, AuditInput } from './schema.js';

interface AuditRow {
  id: string;
  seq: string;
  event_type: string;
  event_category: AuditCategory;
  actor_id: string | null;
  actor_type: string | null;
  actor_client_id: string | null;
  actor_name: string | null;
  source: string | null;
  request_id: string | null;
  organization_id: string | null;
  user_id: string | null;
  target_type: string | null;
  target_id: string | null;
  description: string | null;
  metadata: Record<string, unknown>;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
}

/** The daily retention run: one instance of many takes it (pg_try_advisory_xact_lock). */
const RETENTION_LOCK_KEY = 7_301_202_612;

const COLUMNS = `id, seq, event_type, event_category, actor_id, actor_type, actor_client_id, actor_name, source, request_id,
  organization_id, user_id, target_type, target_id, description, metadata, host(ip_address) AS ip_address, user_agent, created_at`;

export interface AuditFilter {
  eventType?: string;
  eventPrefix?: string;
  category?: AuditCategory;
  organizationId?: string;
  userId?: string;
  actorId?: string;
  actorClientId?: string;
  source?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  /** Keyset: entries strictly older than (createdAt, seq). */
  before?: { createdAt: Date; seq: string };
}

export interface LoginWindows {
  last24h: Date;
  last7d: Date;
  last30d: Date;
}
export interface LoginCounts {
  successful: number;
  failed: number;
}

/** Spec 40 §4: append-only except retention and GDPR anonymisation. */
export function createAuditRepo(db: Queryable) {
  function where(filter: AuditFilter): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      clauses.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.eventType !== undefined) add('event_type = ?', filter.eventType);
    if (filter.eventPrefix !== undefined) add(`event_type LIKE ? ESCAPE '\\'`, `${escapeLike(filter.eventPrefix)}%`);
    if (filter.category !== undefined) add('event_category = ?', filter.category);
    if (filter.organizationId !== undefined) add('organization_id = ?', filter.organizationId);
    if (filter.userId !== undefined) add('user_id = ?', filter.userId);
    if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId);
    if (filter.actorClientId !== undefined) add('actor_client_id = ?', filter.actorClientId);
    if (filter.source !== undefined) add('source = ?', filter.source);
    if (filter.targetType !== undefined) add('target_type = ?', filter.targetType);
    if (filter.targetId !== undefined) add('target_id = ?', filter.targetId);
    if (filter.since !== undefined) add('created_at >= ?', filter.since);
    if (filter.until !== undefined) add('created_at <= ?', filter.until);
    const base = { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
    return base;
  }

  return {
    async insert(entry: AuditInput, createdAt: Date): Promise<AuditEntry> {
      const row = await db.one<AuditRow>(
        `INSERT INTO audit_log (event_type, event_category, actor_id, organization_id, user_id, target_type, target_id,
           description, metadata, ip_address, user_agent, created_at, actor_type, actor_client_id, actor_name, source, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::inet, $11, $12, $13, $14, $15, $16, $17) RETURNING ${COLUMNS}`,
        [
          entry.eventType, entry.eventCategory, entry.actorId ?? null, entry.organizationId ?? null, entry.userId ?? null,
          entry.targetType ?? null, entry.targetId ?? null, entry.description ?? null, JSON.stringify(entry.metadata ?? {}),
          entry.ipAddress ?? null, entry.userAgent ?? null, createdAt, entry.actorType ?? null, entry.actorClientId ?? null,
          entry.actorName ?? null, entry.source ?? null, entry.requestId ?? null,
        ],
      );
      return toEntry(row);
    },

    /** Newest first; `limit + 1` rows are read so the caller knows whether more exist. */
    async list(filter: AuditFilter, limit: number): Promise<AuditEntry[]> {
      const { sql, params } = where(filter);
      let clause = sql;
      if (filter.before) {
        params.push(filter.before.createdAt, filter.before.seq);
        const keyset = `(created_at, seq) < ($${params.length - 1}, $${params.length}::bigint)`;
        clause = clause ? `${clause} AND ${keyset}` : `WHERE ${keyset}`;
      }
      params.push(limit);
      const rows = await db.many<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_log ${clause} ORDER BY created_at DESC, seq DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEntry);
    },

    async count(filter: AuditFilter): Promise<number> {
      const { sql, params } = where({ ...filter, before: undefined });
      const row = await db.one<{ n: string }>(`SELECT count(*) AS n FROM audit_log ${sql}`, params);
      return Number(row.n);
    },

    async countOlderThan(cutoff: Date): Promise<number> {
      const row = await db.one<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE created_at < $1', [cutoff]);
      return Number(row.n);
    },

    async deleteOlderThan(cutoff: Date): Promise<number> {
      return (await db.query('DELETE FROM audit_log WHERE created_at < $1', [cutoff])).rowCount;
    },

    /** Inside a transaction: true when this connection took the retention lock (held until commit), false when another holds it. */
    async tryRetentionLock(): Promise<boolean> {
      return (await db.one<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RETENTION_LOCK_KEY])).locked;
    },

    /** When the last `audit.cleanup` by this kind of actor was recorded. */
    async lastCleanupAt(actorType: string): Promise<Date | null> {
      const row = await db.one<{ at: Date | null }>(
        "SELECT max(created_at) AS at FROM audit_log WHERE event_type = 'audit.cleanup' AND actor_type = $1",
        [actorType],
      );
      return row.at;
    },

    /** GDPR export: entries about or by the user, newest first. */
    async listAboutOrBy(userId: string, limit: number): Promise<AuditEntry[]> {
      const rows = await db.many<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_log WHERE user_id = $1 OR actor_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`,
        [userId, limit],
      );
      return rows.map(toEntry);
    },

    /** GDPR purge: rows about or by the user lose their metadata, IP and user agent. */
    async anonymizeForUser(userId: string): Promise<number> {
      const result = await db.query(
        `UPDATE audit_log SET metadata = '{"purged": true}', ip_address = NULL, user_agent = NULL,
                actor_name = CASE WHEN actor_id = $1 THEN NULL ELSE actor_name END
          WHERE user_id = $1 OR actor_id = $1`,
        [userId],
      );
      return result.rowCount;
    },

    /** Successful and failed `user.login.*` events in each window (one scan of the widest), optionally in one organization. */
    async loginActivity(since: LoginWindows, organizationId?: string): Promise<Record<keyof LoginWindows, LoginCounts>> {
      const params: unknown[] = [since.last24h, since.last7d, since.last30d];
      const org = organizationId ? ` AND organization_id = $${params.push(organizationId)}` : '';
      const row = await db.one<Record<string, string | number>>(
        `SELECT count(*) FILTER (WHERE created_at >= $1 AND event_type NOT LIKE '%.failed') AS s24,
                count(*) FILTER (WHERE created_at >= $1 AND event_type LIKE '%.failed') AS f24,
                count(*) FILTER (WHERE created_at >= $2 AND event_type NOT LIKE '%.failed') AS s7,
                count(*) FILTER (WHERE created_at >= $2 AND event_type LIKE '%.failed') AS f7,
                count(*) FILTER (WHERE event_type NOT LIKE '%.failed') AS s30,
                count(*) FILTER (WHERE event_type LIKE '%.failed') AS f30
           FROM audit_log WHERE event_type LIKE 'user.login.%' AND created_at >= $3${org}`,
        params,
      );
      const pair = (s: string, f: string): LoginCounts => ({ successful: Number(row[s]), failed: Number(row[f]) });
      return { last24h: pair('s24', 'f24'), last7d: pair('s7', 'f7'), last30d: pair('s30', 'f30') };
    },
  };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    seq: String(row.seq),
    eventType: row.event_type,
    eventCategory: row.event_category,
    actorId: row.actor_id,
    actorType: row.actor_type,
    actorClientId: row.actor_client_id,
    actorName: row.actor_name,
    source: row.source,
    requestId: row.request_id,
    organizationId: row.organization_id,
    userId: row.user_id,
    targetType: row.target_type,
    targetId: row.target_id,
    description: row.description,
    metadata: row.metadata,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at,
  };
}
