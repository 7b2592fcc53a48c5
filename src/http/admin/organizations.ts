import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import {
  BrandingInput,
  CreateOrganizationInput,
  ORGANIZATION_STATUSES,
  SuspendOrganizationInput,
  TWO_FACTOR_POLICIES,
  TwoFactorPolicyInput,
  UpdateOrganizationInput,
  type Organization,
} from '../../organizations/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import {
  actorOf,
  body,
  checkIfMatch,
  etagOf,
  listQuery,
  param,
  query,
  requirePermission,
  sendData,
  sendEntity,
  sendNoContent,
  sendPage,
} from './kit.js';

const ENTITY = 'organization';

const LIST_SORTS = ['name', 'created_at'] as const;
const LIST_FILTERS = {
  status: z.enum(ORGANIZATION_STATUSES).optional(),
  search: z.string().trim().max(255).optional(),
};
export const ListOrganizationsParams = listQuery(LIST_SORTS, LIST_FILTERS);
export const OrganizationCursorParams = cursorQuery(LIST_SORTS, LIST_FILTERS);
export const ValidateSlugParams = z.strictObject({ slug: z.string().max(255) });
/** Slug and 2FA policy have routes of their own (spec 20 §5.1–§5.2). */
export const UpdateOrganizationBody = UpdateOrganizationInput.pick({
  name: true, defaultLocale: true, defaultLoginMethods: true, dynamicRegistration: true, passkeyEnrolmentPrompt: true, accountPortalEnabled: true, branding: true,
});
export const SuspendBody = SuspendOrganizationInput;
export const TwoFactorPolicyBody = TwoFactorPolicyInput;

const twoFactorView = (org: Organization) => ({ twoFactorPolicy: org.twoFactorPolicy, validPolicies: [...TWO_FACTOR_POLICIES] });

/**
 * `/api/admin/organizations` (spec 20 §5.1) and the 2FA policy routes of §5.2. Writes are one use case
 * each: the service authorizes, protects the super-admin organization (§3.3) and records the audit entry.
 */
export function organizationRoutes(router: Router, deps: AdminDeps): void {
  const organizations = deps.services.organizations;
  const load = (ctx: Context) => organizations.getByIdOrSlug(param(ctx, 'id'));
  const ifMatch = (ctx: Context) => (current: Organization) => checkIfMatch(ctx, ENTITY, current);

  router.post('/organizations', async (ctx) => {
    const input = await body(ctx, CreateOrganizationInput);
    sendEntity(ctx, ENTITY, await organizations.create(actorOf(ctx), input), 201);
  });

  router.get('/organizations', requirePermission('admin:org:read'), async (ctx) => {
    if (isCursorQuery(ctx)) {
      const c = query(ctx, OrganizationCursorParams);
      const window = cursorWindow(c);
      sendCursorPage(ctx, await organizations.listKeyset({ status: c.status, search: c.search, sort: c.sortBy }, window), c, window);
      return;
    }
    const q = query(ctx, ListOrganizationsParams);
    const page = await organizations.list({ status: q.status, search: q.search, page: q.page, pageSize: q.pageSize, sort: q.sortBy, order: q.sortOrder });
    sendPage(ctx, page, q);
  });

  // Before `/:id`, which would otherwise read "validate-slug" as an organization slug.
  router.get('/organizations/validate-slug', requirePermission('admin:org:read'), async (ctx) => {
    const { slug } = query(ctx, ValidateSlugParams);
    sendData(ctx, await organizations.checkSlug(slug));
  });

  router.get('/organizations/:id', requirePermission('admin:org:read'), async (ctx) => {
    sendEntity(ctx, ENTITY, await load(ctx));
  });

  router.put('/organizations/:id', async (ctx) => {
    const input = await body(ctx, UpdateOrganizationBody);
    sendEntity(ctx, ENTITY, await organizations.update(actorOf(ctx), param(ctx, 'id'), input, ifMatch(ctx)));
  });

  router.put('/organizations/:id/branding', async (ctx) => {
    const input = await body(ctx, BrandingInput);
    sendEntity(ctx, ENTITY, await organizations.updateBranding(actorOf(ctx), param(ctx, 'id'), input));
  });

  router.post('/organizations/:id/suspend', async (ctx) => {
    const input = await body(ctx, SuspendBody);
    await organizations.suspend(actorOf(ctx), param(ctx, 'id'), input);
    sendNoContent(ctx);
  });

  for (const transition of ['activate', 'archive', 'restore'] as const) {
    router.post(`/organizations/:id/${transition}`, async (ctx) => {
      await organizations[transition](actorOf(ctx), param(ctx, 'id'));
      sendNoContent(ctx);
    });
  }

  router.get('/organizations/:id/history', requirePermission('admin:org:read'), async (ctx) => {
    const params = query(ctx, HistoryQuery);
    const org = await load(ctx);
    ctx.body = await deps.services.audit.history(ENTITY, org.id, params);
  });

  router.get('/organizations/:id/two-factor/policy', requirePermission('admin:org:read'), async (ctx) => {
    const org = await load(ctx);
    ctx.set('ETag', etagOf(ENTITY, org));
    sendData(ctx, twoFactorView(org));
  });

  router.put('/organizations/:id/two-factor/policy', async (ctx) => {
    const input = await body(ctx, TwoFactorPolicyBody);
    const org = await organizations.updateTwoFactorPolicy(actorOf(ctx), param(ctx, 'id'), input, ifMatch(ctx));
    ctx.set('ETag', etagOf(ENTITY, org));
    sendData(ctx, twoFactorView(org));
  });
}
