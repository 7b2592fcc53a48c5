import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { OidcDeps, Organization } from './types.js';

interface SavedSession {
  uid?: string;
  accountId?: string;
  exp?: number;
  authorizations?: Record<string, { grantId?: string }>;
}

/**
 * Spec 10 §10: every save of a signed-in session upserts its `admin_sessions` row (fire-and-forget).
 * The row is keyed by the session's stable `uid`, which survives the engine's id rotation at login.
 */
export function mirrorSessions(provider: Provider, deps: OidcDeps, org: Organization): void {
  const { sessions } = deps;
  provider.on('session.saved', (session: SavedSession) => {
    if (!session.uid || !session.accountId) return;
    const ctx = (provider.constructor as unknown as { ctx?: KoaContextWithOIDC }).ctx;
    const client = ctx?.oidc?.client;
    const porta = client?.metadata().porta as { internal_id?: string } | undefined;
    const nowSeconds = Math.floor(deps.clock.now() / 1000);
    const exp = typeof session.exp === 'number' && session.exp > nowSeconds ? session.exp : nowSeconds + deps.ttl.get('session_ttl');
    sessions.mirrorSaved({
      sessionId: session.uid,
      userId: session.accountId,
      organizationId: org.id,
      clientId: porta?.internal_id ?? null,
      grantId: (client && session.authorizations?.[client.clientId]?.grantId) ?? null,
      ipAddress: ctx?.ip ?? null,
      userAgent: ctx?.get('User-Agent') || null,
      expiresAt: new Date(exp * 1000),
    });
  });
}
