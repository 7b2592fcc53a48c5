import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { OrganizationStatus } from '../../organizations/index.js';
import { AppError, isAppError } from '../../platform/errors.js';
import type { User } from '../../users/index.js';
import type { AdminDeps } from './deps.js';
import { translateAdminError } from './errors.js';
import { assertPermissions, audit, body, principalOf, requirePermission, sendData } from './kit.js';

const ids = z.array(z.uuid()).min(1).max(100);
const reason = z.string().trim().max(500).optional();

export const BulkOrganizationStatus = z.strictObject({
  ids,
  action: z.enum(['activate', 'suspend', 'archive']),
  reason,
});

export const BulkUserStatus = z.strictObject({
  ids,
  action: z.enum(['activate', 'deactivate', 'suspend', 'lock', 'unlock']),
  reason,
  organizationId: z.uuid(),
});

export interface BulkItemResult {
  id: string;
  success: boolean;
  error?: string;
  previousStatus?: string;
  newStatus?: string;
}

const ORGANIZATION_EVENTS = { activate: 'organization.activated', suspend: 'organization.suspended', archive: 'organization.archived' } as const;

/** The single user endpoint each bulk action stands for, with its audit event (spec 20 §5.6). */
const USER_STEPS = {
  reactivate: 'user.reactivated',
  unsuspend: 'user.unsuspended',
  deactivate: 'user.deactivated',
  suspend: 'user.suspended',
  lock: 'user.locked',
  unlock: 'user.unlocked',
} as const;
type UserStep = keyof typeof USER_STEPS;

/** Spec 20 §3.3: the super-admin user is never deactivated, suspended or locked. */
const PROTECTED_USER_STEPS: ReadonlySet<UserStep> = new Set(['deactivate', 'suspend', 'lock']);

const protectedResource = (message: string) => new AppError('forbidden', 'protected_resource', message);
const notFound = () => new AppError('not_found', 'not_found', 'Not found.');

/**
 * Spec 20 §5.9 bulk status changes: every id runs on its own through the same service call, protections
 * and audit entry as the single endpoint; one failure does not stop the others.
 */
export function bulkRoutes(router: Router, deps: AdminDeps): void {
  const { services } = deps;

  router.post('/bulk/organizations/status', requirePermission('admin:org:update'), async (ctx) => {
    const input = await body(ctx, BulkOrganizationStatus);
    assertPermissions(principalOf(ctx), [input.action === 'archive' ? 'admin:org:archive' : 'admin:org:suspend']);
    sendData(ctx, await runEach(deps, input.ids, async (id) => {
      const current = await services.organizations.findById(id);
      if (!current) throw notFound();
      if (current.isSuperAdmin) throw protectedResource('The super-admin organization is never bulk-changed.');
      const change = await services.organizations[input.action](id);
      const newStatus: OrganizationStatus = change.organization.status;
      await audit(ctx, deps, {
        eventType: ORGANIZATION_EVENTS[input.action],
        targetType: 'organization',
        targetId: id,
        organizationId: id,
        metadata: { previousStatus: change.previousStatus, status: newStatus, ...(input.action === 'suspend' && input.reason ? { reason: input.reason } : {}), bulk: true },
      });
      return { previousStatus: change.previousStatus, newStatus };
    }));
  });

  router.post('/bulk/users/status', requirePermission('admin:user:suspend'), async (ctx) => {
    const input = await body(ctx, BulkUserStatus);
    const org = await services.organizations.getById(input.organizationId);
    sendData(ctx, await runEach(deps, input.ids, async (id) => {
      const current = await services.users.getById(org.id, id);
      const step = userStep(input.action, current);
      if (PROTECTED_USER_STEPS.has(step) && (await services.gdpr.isSuperAdminUser(id))) {
        throw protectedResource('The super-admin user cannot be deactivated, suspended or locked.');
      }
      const updated = await applyUserStep(deps, org.id, id, step, input.reason);
      if (updated.status !== 'active') await deps.services.sessions.revokeAllForUser(updated.id);
      await userAudit(ctx, deps, updated, step, current.status, input.reason);
      return { previousStatus: current.status, newStatus: updated.status };
    }));
  });
}

/** `activate` is the reactivate endpoint for an inactive user and unsuspend for a suspended one. */
function userStep(action: z.output<typeof BulkUserStatus>['action'], current: User): UserStep {
  if (action === 'activate') return current.status === 'suspended' ? 'unsuspend' : 'reactivate';
  return action;
}

function applyUserStep({ services }: AdminDeps, orgId: string, id: string, step: UserStep, reason: string | undefined): Promise<User> {
  switch (step) {
    case 'reactivate': return services.users.activate(orgId, id);
    case 'unsuspend': return services.users.unsuspend(orgId, id);
    case 'deactivate': return services.users.deactivate(orgId, id);
    case 'suspend': return services.users.suspend(orgId, id);
    case 'lock': return services.users.lock(orgId, id, reason);
    case 'unlock': return services.users.unlock(orgId, id);
  }
}

/** The single endpoints' metadata: a lock records its trigger and reason, a suspension its reason. */
async function userAudit(ctx: Context, deps: AdminDeps, user: User, step: UserStep, previousStatus: string, reason: string | undefined): Promise<void> {
  const detail = step === 'lock' ? { trigger: 'admin', reason: user.lockedReason } : step === 'suspend' && reason ? { reason } : {};
  await audit(ctx, deps, {
    eventType: USER_STEPS[step],
    targetType: 'user',
    targetId: user.id,
    organizationId: user.organizationId,
    userId: user.id,
    metadata: { previousStatus, status: user.status, ...detail, bulk: true },
  });
}

/** Runs each id in order; a domain refusal becomes that item's error code in the admin vocabulary. */
async function runEach(
  deps: AdminDeps,
  itemIds: readonly string[],
  fn: (id: string) => Promise<{ previousStatus: string; newStatus: string }>,
): Promise<{ total: number; succeeded: number; failed: number; results: BulkItemResult[] }> {
  const results: BulkItemResult[] = [];
  for (const id of itemIds) {
    try {
      results.push({ id, success: true, ...(await fn(id)) });
    } catch (err) {
      if (!isAppError(err)) deps.log.error({ err, id }, 'admin.bulk_item_failed');
      results.push({ id, success: false, error: isAppError(err) ? translateAdminError(err).code : 'internal_error' });
    }
  }
  const succeeded = results.filter((r) => r.success).length;
  return { total: results.length, succeeded, failed: results.length - succeeded, results };
}
