export { createSessionService, sessionNotFound, MIRROR_RETENTION_MS, type SessionService, type SessionServiceDeps, type EndedAccess } from './service.js';
export type { SessionRevoker } from './revoker.js';
export { ListSessionsQuery, type SessionPage, type SessionSnapshot, type TrackedSession } from './schema.js';
