import type { AccountGrant, SessionRevoker } from '../sessions/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { BackchannelLogout } from './backchannel-logout.js';

/** The OIDC layer's side of SessionRevoker: it alone knows how the engine's artifacts are stored. */
export function createSessionRevoker(deps: {
  db: Db;
  kv: Kv;
  log: Log;
  clock: Clock;
  mirror: { mirrorDestroyed(sessionUid: string): void };
  /** Told of every live session destroyed here, to send its clients logout tokens (never awaited). */
  backchannel?: Pick<BackchannelLogout, 'sessionEnded'>;
}): SessionRevoker {
  // Loaded on first use: the engine's module is heavy and a CLI command in direct mode rarely cascades.
  const forOrg = async (organizationId: string) => (await import('./adapter.js')).createAdapterFactory({ ...deps, organizationId });
  return {
    async destroySession(organizationId, sessionUid) {
      const ended = await (await forOrg(organizationId)).destroySession(sessionUid);
      if (ended) deps.backchannel?.sessionEnded(organizationId, ended);
      return ended !== undefined;
    },
    revokeAccountTokens: async (organizationId, accountId) => (await forOrg(organizationId)).revokeAccount(accountId),
    revokeClientTokens: async (organizationId, clientId) => (await forOrg(organizationId)).revokeClient(clientId),
    async accountGrants(organizationId, accountId) {
      const rows = await (await forOrg(organizationId)).accountGrants(accountId);
      return rows.map(({ grantId, payload }) => toAccountGrant(grantId, payload)).filter((g): g is AccountGrant => g !== null);
    },
    revokeGrants: async (organizationId, grantIds) => (await forOrg(organizationId)).revokeGrantsByIds(grantIds),
  };
}

/** The engine's Grant payload: `clientId`, `openid.scope` and the seconds `iat` / `exp`. */
function toAccountGrant(grantId: string, payload: Record<string, unknown>): AccountGrant | null {
  if (typeof payload.clientId !== 'string') return null;
  const openid = payload.openid as { scope?: unknown } | undefined;
  const scopes = typeof openid?.scope === 'string' ? openid.scope.split(' ').filter(Boolean) : [];
  const at = (v: unknown) => (typeof v === 'number' ? new Date(v * 1000) : null);
  return { grantId, clientId: payload.clientId, scopes, grantedAt: at(payload.iat), expiresAt: at(payload.exp) };
}
