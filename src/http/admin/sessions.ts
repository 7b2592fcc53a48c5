import type Router from '@koa/router';
import { ListSessionsQuery } from '../../sessions/index.js';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { audit, param, query, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function sessionIdParam(ctx: Parameters<typeof param>[0]): string {
  const id = param(ctx, 'sessionId');
  if (!SESSION_ID.test(id)) throw new AppError('not_found', 'not_found', 'Session not found.');
  return id;
}

/** Seed 002 / spec 20 §5.7: tracked sessions, listed from the mirror and revoked with the logout cascade. */
export function sessionRoutes(router: Router, deps: AdminDeps): void {
  const { sessions, users } = deps.services;

  router.get('/sessions', requirePermission('admin:session:read'), async (ctx) => {
    ctx.body = await sessions.list(query(ctx, ListSessionsQuery));
  });

  router.get('/sessions/:sessionId', requirePermission('admin:session:read'), async (ctx) => {
    sendData(ctx, await sessions.get(sessionIdParam(ctx)));
  });

  router.delete('/sessions/:sessionId', requirePermission('admin:session:revoke'), async (ctx) => {
    const sessionId = sessionIdParam(ctx);
    const tracked = await sessions.find(sessionId);
    await sessions.revoke(sessionId);
    await audit(ctx, deps, {
      eventType: 'session.revoked',
      eventCategory: 'security',
      targetType: 'session',
      targetId: sessionId,
      organizationId: tracked?.organizationId ?? null,
      userId: tracked?.userId ?? null,
    });
    sendNoContent(ctx);
  });

  router.delete('/users/:userId/sessions', requirePermission('admin:session:revoke'), async (ctx) => {
    const user = await users.getInAnyOrg(uuidParam(ctx, 'userId'));
    const revoked = await sessions.revokeAllForUser(user.id);
    await audit(ctx, deps, {
      eventType: 'user.sessions_revoked',
      eventCategory: 'security',
      targetType: 'user',
      targetId: user.id,
      organizationId: user.organizationId,
      userId: user.id,
      metadata: { revoked },
    });
    ctx.body = { revoked };
  });
}
