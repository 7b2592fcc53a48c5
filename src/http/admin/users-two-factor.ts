import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminDeps } from './deps.js';
import { actorOf, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';

const SHOWN_ONCE = 'Give these recovery codes to the user securely. They will not be shown again; earlier codes no longer work.';

/** Spec 20 §5.6 a user's two-factor status and the admin's disable, reset and recovery-code regeneration. */
export function userTwoFactorRoutes(router: Router, deps: AdminDeps): void {
  const { twoFactor } = deps.services;
  const base = '/organizations/:orgId/users/:userId/two-factor';
  const ids = (ctx: Context) => [uuidParam(ctx, 'orgId'), uuidParam(ctx, 'userId')] as const;

  router.get(`${base}/status`, requirePermission('admin:user:read'), async (ctx) => {
    sendData(ctx, await twoFactor.status(...ids(ctx)));
  });

  router.post(`${base}/disable`, async (ctx) => {
    await twoFactor.disable(actorOf(ctx), ...ids(ctx));
    sendNoContent(ctx);
  });

  router.post(`${base}/reset`, async (ctx) => {
    await twoFactor.reset(actorOf(ctx), ...ids(ctx));
    sendNoContent(ctx);
  });

  router.post(`${base}/recovery-codes/regenerate`, async (ctx) => {
    const issued = await twoFactor.regenerateRecoveryCodes(actorOf(ctx), ...ids(ctx));
    ctx.set('Cache-Control', 'no-store');
    sendData(ctx, issued, { warning: SHOWN_ONCE });
  });
}
