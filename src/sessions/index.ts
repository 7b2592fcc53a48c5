export { createSessionService, sessionNotFound, MIRROR_RETENTION_MS, type SessionService, type SessionServiceDeps, type EndedAccess } from './service.js';
export type { AccountGrant, SessionRevoker } from './revoker.js';
export type { ConnectedApp } from './account.js';
export { ListSessionsQuery, type SessionPage, type SessionSnapshot, type TrackedSession } from './schema.js';
