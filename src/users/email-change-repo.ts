import type { Db } from '../platform/db/index.js';
import { hashAccountToken, newAccountToken } from './account-tokens.js';

export interface EmailChangeToken {
  userId: string;
  newEmail: string;
}

/** SQL of `email_change_tokens`; the organization always comes through the user. */
export function createEmailChangeRepo(db: Db) {
  return {
    /** A new link for the user's change to `newEmail`, replacing their earlier unused ones; returns its secret. */
    async issue(userId: string, newEmail: string, now: Date, ttlSeconds: number): Promise<string> {
      const token = newAccountToken();
      await db.query('UPDATE email_change_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL', [userId, now]);
      await db.query('INSERT INTO email_change_tokens (user_id, token_hash, new_email, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)', [
        userId, hashAccountToken(token), newEmail, new Date(now.getTime() + ttlSeconds * 1000), now,
      ]);
      return token;
    },

    /** The unused, unexpired link of a user of `orgId`, without using it (to show the confirmation). */
    async findUsable(orgId: string, token: string, now: Date): Promise<EmailChangeToken | null> {
      const row = await db.maybeOne<{ user_id: string; new_email: string }>(
        `SELECT t.user_id, t.new_email FROM email_change_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1 AND u.organization_id = $2 AND t.used_at IS NULL AND t.expires_at > $3`,
        [hashAccountToken(token), orgId, now],
      );
      return row ? { userId: row.user_id, newEmail: row.new_email } : null;
    },

    /** Uses the link: one winner among concurrent uses. */
    async consume(orgId: string, token: string, now: Date): Promise<EmailChangeToken | null> {
      const row = await db.maybeOne<{ user_id: string; new_email: string }>(
        `UPDATE email_change_tokens t SET used_at = $3 FROM users u
          WHERE u.id = t.user_id AND t.token_hash = $1 AND u.organization_id = $2 AND t.used_at IS NULL AND t.expires_at > $3
          RETURNING t.user_id, t.new_email`,
        [hashAccountToken(token), orgId, now],
      );
      return row ? { userId: row.user_id, newEmail: row.new_email } : null;
    },
  };
}

export type EmailChangeRepo = ReturnType<typeof createEmailChangeRepo>;
