export { createSessionService, sessionNotFound, MIRROR_RETENTION_MS, type SessionService, type SessionServiceDeps } from './service.js';
export { ListSessionsQuery, type SessionPage, type SessionSnapshot, type TrackedSession } from './schema.js';
