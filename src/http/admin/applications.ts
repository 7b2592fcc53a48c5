import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  APPLICATION_STATUSES,
  CreateApplicationInput,
  CreateModuleInput,
  CreateResourceInput,
  UpdateApplicationInput,
  UpdateModuleInput,
  UpdateResourceInput,
  type ApplicationStatus,
} from '../../applications/index.js';
import { HistoryQuery } from '../../audit/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, checkIfMatch, listQuery, param, query, requirePermission, sendData, sendEntity, sendNoContent, sendPage } from './kit.js';

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

/** Spec 20 §5.3 status routes; the service authorizes, refuses illegal moves (409) and deactivating or archiving `porta-admin` (§3.3). */
const TRANSITIONS: readonly { path: string; to: ApplicationStatus }[] = [
  { path: 'archive', to: 'archived' },
  { path: 'activate', to: 'active' },
  { path: 'deactivate', to: 'inactive' },
];

/** `/api/admin/applications` and their modules (spec 20 §5.3); each write is one use case of the application service. */
export function applicationRoutes(router: Router, deps: AdminDeps): void {
  const applications = deps.services.applications;
  const load = (ctx: Context) => applications.getByIdOrSlug(param(ctx, 'id'));

  router.post('/applications', async (ctx) => {
    const input = await body(ctx, CreateApplicationInput);
    sendEntity(ctx, ENTITY, await applications.create(actorOf(ctx), input), 201);
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

  router.put('/applications/:id', async (ctx) => {
    const input = await body(ctx, UpdateApplicationBody);
    const app = await applications.update(actorOf(ctx), param(ctx, 'id'), input, (current) => checkIfMatch(ctx, ENTITY, current));
    sendEntity(ctx, ENTITY, app);
  });

  for (const transition of TRANSITIONS) {
    router.post(`/applications/:id/${transition.path}`, async (ctx) => {
      await applications.setStatus(actorOf(ctx), param(ctx, 'id'), transition.to);
      sendNoContent(ctx);
    });
  }

  router.get('/applications/:id/history', requirePermission('admin:app:read'), async (ctx) => {
    const params = query(ctx, HistoryQuery);
    const app = await load(ctx);
    ctx.body = await deps.services.audit.history(ENTITY, app.id, params);
  });

  router.post('/applications/:id/modules', async (ctx) => {
    const input = await body(ctx, CreateModuleInput);
    sendData(ctx, await applications.createModule(actorOf(ctx), param(ctx, 'id'), input), { status: 201 });
  });

  router.get('/applications/:id/modules', requirePermission('admin:app:read'), async (ctx) => {
    const app = await load(ctx);
    sendData(ctx, await applications.listModules(app.id));
  });

  router.put('/applications/:id/modules/:moduleId', async (ctx) => {
    const input = await body(ctx, UpdateModuleBody);
    sendData(ctx, await applications.updateModule(actorOf(ctx), param(ctx, 'id'), param(ctx, 'moduleId'), input));
  });

  router.post('/applications/:id/modules/:moduleId/deactivate', async (ctx) => {
    await applications.deactivateModule(actorOf(ctx), param(ctx, 'id'), param(ctx, 'moduleId'));
    sendNoContent(ctx);
  });

  // API resources (spec 70 §5, RFC 8707 / RFC 9068): docs/admin-api/resources.md.
  router.post('/applications/:id/resources', async (ctx) => {
    const input = await body(ctx, CreateResourceInput);
    sendData(ctx, await applications.createResource(actorOf(ctx), param(ctx, 'id'), input), { status: 201 });
  });

  router.get('/applications/:id/resources', requirePermission('admin:app:read'), async (ctx) => {
    const app = await load(ctx);
    sendData(ctx, await applications.listResources(app.id));
  });

  router.get('/applications/:id/resources/:resourceId', requirePermission('admin:app:read'), async (ctx) => {
    const app = await load(ctx);
    sendData(ctx, await applications.getResource(app.id, param(ctx, 'resourceId')));
  });

  router.put('/applications/:id/resources/:resourceId', async (ctx) => {
    const input = await body(ctx, UpdateResourceInput);
    sendData(ctx, await applications.updateResource(actorOf(ctx), param(ctx, 'id'), param(ctx, 'resourceId'), input));
  });

  router.delete('/applications/:id/resources/:resourceId', async (ctx) => {
    await applications.deleteResource(actorOf(ctx), param(ctx, 'id'), param(ctx, 'resourceId'));
    sendNoContent(ctx);
  });
}
