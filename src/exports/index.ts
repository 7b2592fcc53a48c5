export { createExportService, fileStamp, isExportEntityType, type ExportService, type ExportServiceDeps, type PreparedExport } from './service.js';
export { AUDIT_EXPORT_LIMIT, EXPORT_ENTITY_TYPES, EXPORT_FORMATS, ExportQuery, REQUIRED_FILTER, TYPE_PERMISSION, type ExportEntityType, type ExportFilters, type ExportFormat } from './schema.js';
export { csvCell, csvLine } from './csv.js';
