export { createAuditService, decodeCursor, encodeCursor, invalidCursor, type AuditService, type AuditServiceDeps, type AuditPage } from './service.js';
export {
  AUDIT_CATEGORIES,
  ListAuditQuery,
  HistoryQuery,
  CleanupInput,
  type AuditCategory,
  type AuditEntry,
  type AuditInput,
  type HistoryPage,
} from './schema.js';
