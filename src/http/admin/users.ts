import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import { CreateUserInput, InviteUserInput, PreviewInvitationInput, UserPassword, UserSortBy, UserStatus, type UserStatusAction } from '../../users/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, checkIfMatch, listQuery, query, requirePermission, sendData, sendEntity, sendNoContent, sendPage, uuidParam } from './kit.js';

const ENTITY = 'user';

const LIST_SORTS = UserSortBy.options as [UserSortBy, ...UserSortBy[]];
const LIST_FILTERS = {
  status: UserStatus.optional(),
  search: z.string().trim().max(255).optional(),
};
export const ListUsersParams = listQuery(LIST_SORTS, LIST_FILTERS);
export const UserCursorParams = cursorQuery(LIST_SORTS, LIST_FILTERS);
/** Profile fields; `email` may be sent back unchanged but never changed (spec 20 §5.6). */
export const UpdateUserBody = z.looseObject({ email: z.unknown().optional() });
export const ReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export const PasswordBody = z.strictObject({ password: UserPassword });

/** Spec 20 §5.6 status routes and the action each one is; `activate` is another name for reactivate. */
const STATUS_ROUTES: ReadonlyArray<{ path: string; action: UserStatusAction; hasReason: boolean }> = [
  { path: 'deactivate', action: 'deactivate', hasReason: false },
  { path: 'reactivate', action: 'activate', hasReason: false },
  { path: 'suspend', action: 'suspend', hasReason: true },
  { path: 'unsuspend', action: 'unsuspend', hasReason: false },
  { path: 'lock', action: 'lock', hasReason: true },
  { path: 'unlock', action: 'unlock', hasReason: false },
];

/** `/api/admin/organizations/:orgId/users` and the org-less `/api/admin/users/:userId/…` aliases (spec 20 §5.6). */
export function userRoutes(router: Router, deps: AdminDeps): void {
  const { users, organizations } = deps.services;

  router.post('/organizations/:orgId/users', async (ctx) => {
    const input = await body(ctx, CreateUserInput);
    sendEntity(ctx, ENTITY, await users.create(actorOf(ctx), uuidParam(ctx, 'orgId'), input), 201);
  });

  // Spec 20 §5.6: 201 when the user was created, 200 when an existing one was invited again.
  router.post('/organizations/:orgId/users/invite', async (ctx) => {
    const input = await body(ctx, InviteUserInput);
    const result = await users.invite(actorOf(ctx), uuidParam(ctx, 'orgId'), input);
    sendData(ctx, result, { status: result.created ? 201 : 200 });
  });

  // A read (nothing stored, sent or audited), authorized by the use case like the invitation itself.
  router.post('/organizations/:orgId/users/invite/preview', async (ctx) => {
    const input = await body(ctx, PreviewInvitationInput);
    sendData(ctx, await users.previewInvitation(actorOf(ctx), uuidParam(ctx, 'orgId'), input));
  });

  router.get('/organizations/:orgId/users', requirePermission('admin:user:read'), async (ctx) => {
    if (isCursorQuery(ctx)) {
      const c = query(ctx, UserCursorParams);
      const org = await organizations.getById(uuidParam(ctx, 'orgId'));
      const window = cursorWindow(c);
      sendCursorPage(ctx, await users.listKeyset(org.id, c, window), c, window);
      return;
    }
    const q = query(ctx, ListUsersParams);
    const org = await organizations.getById(uuidParam(ctx, 'orgId'));
    sendPage(ctx, await users.list(org.id, q), q);
  });

  // The org-less aliases address the user in whatever organization it is (orgId null).
  for (const [base, orgOf, aliases] of [
    ['/organizations/:orgId/users/:userId', (ctx: Context) => uuidParam(ctx, 'orgId'), []],
    ['/users/:userId', () => null, [{ path: 'activate', action: 'activate', hasReason: false }]],
  ] as const) {
    const ids = (ctx: Context) => [orgOf(ctx), uuidParam(ctx, 'userId')] as const;

    router.get(base, requirePermission('admin:user:read'), async (ctx) => {
      const [orgId, userId] = ids(ctx);
      sendEntity(ctx, ENTITY, orgId === null ? await users.getInAnyOrg(userId) : await users.getById(orgId, userId));
    });

    router.put(base, async (ctx) => {
      const patch = await body(ctx, UpdateUserBody);
      const user = await users.update(actorOf(ctx), ...ids(ctx), patch, (current) => checkIfMatch(ctx, ENTITY, current));
      sendEntity(ctx, ENTITY, user);
    });

    for (const route of [...STATUS_ROUTES, ...aliases]) {
      router.post(`${base}/${route.path}`, async (ctx) => {
        const input = route.hasReason ? await body(ctx, ReasonBody) : {};
        await users.setStatus(actorOf(ctx), ...ids(ctx), route.action, input);
        sendNoContent(ctx);
      });
    }

    router.post(`${base}/password`, async (ctx) => {
      const { password } = await body(ctx, PasswordBody);
      await users.setPassword(actorOf(ctx), ...ids(ctx), password);
      sendNoContent(ctx);
    });

    router.delete(`${base}/password`, async (ctx) => {
      await users.clearPassword(actorOf(ctx), ...ids(ctx));
      sendNoContent(ctx);
    });

    router.post(`${base}/verify-email`, async (ctx) => {
      await users.verifyEmail(actorOf(ctx), ...ids(ctx));
      sendNoContent(ctx);
    });

    router.get(`${base}/history`, requirePermission('admin:user:read'), async (ctx) => {
      const params = query(ctx, HistoryQuery);
      const [orgId, userId] = ids(ctx);
      const user = orgId === null ? await users.getInAnyOrg(userId) : await users.getById(orgId, userId);
      ctx.body = await deps.services.audit.history(ENTITY, user.id, params);
    });
  }
}
