import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { audit, body, requirePermission, sendData, uuidParam } from './kit.js';

export const PurgeBody = z.strictObject({ confirmPurge: z.boolean().optional() });

const confirmationRequired = () =>
  new AppError('invalid', 'confirmation_required', 'Purging is irreversible: send X-Confirm-Purge: true or {"confirmPurge": true}.');

/** Spec 50 §11 GDPR export and purge of one user (spec 20 §5.6). */
export function userGdprRoutes(router: Router, deps: AdminDeps): void {
  const { gdpr } = deps.services;
  const ids = (ctx: Context) => ({ orgId: uuidParam(ctx, 'orgId'), userId: uuidParam(ctx, 'userId') });

  router.get('/organizations/:orgId/users/:userId/export', requirePermission('admin:user:read'), async (ctx) => {
    const { orgId, userId } = ids(ctx);
    const document = await gdpr.exportData(orgId, userId);
    await audit(ctx, deps, {
      eventType: 'user.data_exported',
      eventCategory: 'gdpr',
      targetType: 'user',
      targetId: userId,
      organizationId: orgId,
      userId,
      metadata: { roles: document.roles.length, customClaims: document.customClaims.length, auditEntries: document.auditLog.length },
    });
    ctx.set('Content-Disposition', `attachment; filename="user-${userId}-export.json"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 200;
    ctx.body = document;
  });

  router.post('/organizations/:orgId/users/:userId/purge', requirePermission('admin:user:archive'), async (ctx) => {
    const { confirmPurge } = await body(ctx, PurgeBody);
    if (ctx.get('X-Confirm-Purge').trim().toLowerCase() !== 'true' && confirmPurge !== true) throw confirmationRequired();
    const { orgId, userId } = ids(ctx);
    const result = await gdpr.purge(orgId, userId);
    const { anonymizedEmail: _email, ...counts } = result;
    await audit(ctx, deps, {
      eventType: 'user.purged',
      eventCategory: 'gdpr',
      targetType: 'user',
      targetId: userId,
      organizationId: orgId,
      userId,
      metadata: counts,
    });
    sendData(ctx, result);
  });
}
