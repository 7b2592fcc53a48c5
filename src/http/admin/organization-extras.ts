import type Router from '@koa/router';
import type { AdminDeps } from './deps.js';
import { param, requirePermission, sendData } from './kit.js';

/** Spec 20 §5.2 `two-factor/summary`: enrolment counts of an organization's users. */
export function organizationExtraRoutes(router: Router, deps: AdminDeps): void {
  router.get('/organizations/:id/two-factor/summary', requirePermission('admin:org:read', 'admin:user:read'), async (ctx) => {
    const org = await deps.services.organizations.getByIdOrSlug(param(ctx, 'id'));
    const summary = await deps.services.users.twoFactorSummary(org.id);
    ctx.set('Cache-Control', 'private, max-age=30');
    sendData(ctx, summary);
  });
}
