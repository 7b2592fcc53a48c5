import type Router from '@koa/router';
import { z } from 'zod';
import { viaSource } from '../../actors/index.js';
import { isAppError } from '../../platform/errors.js';
import type { User, UserStatusAction } from '../../users/index.js';
import type { AdminDeps } from './deps.js';
import { translateAdminError } from './errors.js';
import { actorOf, body, requirePermission, sendData } from './kit.js';

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

/**
 * Spec 20 §5.9 bulk status changes: every id runs on its own through the single endpoint's use case,
 * with its rules, protections and audit event (source `bulk`); one failure does not stop the others.
 */
export function bulkRoutes(router: Router, deps: AdminDeps): void {
  const { organizations, users } = deps.services;

  // Spec 20 §5.9 names each bulk route's own permission; each item then needs what its single endpoint needs.
  router.post('/bulk/organizations/status', requirePermission('admin:org:update'), async (ctx) => {
    const input = await body(ctx, BulkOrganizationStatus);
    const actor = viaSource(actorOf(ctx), 'bulk');
    sendData(ctx, await runEach(deps, input.ids, async (id) => {
      const change = input.action === 'suspend'
        ? await organizations.suspend(actor, id, { reason: input.reason || undefined })
        : await organizations[input.action](actor, id);
      return { previousStatus: change.previousStatus, newStatus: change.organization.status };
    }));
  });

  router.post('/bulk/users/status', requirePermission('admin:user:suspend'), async (ctx) => {
    const input = await body(ctx, BulkUserStatus);
    const actor = viaSource(actorOf(ctx), 'bulk');
    await organizations.getById(input.organizationId);
    sendData(ctx, await runEach(deps, input.ids, async (id) => {
      const current = await users.getById(input.organizationId, id);
      const action = actionFor(input.action, current);
      // The single endpoints take a reason for suspend and lock only.
      const reason = action === 'suspend' || action === 'lock' ? input.reason || undefined : undefined;
      const user = await users.setStatus(actor, input.organizationId, id, action, { reason });
      return { previousStatus: current.status, newStatus: user.status };
    }));
  });
}

/** Bulk `activate` is reactivate for an inactive user and unsuspend for a suspended one. */
function actionFor(action: z.output<typeof BulkUserStatus>['action'], current: User): UserStatusAction {
  if (action === 'activate') return current.status === 'suspended' ? 'unsuspend' : 'activate';
  return action;
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
