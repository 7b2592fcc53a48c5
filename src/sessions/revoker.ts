/**
 * What the OIDC layer hands the domains so that a use case can end live sessions and tokens without
 * knowing how the engine stores them. Durable deletions join the caller's transaction; work in the
 * ephemeral store runs once it has committed.
 */
export interface SessionRevoker {
  /** Destroys the live session with this stable uid, with the logout cascade; false when none is live. */
  destroySession(organizationId: string, sessionUid: string): Promise<boolean>;
  /** Every grant and token issued to the account in the organization; returns the durable rows deleted. */
  revokeAccountTokens(organizationId: string, accountId: string): Promise<number>;
  /** Every grant and token of the client (by OIDC client_id) in the organization; returns the durable rows deleted. */
  revokeClientTokens(organizationId: string, clientId: string): Promise<number>;
  /** The unexpired grants the account holds in the organization, with what each grants. */
  accountGrants(organizationId: string, accountId: string): Promise<AccountGrant[]>;
  /** These grants with every token and code of them; durable deletions in the caller's transaction. */
  revokeGrants(organizationId: string, grantIds: string[]): Promise<number>;
}

/** A grant an account gave a client (the account portal's connected apps). */
export interface AccountGrant {
  grantId: string;
  clientId: string;
  scopes: string[];
  /** When the grant was given, and when it lapses (null: with its tokens). */
  grantedAt: Date | null;
  expiresAt: Date | null;
}
