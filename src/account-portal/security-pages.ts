import type Router from '@koa/router';
import { formBody } from '../pages/index.js';
import { checkPortalCsrf, isWithinChangeLimit, redirectWithFlash, renderPortalPage, requirePortalUser, requireRecentSignIn, type PortalDeps } from './context.js';
import { portalPath } from './session.js';

/** Messages shown for a refused change, by the use case's reason (users/self-service.ts, users/password-policy.ts). */
const PASSWORD_MESSAGES: Readonly<Record<string, string>> = {
  wrong_password: 'account.password.wrong_current',
  no_password: 'account.password.no_password',
  mismatch: 'common.password.mismatch',
  too_short: 'common.password.too_short',
  too_long: 'common.password.too_long',
  too_common: 'common.password.too_common',
  same_as_email: 'common.password.same_as_email',
  same_as_organization: 'common.password.same_as_organization',
};

/** Password change (spec 70 §2): the current password, the policy, a recent sign-in; other sessions end. */
export function register(router: Router, deps: PortalDeps): void {
  router.get('/account/password', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    await renderPortalPage(ctx, portal, 'account-password', { hasPassword: portal.user.hasPassword });
  });

  router.post('/account/password', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    const base = portalPath(portal.org.slug);
    if (!requireRecentSignIn(ctx, portal, `${base}/password`)) return;
    if (!(await isWithinChangeLimit(ctx, portal))) {
      return renderPortalPage(ctx, portal, 'account-password', { hasPassword: portal.user.hasPassword, flashError: 'account.rate_limited', status: 429 });
    }
    const result = await deps.users.changeOwnPassword(
      portal.actor, portal.org.id,
      { currentPassword: form.current_password ?? '', newPassword: form.new_password ?? '', confirmPassword: form.confirm_password ?? '' },
      portal.engineSessionUid,
    );
    if (!result.ok) {
      return renderPortalPage(ctx, portal, 'account-password', { hasPassword: portal.user.hasPassword, flashError: PASSWORD_MESSAGES[result.reason] ?? 'account.password.failed', status: 400 });
    }
    await redirectWithFlash(ctx, portal, `${base}/password`, 'account.password.changed');
  });
}
