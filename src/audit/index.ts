export { auditRow, createAuditService, decodeCursor, encodeCursor, invalidCursor, type AuditService, type AuditServiceDeps, type AuditPage, type CleanupResult } from './service.js';
export {
  AUDIT_CATEGORIES,
  ListAuditQuery,
  HistoryQuery,
  CleanupInput,
  type AuditCategory,
  type AuditEntry,
  type AuditEvent,
  type AuditInput,
  type HistoryPage,
} from './schema.js';
