import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../platform/db/index.js';

/** The three kinds of single-use e-mailed links (spec 40 §2). */
export type AccountTokenKind = 'magic_link' | 'password_reset' | 'invitation';

const TABLES: Readonly<Record<AccountTokenKind, string>> = {
  magic_link: 'magic_link_tokens',
  password_reset: 'password_reset_tokens',
  invitation: 'invitation_tokens',
};

/**
 * What a link carries besides its user: magic links the interaction; password resets the login they were
 * asked from (client and interaction, spec 60 §5); invitations details and inviter.
 */
export interface AccountTokenExtras {
  interactionUid?: string | null;
  clientId?: string | null;
  details?: Record<string, unknown>;
  invitedBy?: string | null;
}

export interface AccountToken {
  id: string;
  userId: string;
  organizationId: string;
  interactionUid: string | null;
  clientId: string | null;
  details: Record<string, unknown>;
  invitedBy: string | null;
  expiresAt: Date;
}

/** SHA-256 hex of the link's secret; the only form in which it is stored. */
export const hashAccountToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** 32 random bytes, base64url: the secret part of an e-mailed link. */
export const newAccountToken = () => randomBytes(32).toString('base64url');

/** A link's secret as it may appear in a path: 43 base64url characters, nothing else is looked up. */
export const isTokenShaped = (token: unknown): token is string => typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);

function columns(kind: AccountTokenKind): string {
  const extra = kind === 'magic_link' || kind === 'password_reset' ? 't.interaction_uid' : 'NULL::varchar AS interaction_uid';
  const client = kind === 'password_reset' ? 't.client_id' : 'NULL::varchar AS client_id';
  const inv = kind === 'invitation' ? 't.details, t.invited_by' : "'{}'::jsonb AS details, NULL::uuid AS invited_by";
  return `t.id, t.user_id, u.organization_id, ${extra}, ${client}, ${inv}, t.expires_at`;
}

interface Row {
  id: string;
  user_id: string;
  organization_id: string;
  interaction_uid: string | null;
  client_id: string | null;
  details: Record<string, unknown> | null;
  invited_by: string | null;
  expires_at: Date | string;
}

const toToken = (r: Row): AccountToken => ({
  id: r.id,
  userId: r.user_id,
  organizationId: r.organization_id,
  interactionUid: r.interaction_uid,
  clientId: r.client_id,
  details: r.details ?? {},
  invitedBy: r.invited_by,
  expiresAt: new Date(r.expires_at),
});

export type AccountTokenRepo = ReturnType<typeof createAccountTokenRepo>;

/** SQL of the three token tables; the organization always comes through the user. */
export function createAccountTokenRepo(db: Db) {
  return {
    /**
     * Stores a new token for the user, marking their earlier unused ones of the kind used (spec 40 §2),
     * and returns the secret to e-mail. Runs in the caller's transaction when there is one.
     */
    async issue(kind: AccountTokenKind, userId: string, now: Date, ttlSeconds: number, extras: AccountTokenExtras = {}): Promise<{ token: string; expiresAt: Date }> {
      const table = TABLES[kind];
      const token = newAccountToken();
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
      await db.transaction(async () => {
        await db.query(`UPDATE ${table} SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`, [userId, now]);
        if (kind === 'magic_link') {
          await db.query(`INSERT INTO ${table} (user_id, token_hash, interaction_uid, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`, [
            userId, hashAccountToken(token), extras.interactionUid ?? null, expiresAt, now,
          ]);
        } else if (kind === 'invitation') {
          await db.query(`INSERT INTO ${table} (user_id, token_hash, details, invited_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
            userId, hashAccountToken(token), JSON.stringify(extras.details ?? {}), extras.invitedBy ?? null, expiresAt, now,
          ]);
        } else {
          await db.query(`INSERT INTO ${table} (user_id, token_hash, client_id, interaction_uid, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
            userId, hashAccountToken(token), extras.clientId ?? null, extras.clientId ? (extras.interactionUid ?? null) : null, expiresAt, now,
          ]);
        }
      });
      return { token, expiresAt };
    },

    /** The unused, unexpired token of a user of `orgId`, without using it (to show a form). */
    async findUsable(kind: AccountTokenKind, orgId: string, token: string, now: Date): Promise<AccountToken | null> {
      const row = await db.maybeOne<Row>(
        `SELECT ${columns(kind)} FROM ${TABLES[kind]} t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = $1 AND u.organization_id = $2 AND t.used_at IS NULL AND t.expires_at > $3`,
        [hashAccountToken(token), orgId, now],
      );
      return row ? toToken(row) : null;
    },

    /**
     * Uses the token in one guarded statement: of concurrent callers exactly one gets it, the others
     * (and any later one) get null, as for an unknown, expired or foreign token.
     */
    async consume(kind: AccountTokenKind, orgId: string, token: string, now: Date): Promise<AccountToken | null> {
      const row = await db.maybeOne<Row>(
        `UPDATE ${TABLES[kind]} t SET used_at = $3 FROM users u
          WHERE t.token_hash = $1 AND u.id = t.user_id AND u.organization_id = $2 AND t.used_at IS NULL AND t.expires_at > $3
          RETURNING ${columns(kind)}`,
        [hashAccountToken(token), orgId, now],
      );
      return row ? toToken(row) : null;
    },
  };
}
