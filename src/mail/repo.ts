import type { Queryable } from '../platform/db/index.js';
import type { MailMessage, MailTemplate, OutboxRow, OutboxStatus } from './schema.js';

interface Row {
  id: string;
  organization_id: string;
  recipient: string;
  template: MailTemplate;
  locale: string | null;
  data: Record<string, unknown> | string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const COLUMNS = 'id, organization_id, recipient, template, locale, data, status, attempts, next_attempt_at, last_error, created_at, sent_at';

function toOutbox(r: Row): OutboxRow {
  return {
    id: r.id,
    organizationId: r.organization_id,
    recipient: r.recipient,
    template: r.template,
    locale: r.locale,
    data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    sentAt: r.sent_at === null ? null : new Date(r.sent_at),
  };
}

export function createMailRepo(db: Queryable) {
  return {
    async insert(m: MailMessage, now: Date): Promise<string> {
      const row = await db.one<{ id: string }>(
        `INSERT INTO mail_outbox (organization_id, recipient, template, locale, data, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6) RETURNING id`,
        [m.organizationId, m.to, m.template, m.locale ?? null, JSON.stringify(m.data), now],
      );
      return row.id;
    },

    /**
     * Claims up to `limit` due rows: one statement locks them (`FOR UPDATE SKIP LOCKED`, so concurrent
     * claimers take disjoint rows), counts the attempt and leases them until `leaseUntil`.
     */
    async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxRow[]> {
      const rows = await db.many<Row>(
        `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2
         WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [now, leaseUntil, limit],
      );
      return rows.map(toOutbox);
    },

    async markSent(id: string, now: Date): Promise<void> {
      await db.query(`UPDATE mail_outbox SET status = 'sent', sent_at = $2, last_error = NULL, data = '{}'::jsonb WHERE id = $1`, [id, now]);
    },

    async scheduleRetry(id: string, at: Date, error: string): Promise<void> {
      await db.query(`UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1`, [id, at, error]);
    },

    async markFailed(id: string, error: string): Promise<void> {
      await db.query(`UPDATE mail_outbox SET status = 'failed', last_error = $2, data = '{}'::jsonb WHERE id = $1`, [id, error]);
    },

    /** Removes sent and failed rows created before `before`; returns how many. */
    async purgeFinished(before: Date): Promise<number> {
      const r = await db.query(`DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < $1`, [before]);
      return r.rowCount;
    },

    async findById(id: string): Promise<OutboxRow | null> {
      const row = await db.maybeOne<Row>(`SELECT ${COLUMNS} FROM mail_outbox WHERE id = $1`, [id]);
      return row ? toOutbox(row) : null;
    },
  };
}

export type MailRepo = ReturnType<typeof createMailRepo>;
