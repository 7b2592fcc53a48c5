import type { Queryable } from '../platform/db/index.js';
import type { SessionSnapshot, TrackedSession } from './schema.js';

interface SessionRow {
  session_id: string;
  user_id: string;
  client_id: string | null;
  organization_id: string;
  grant_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  expires_at: Date;
  last_activity_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = `session_id, user_id, client_id, organization_id, grant_id, host(ip_address) AS ip_address, user_agent,
  created_at, expires_at, last_activity_at, revoked_at`;

export interface SessionFilter {
  userId?: string;
  organizationId?: string;
  clientId?: string;
  /** Not revoked and not expired at this instant. */
  activeAt?: Date;
}

export type SessionRepo = ReturnType<typeof createSessionRepo>;

export function createSessionRepo(db: Queryable) {
  function where(filter: SessionFilter): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.userId) clauses.push(`user_id = $${params.push(filter.userId)}`);
    if (filter.organizationId) clauses.push(`organization_id = $${params.push(filter.organizationId)}`);
    if (filter.clientId) clauses.push(`client_id = $${params.push(filter.clientId)}`);
    if (filter.activeAt) clauses.push(`revoked_at IS NULL AND expires_at > $${params.push(filter.activeAt)}`);
    return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  return {
    /**
     * Upsert by session id. Existing non-null values are not overwritten with null; a revoked row
     * stays revoked. The client is only written when it exists (an unknown id becomes null).
     */
    async upsert(s: SessionSnapshot, now: Date): Promise<void> {
      await db.query(
        `INSERT INTO admin_sessions (session_id, user_id, client_id, organization_id, grant_id, ip_address, user_agent,
                                     created_at, expires_at, last_activity_at)
         VALUES ($1, $2, (SELECT id FROM clients WHERE id = $3::uuid), $4, $5, $6::inet, $7, $8, $9, $8)
         ON CONFLICT (session_id) DO UPDATE SET
           user_id = EXCLUDED.user_id,
           organization_id = EXCLUDED.organization_id,
           client_id = COALESCE(EXCLUDED.client_id, admin_sessions.client_id),
           grant_id = COALESCE(EXCLUDED.grant_id, admin_sessions.grant_id),
           ip_address = COALESCE(admin_sessions.ip_address, EXCLUDED.ip_address),
           user_agent = COALESCE(admin_sessions.user_agent, EXCLUDED.user_agent),
           expires_at = GREATEST(EXCLUDED.expires_at, admin_sessions.created_at + interval '1 second'),
           last_activity_at = EXCLUDED.last_activity_at`,
        [s.sessionId, s.userId, s.clientId, s.organizationId, s.grantId, s.ipAddress, s.userAgent, now, s.expiresAt],
      );
    },

    async markRevoked(sessionId: string, now: Date): Promise<boolean> {
      const result = await db.query('UPDATE admin_sessions SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL', [sessionId, now]);
      return result.rowCount > 0;
    },

    /** As markAllRevokedForUser, keeping one session (the account portal's current one). */
    async markOthersRevokedForUser(userId: string, keepSessionId: string | null, now: Date): Promise<Array<{ sessionId: string; organizationId: string }>> {
      const rows = await db.many<{ session_id: string; organization_id: string }>(
        `UPDATE admin_sessions SET revoked_at = $2
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND session_id IS DISTINCT FROM $3
          RETURNING session_id, organization_id`,
        [userId, now, keepSessionId],
      );
      return rows.map((r) => ({ sessionId: r.session_id, organizationId: r.organization_id }));
    },

    /** Marks every active session of the user revoked; returns their ids and organizations. */
    async markAllRevokedForUser(userId: string, now: Date): Promise<Array<{ sessionId: string; organizationId: string }>> {
      const rows = await db.many<{ session_id: string; organization_id: string }>(
        `UPDATE admin_sessions SET revoked_at = $2
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
          RETURNING session_id, organization_id`,
        [userId, now],
      );
      return rows.map((r) => ({ sessionId: r.session_id, organizationId: r.organization_id }));
    },

    async find(sessionId: string): Promise<TrackedSession | null> {
      const row = await db.maybeOne<SessionRow>(`SELECT ${COLUMNS} FROM admin_sessions WHERE session_id = $1`, [sessionId]);
      return row && toSession(row);
    },

    async list(filter: SessionFilter, limit: number, offset: number): Promise<{ data: TrackedSession[]; total: number }> {
      const { sql, params } = where(filter);
      const [rows, count] = await Promise.all([
        db.many<SessionRow>(
          `SELECT ${COLUMNS} FROM admin_sessions ${sql} ORDER BY last_activity_at DESC, session_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
          [...params, limit, offset],
        ),
        db.one<{ n: string }>(`SELECT count(*) AS n FROM admin_sessions ${sql}`, params),
      ]);
      return { data: rows.map(toSession), total: Number(count.n) };
    },

    async purgeExpiredBefore(cutoff: Date): Promise<number> {
      return (await db.query('DELETE FROM admin_sessions WHERE expires_at < $1', [cutoff])).rowCount;
    },
  };
}

function toSession(r: SessionRow): TrackedSession {
  return {
    sessionId: r.session_id,
    userId: r.user_id,
    clientId: r.client_id,
    organizationId: r.organization_id,
    grantId: r.grant_id,
    ipAddress: r.ip_address,
    userAgent: r.user_agent,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastActivityAt: r.last_activity_at,
    revokedAt: r.revoked_at,
  };
}
