import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import {
  BrandingInput,
  CreateOrganizationInput,
  ORGANIZATION_STATUSES,
  TWO_FACTOR_POLICIES,
  UpdateOrganizationInput,
  type Organization,
  type OrganizationService,
  type OrganizationStatusChange,
} from '../../organizations/index.js';
import { AppError } from '../../platform/errors.js';
import type { AdminPermission } from '../../rbac/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import {
  audit,
  body,
  checkIfMatch,
  etagOf,
  listQuery,
  param,
  principalOf,
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
export const UpdateOrganizationBody = UpdateOrganizationInput.pick({ name: true, defaultLocale: true, defaultLoginMethods: true, branding: true });
export const SuspendBody = z.strictObject({ reason: z.string().trim().max(500).optional() });
export const TwoFactorPolicyBody = z.strictObject({ twoFactorPolicy: z.enum(TWO_FACTOR_POLICIES) });

interface Transition {
  path: string;
  permission: AdminPermission;
  eventType: string;
  run(service: OrganizationService, id: string): Promise<OrganizationStatusChange>;
}

/** Spec 20 §5.1 status changes; the service refuses the super-admin organization (§3.3) and illegal moves (409). */
const TRANSITIONS: readonly Transition[] = [
  { path: 'suspend', permission: 'admin:org:suspend', eventType: 'organization.suspended', run: (s, id) => s.suspend(id) },
  { path: 'activate', permission: 'admin:org:suspend', eventType: 'organization.activated', run: (s, id) => s.activate(id) },
  { path: 'archive', permission: 'admin:org:archive', eventType: 'organization.archived', run: (s, id) => s.archive(id) },
  { path: 'restore', permission: 'admin:org:archive', eventType: 'organization.restored', run: (s, id) => s.restore(id) },
];

const twoFactorView = (org: Organization) => ({ twoFactorPolicy: org.twoFactorPolicy, validPolicies: [...TWO_FACTOR_POLICIES] });

/** `/api/admin/organizations` (spec 20 §5.1) and the 2FA policy routes of §5.2. */
export function organizationRoutes(router: Router, deps: AdminDeps): void {
  const organizations = deps.services.organizations;
  const load = (ctx: Context) => organizations.getByIdOrSlug(param(ctx, 'id'));
  const record = (ctx: Context, org: Organization, eventType: string, metadata?: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: ENTITY, targetId: org.id, organizationId: org.id, metadata });

  router.post('/organizations', requirePermission('admin:org:create'), async (ctx) => {
    const input = await body(ctx, CreateOrganizationInput);
    const org = await organizations.create(input);
    await record(ctx, org, 'organization.created', { name: org.name, slug: org.slug });
    sendEntity(ctx, ENTITY, org, 201);
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

  router.put('/organizations/:id', requirePermission('admin:org:update'), async (ctx) => {
    const input = await body(ctx, UpdateOrganizationBody);
    const current = await load(ctx);
    checkIfMatch(ctx, ENTITY, current);
    const org = await organizations.update(current.id, input);
    await record(ctx, org, 'organization.updated', { fields: Object.keys(input) });
    sendEntity(ctx, ENTITY, org);
  });

  router.put('/organizations/:id/branding', requirePermission('admin:org:update'), async (ctx) => {
    const input = await body(ctx, BrandingInput);
    const current = await load(ctx);
    const org = await organizations.updateBranding(current.id, input);
    await record(ctx, org, 'organization.branding_updated', { fields: Object.keys(input) });
    sendEntity(ctx, ENTITY, org);
  });

  for (const transition of TRANSITIONS) {
    router.post(`/organizations/:id/${transition.path}`, requirePermission(transition.permission), async (ctx) => {
      const { reason } = transition.path === 'suspend' ? await body(ctx, SuspendBody) : {};
      const current = await load(ctx);
      const { organization, previousStatus } = await transition.run(organizations, current.id);
      await record(ctx, organization, transition.eventType, { previousStatus, status: organization.status, ...(reason ? { reason } : {}) });
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

  router.put('/organizations/:id/two-factor/policy', requirePermission('admin:org:update'), async (ctx) => {
    const { twoFactorPolicy } = await body(ctx, TwoFactorPolicyBody);
    const current = await load(ctx);
    checkIfMatch(ctx, ENTITY, current);
    if (current.isSuperAdmin && !principalOf(ctx).isSuperAdmin) throw superAdminPolicyProtected();
    const org = await organizations.update(current.id, { twoFactorPolicy });
    await record(ctx, org, 'org.2fa.policy_changed', { previousPolicy: current.twoFactorPolicy, newPolicy: twoFactorPolicy });
    ctx.set('ETag', etagOf(ENTITY, org));
    sendData(ctx, twoFactorView(org));
  });
}

/** Spec 20 §3.3: only a super admin changes the super-admin organization's 2FA policy. */
const superAdminPolicyProtected = () =>
  new AppError('forbidden', 'protected_resource', "Only a super admin may change the super-admin organization's 2FA policy.");
