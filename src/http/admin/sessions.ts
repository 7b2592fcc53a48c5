import type Router from '@koa/router';
import { ListSessionsQuery } from '../../sessions/index.js';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { actorOf, param, query, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';

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

  router.delete('/sessions/:sessionId', async (ctx) => {
    await sessions.revokeTracked(actorOf(ctx), sessionIdParam(ctx));
    sendNoContent(ctx);
  });

  router.delete('/users/:userId/sessions', async (ctx) => {
    const ended = await users.endSessions(actorOf(ctx), null, uuidParam(ctx, 'userId'));
    ctx.body = { revoked: ended.sessions };
  });
}
