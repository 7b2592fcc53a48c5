import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, sendData, uuidParam } from './kit.js';

export const PurgeBody = z.strictObject({ confirmPurge: z.boolean().optional() });

const confirmationRequired = () =>
  new AppError('invalid', 'confirmation_required', 'Purging is irreversible: send X-Confirm-Purge: true or {"confirmPurge": true}.');

/** Spec 50 §11 GDPR export and purge of one user (spec 20 §5.6). */
export function userGdprRoutes(router: Router, deps: AdminDeps): void {
  const { gdpr } = deps.services;
  const ids = (ctx: Context) => [uuidParam(ctx, 'orgId'), uuidParam(ctx, 'userId')] as const;

  router.get('/organizations/:orgId/users/:userId/export', async (ctx) => {
    const document = await gdpr.exportData(actorOf(ctx), ...ids(ctx));
    ctx.set('Content-Disposition', `attachment; filename="user-${document.user.id}-export.json"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.body = document;
  });

  router.post('/organizations/:orgId/users/:userId/purge', async (ctx) => {
    const { confirmPurge } = await body(ctx, PurgeBody);
    if (ctx.get('X-Confirm-Purge').trim().toLowerCase() !== 'true' && confirmPurge !== true) throw confirmationRequired();
    sendData(ctx, await gdpr.purge(actorOf(ctx), ...ids(ctx)));
  });
}
