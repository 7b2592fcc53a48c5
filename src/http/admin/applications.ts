import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  APPLICATION_STATUSES,
  CreateApplicationInput,
  CreateModuleInput,
  UpdateApplicationInput,
  UpdateModuleInput,
  type Application,
  type ApplicationStatus,
  type Module,
} from '../../applications/index.js';
import { HistoryQuery } from '../../audit/index.js';
import type { AdminPermission } from '../../rbac/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import { audit, body, checkIfMatch, listQuery, param, query, requirePermission, sendData, sendEntity, sendNoContent, sendPage, uuidParam } from './kit.js';

const ENTITY = 'application';

const LIST_SORTS = ['name', 'created_at'] as const;
const LIST_FILTERS = {
  status: z.enum(APPLICATION_STATUSES).optional(),
  search: z.string().trim().max(255).optional(),
};
export const ListApplicationsParams = listQuery(LIST_SORTS, LIST_FILTERS);
export const ApplicationCursorParams = cursorQuery(LIST_SORTS, LIST_FILTERS);
/** The slug is fixed once created (spec 20 §5.3 PUT takes name and description). */
export const UpdateApplicationBody = UpdateApplicationInput.pick({ name: true, description: true });
export const UpdateModuleBody = UpdateModuleInput.pick({ name: true, description: true });

/** Spec 20 §5.3; the service refuses illegal moves (409) and deactivating or archiving `porta-admin` (§3.3). */
const TRANSITIONS: readonly { path: string; permission: AdminPermission; to: ApplicationStatus; eventType: string }[] = [
  { path: 'archive', permission: 'admin:app:archive', to: 'archived', eventType: 'application.archived' },
  { path: 'activate', permission: 'admin:app:update', to: 'active', eventType: 'application.activated' },
  { path: 'deactivate', permission: 'admin:app:update', to: 'inactive', eventType: 'application.deactivated' },
];

/** `/api/admin/applications` and their modules (spec 20 §5.3). */
export function applicationRoutes(router: Router, deps: AdminDeps): void {
  const applications = deps.services.applications;
  const load = (ctx: Context) => applications.getByIdOrSlug(param(ctx, 'id'));
  const record = (ctx: Context, app: Application, eventType: string, metadata?: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: ENTITY, targetId: app.id, metadata });
  const recordModule = (ctx: Context, mod: Module, eventType: string, metadata?: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: 'module', targetId: mod.id, metadata: { applicationId: mod.applicationId, ...metadata } });

  router.post('/applications', requirePermission('admin:app:create'), async (ctx) => {
    const input = await body(ctx, CreateApplicationInput);
    const app = await applications.create(input);
    await record(ctx, app, 'application.created', { name: app.name, slug: app.slug });
    sendEntity(ctx, ENTITY, app, 201);
  });

  router.get('/applications', requirePermission('admin:app:read'), async (ctx) => {
    if (isCursorQuery(ctx)) {
      const c = query(ctx, ApplicationCursorParams);
      const window = cursorWindow(c);
      sendCursorPage(ctx, await applications.listKeyset({ status: c.status, search: c.search, sort: c.sortBy }, window), c, window);
      return;
    }
    const q = query(ctx, ListApplicationsParams);
    const page = await applications.list({ status: q.status, search: q.search, page: q.page, pageSize: q.pageSize, sort: q.sortBy, order: q.sortOrder });
    sendPage(ctx, page, q);
  });

  router.get('/applications/:id', requirePermission('admin:app:read'), async (ctx) => {
    sendEntity(ctx, ENTITY, await load(ctx));
  });

  router.put('/applications/:id', requirePermission('admin:app:update'), async (ctx) => {
    const input = await body(ctx, UpdateApplicationBody);
    const current = await load(ctx);
    checkIfMatch(ctx, ENTITY, current);
    const app = await applications.update(current.id, input);
    await record(ctx, app, 'application.updated', { fields: Object.keys(input) });
    sendEntity(ctx, ENTITY, app);
  });

  for (const transition of TRANSITIONS) {
    router.post(`/applications/:id/${transition.path}`, requirePermission(transition.permission), async (ctx) => {
      const current = await load(ctx);
      const { application, previousStatus } = await applications.setStatus(current.id, transition.to);
      await record(ctx, application, transition.eventType, { previousStatus, status: application.status });
      sendNoContent(ctx);
    });
  }

  router.get('/applications/:id/history', requirePermission('admin:app:read'), async (ctx) => {
    const params = query(ctx, HistoryQuery);
    const app = await load(ctx);
    ctx.body = await deps.services.audit.history(ENTITY, app.id, params);
  });

  router.post('/applications/:id/modules', requirePermission('admin:app:update'), async (ctx) => {
    const input = await body(ctx, CreateModuleInput);
    const app = await load(ctx);
    const mod = await applications.createModule(app.id, input);
    await recordModule(ctx, mod, 'module.created', { name: mod.name, slug: mod.slug });
    sendData(ctx, mod, { status: 201 });
  });

  router.get('/applications/:id/modules', requirePermission('admin:app:read'), async (ctx) => {
    const app = await load(ctx);
    sendData(ctx, await applications.listModules(app.id));
  });

  router.put('/applications/:id/modules/:moduleId', requirePermission('admin:app:update'), async (ctx) => {
    const input = await body(ctx, UpdateModuleBody);
    const app = await load(ctx);
    const mod = await applications.updateModule(app.id, uuidParam(ctx, 'moduleId'), input);
    await recordModule(ctx, mod, 'module.updated', { fields: Object.keys(input) });
    sendData(ctx, mod);
  });

  router.post('/applications/:id/modules/:moduleId/deactivate', requirePermission('admin:app:update'), async (ctx) => {
    const app = await load(ctx);
    const mod = await applications.deactivateModule(app.id, uuidParam(ctx, 'moduleId'));
    await recordModule(ctx, mod, 'module.deactivated');
    sendNoContent(ctx);
  });
}
