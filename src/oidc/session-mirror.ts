import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps } from './types.js';

const REWRITE_AFTER_MS = 60_000;
const MAX_REMEMBERED = 10_000;

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
export function mirrorSessions(provider: Provider, deps: OidcDeps): void {
  const { sessions } = deps;
  const recent = new Map<string, { key: string; at: number }>();
  provider.on('session.saved', (session: SavedSession) => {
    if (!session.uid || !session.accountId) return;
    const ctx = (provider.constructor as unknown as { ctx?: KoaContextWithOIDC }).ctx;
    const client = ctx?.oidc?.client;
    const porta = client?.metadata().porta as { internal_id?: string } | undefined;
    const grantId = (client && session.authorizations?.[client.clientId]?.grantId) ?? null;
    // A login saves its session several times within a second: write again only when the user, client or
    // grant changed, or once a minute (last activity is kept to the minute).
    const now = deps.clock.now();
    const key = `${session.accountId}|${porta?.internal_id ?? ''}|${grantId ?? ''}`;
    const last = recent.get(session.uid);
    if (last && last.key === key && now - last.at < REWRITE_AFTER_MS) return;
    recent.delete(session.uid);
    recent.set(session.uid, { key, at: now });
    if (recent.size > MAX_REMEMBERED) recent.delete(recent.keys().next().value as string);
    const nowSeconds = Math.floor(now / 1000);
    const exp = typeof session.exp === 'number' && session.exp > nowSeconds ? session.exp : nowSeconds + deps.ttl.get('session_ttl');
    sessions.mirrorSaved({
      sessionId: session.uid,
      userId: session.accountId,
      organizationId: currentTenant().org.id,
      clientId: porta?.internal_id ?? null,
      grantId,
      ipAddress: ctx?.ip ?? null,
      userAgent: ctx?.get('User-Agent') || null,
      expiresAt: new Date(exp * 1000),
    });
  });
}
