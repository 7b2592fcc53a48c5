import { z } from 'zod';
import type { AdminPermission } from '../actors/index.js';

export const EXPORT_ENTITY_TYPES = ['organizations', 'applications', 'users', 'clients', 'roles', 'permissions', 'audit'] as const;
export type ExportEntityType = (typeof EXPORT_ENTITY_TYPES)[number];

export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Spec 20 §5.9: an audit export holds at most this many rows (the newest). */
export const AUDIT_EXPORT_LIMIT = 10_000;

/** Spec 20 §5.9: an export needs `export:read` plus the read permission of the exported type. */
export const TYPE_PERMISSION: Record<ExportEntityType, AdminPermission> = {
  organizations: 'admin:org:read',
  applications: 'admin:app:read',
  users: 'admin:user:read',
  clients: 'admin:client:read',
  roles: 'admin:role:read',
  permissions: 'admin:permission:read',
  audit: 'admin:audit:read',
};

export type ExportFilterName = 'organizationId' | 'applicationId';

/** The filter each type requires (spec 20 §5.9); null = none. */
export const REQUIRED_FILTER: Record<ExportEntityType, ExportFilterName | null> = {
  organizations: null,
  applications: null,
  users: 'organizationId',
  clients: 'organizationId',
  roles: 'applicationId',
  permissions: 'applicationId',
  audit: 'organizationId',
};

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date()).transform((v) => new Date(v));

/** `GET /export/:entityType` query. */
export const ExportQuery = z.strictObject({
  format: z.enum(EXPORT_FORMATS).default('json'),
  organizationId: z.uuid().optional(),
  applicationId: z.uuid().optional(),
  startDate: isoDate.optional(),
  endDate: isoDate.optional(),
});
export type ExportQuery = z.input<typeof ExportQuery>;
export type ExportFilters = z.output<typeof ExportQuery>;

/** One exported row: the table's non-secret columns in snake_case, dates as ISO strings. */
export type ExportRow = Record<string, unknown>;
