import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AdminDeps } from './deps.js';
import { actorOf, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';

/**
 * A user's passkeys (spec 70 §1, issue 15 item 4): the list (`user:read`) and removal (`user:2fa`, which
 * the use case checks with the protections of spec 20 §3.3, notifies the user and audits).
 */
export function userPasskeyRoutes(router: Router, deps: AdminDeps): void {
  const { passkeys } = deps.services;
  const base = '/organizations/:orgId/users/:userId/passkeys';

  router.get(base, requirePermission('admin:user:read'), async (ctx: Context) => {
    sendData(ctx, await passkeys.list(uuidParam(ctx, 'orgId'), uuidParam(ctx, 'userId')));
  });

  router.delete(`${base}/:passkeyId`, async (ctx: Context) => {
    await passkeys.remove(actorOf(ctx), uuidParam(ctx, 'orgId'), uuidParam(ctx, 'userId'), uuidParam(ctx, 'passkeyId'));
    sendNoContent(ctx);
  });
}
