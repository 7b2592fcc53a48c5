import { Readable } from 'node:stream';
import type Router from '@koa/router';
import { ExportQuery, isExportEntityType, type ExportEntityType } from '../../exports/index.js';
import type { AdminPermission } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { assertPermissions, audit, param, principalOf, query, requirePermission } from './kit.js';

/** Spec 20 §5.9: `export:read` plus the read permission of the exported type. */
const TYPE_PERMISSION: Record<ExportEntityType, AdminPermission> = {
  organizations: 'admin:org:read',
  applications: 'admin:app:read',
  users: 'admin:user:read',
  clients: 'admin:client:read',
  roles: 'admin:role:read',
  permissions: 'admin:permission:read',
  audit: 'admin:audit:read',
};

/** `GET /export/:entityType`: a streamed JSON or CSV attachment; audit `export.downloaded`. */
export function exportRoutes(router: Router, deps: AdminDeps): void {
  router.get('/export/:entityType', requirePermission('admin:export:read'), async (ctx) => {
    const entityType = param(ctx, 'entityType');
    if (isExportEntityType(entityType)) assertPermissions(principalOf(ctx), [TYPE_PERMISSION[entityType]]);
    const prepared = await deps.services.exports.prepare(entityType, query(ctx, ExportQuery));
    const { format, organizationId, applicationId, startDate, endDate } = prepared.filters;
    await audit(ctx, deps, {
      eventType: 'export.downloaded',
      organizationId: organizationId ?? null,
      metadata: { entityType, format, total: prepared.total, organizationId, applicationId, startDate, endDate },
    });
    ctx.set('Content-Disposition', `attachment; filename="${prepared.filename}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = prepared.contentType;
    ctx.body = Readable.from(prepared.body());
  });
}
