import type { ApplicationService } from '../applications/index.js';
import type { OrganizationService } from '../organizations/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import { csvChunks } from './csv.js';
import { applicationNotFound, filterNotApplicable, missingFilter, organizationNotFound, unknownEntityType } from './errors.js';
import { createExportRepo, exportColumns, type ExportCursor, type ExportFilter } from './repo.js';
import {
  AUDIT_EXPORT_LIMIT,
  EXPORT_ENTITY_TYPES,
  REQUIRED_FILTER,
  TYPE_PERMISSION,
  type ExportEntityType,
  type ExportFilters,
  type ExportFormat,
  type ExportRow,
} from './schema.js';

export interface ExportServiceDeps {
  db: Db;
  clock: Clock;
  /** Every download is recorded (`export.downloaded`). */
  audit: Pick<AuditService, 'record'>;
  organizations: Pick<OrganizationService, 'findById'>;
  applications: Pick<ApplicationService, 'findById'>;
}

/** A prepared export: checked and counted, its body produced lazily in batches. */
export interface PreparedExport {
  entityType: ExportEntityType;
  format: ExportFormat;
  filters: ExportFilters;
  exportedAt: Date;
  /** `<entity>-export-<YYYY-MM-DDTHH-MM-SS>.<ext>` */
  filename: string;
  contentType: string;
  /** Rows the body will hold (counted before streaming; a concurrent write may shift it slightly). */
  total: number;
  body(): AsyncGenerator<string>;
}

const BATCH_SIZE = 500;

export const isExportEntityType = (value: string): value is ExportEntityType => (EXPORT_ENTITY_TYPES as readonly string[]).includes(value);

/** `2026-01-02T03-04-05`: the export time in UTC, safe in a file name. */
export const fileStamp = (at: Date): string => at.toISOString().slice(0, 19).replaceAll(':', '-');

/** Spec 20 §5.9 exports: one entity type, its required filter, JSON or CSV. */
export function createExportService({ db, clock, organizations, applications, audit }: ExportServiceDeps) {
  const repo = createExportRepo(db);

  function checkFilters(type: ExportEntityType, filters: ExportFilters): void {
    const required = REQUIRED_FILTER[type];
    if (required !== null && filters[required] === undefined) throw missingFilter(required, type);
    for (const name of ['organizationId', 'applicationId'] as const) {
      if (name !== required && filters[name] !== undefined) throw filterNotApplicable(name, type);
    }
    if (type !== 'audit') {
      for (const name of ['startDate', 'endDate'] as const) if (filters[name] !== undefined) throw filterNotApplicable(name, type);
    }
  }

  async function* rowsOf(type: ExportEntityType, filter: ExportFilter, limit: number): AsyncGenerator<ExportRow> {
    let cursor: ExportCursor | null = null;
    let sent = 0;
    while (sent < limit) {
      const batch = await repo.batch(type, filter, cursor, Math.min(BATCH_SIZE, limit - sent));
      for (const row of batch.rows) yield plainRow(row);
      sent += batch.rows.length;
      if (batch.rows.length < BATCH_SIZE || !batch.next) return;
      cursor = batch.next;
    }
  }

  async function prepare(entityType: ExportEntityType, filters: ExportFilters): Promise<PreparedExport> {
    const exportedAt = new Date(clock.now());
    const filter: ExportFilter = {
      organizationId: filters.organizationId,
      applicationId: filters.applicationId,
      since: filters.startDate,
      until: filters.endDate,
      // An audit export is a snapshot: the entry recording this very download is not part of it.
      ...(entityType === 'audit' ? { before: exportedAt } : {}),
    };
    const limit = entityType === 'audit' ? AUDIT_EXPORT_LIMIT : Number.POSITIVE_INFINITY;
    const total = Math.min(await repo.count(entityType, filter), limit);
    const columns = exportColumns(entityType);
    const format = filters.format;
    return {
      entityType,
      format,
      filters,
      exportedAt,
      filename: `${entityType}-export-${fileStamp(exportedAt)}.${format}`,
      contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      total,
      body: () => (format === 'csv' ? csvChunks(columns, rowsOf(entityType, filter, limit)) : jsonChunks(rowsOf(entityType, filter, limit), exportedAt)),
    };
  }

  return {
    /**
     * Spec 20 §5.9 `GET /export/:entityType`, `filters` parsed with `ExportQuery`: needs `export:read` plus
     * the type's read permission; validates the type and filters (400), checks the filtered object exists
     * (404), counts the rows and records `export.downloaded` before any row is read.
     */
    async download(actor: Actor, entityType: string, filters: ExportFilters): Promise<PreparedExport> {
      return db.transaction(async () => {
        const type = isExportEntityType(entityType) ? entityType : null;
        authorize(actor, 'admin:export:read', ...(type ? [TYPE_PERMISSION[type]] : []));
        if (!type) throw unknownEntityType(entityType);
        checkFilters(type, filters);
        if (filters.organizationId !== undefined && !(await organizations.findById(filters.organizationId))) throw organizationNotFound();
        if (filters.applicationId !== undefined && !(await applications.findById(filters.applicationId))) throw applicationNotFound();
        const prepared = await prepare(type, filters);
        const { format, organizationId, applicationId, startDate, endDate } = filters;
        await audit.record(actor, {
          eventType: 'export.downloaded',
          organizationId: organizationId ?? null,
          metadata: { entityType: type, format, total: prepared.total, organizationId, applicationId, startDate, endDate },
        });
        return prepared;
      });
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;

function plainRow(row: ExportRow): ExportRow {
  const out: ExportRow = {};
  for (const [key, value] of Object.entries(row)) out[key] = value instanceof Date ? value.toISOString() : value;
  return out;
}

/** `{ "exportedAt": …, "data": [ … ], "total": n }`, written row by row; `total` counts what was written. */
async function* jsonChunks(rows: AsyncIterable<ExportRow>, exportedAt: Date): AsyncGenerator<string> {
  yield `{"exportedAt":${JSON.stringify(exportedAt.toISOString())},"data":[`;
  let total = 0;
  for await (const row of rows) {
    yield `${total === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
    total++;
  }
  yield `${total === 0 ? '' : '\n'}],"total":${total}}\n`;
}
