import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { HistoryQuery } from '../../audit/index.js';
import { AppError } from '../../platform/errors.js';
import {
  CreateUserInput,
  UserPassword,
  UserSortBy,
  UserStatus,
  superAdminProtected,
  type User,
  type UserService,
} from '../../users/index.js';
import { cursorQuery, cursorWindow, isCursorQuery, sendCursorPage } from './cursor.js';
import type { AdminDeps } from './deps.js';
import {
  audit,
  body,
  checkIfMatch,
  listQuery,
  principalOf,
  query,
  requirePermission,
  sendEntity,
  sendNoContent,
  sendPage,
  uuidParam,
} from './kit.js';

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

interface Transition {
  path: string;
  eventType: string;
  /** Spec 20 §3.3: never applied to the super-admin user. */
  isProtected: boolean;
  hasReason: boolean;
  run(users: UserService, user: User, reason: string | undefined): Promise<User>;
}

const REACTIVATE: Transition = {
  path: 'reactivate', eventType: 'user.reactivated', isProtected: false, hasReason: false, run: (s, u) => s.activate(u.organizationId, u.id),
};

/** Spec 20 §5.6 status changes (204; anything but the listed source status is 409 `invalid_transition`). */
const TRANSITIONS: readonly Transition[] = [
  { path: 'deactivate', eventType: 'user.deactivated', isProtected: true, hasReason: false, run: (s, u) => s.deactivate(u.organizationId, u.id) },
  REACTIVATE,
  { path: 'suspend', eventType: 'user.suspended', isProtected: true, hasReason: true, run: (s, u) => s.suspend(u.organizationId, u.id) },
  { path: 'unsuspend', eventType: 'user.unsuspended', isProtected: false, hasReason: false, run: (s, u) => s.unsuspend(u.organizationId, u.id) },
  { path: 'lock', eventType: 'user.locked', isProtected: true, hasReason: true, run: (s, u, reason) => s.lock(u.organizationId, u.id, reason) },
  { path: 'unlock', eventType: 'user.unlocked', isProtected: false, hasReason: false, run: (s, u) => s.unlock(u.organizationId, u.id) },
];

/** `/api/admin/users/:userId/activate` is another name for reactivate. */
const ACTIVATE_ALIAS: Transition = { ...REACTIVATE, path: 'activate' };

type Resolve = (ctx: Context) => Promise<User>;

/** `/api/admin/organizations/:orgId/users` and the org-less `/api/admin/users/:userId/…` aliases (spec 20 §5.6). */
export function userRoutes(router: Router, deps: AdminDeps): void {
  const { users, organizations, gdpr } = deps.services;
  const inOrg: Resolve = (ctx) => users.getById(uuidParam(ctx, 'orgId'), uuidParam(ctx, 'userId'));
  const anyOrg: Resolve = (ctx) => users.getInAnyOrg(uuidParam(ctx, 'userId'));
  const record = (ctx: Context, user: User, eventType: string, metadata?: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: ENTITY, targetId: user.id, organizationId: user.organizationId, userId: user.id, metadata });

  async function assertNotProtected(user: User, action: string): Promise<void> {
    if (await gdpr.isSuperAdminUser(user.id)) throw superAdminProtected(`The super-admin user cannot be ${action}.`);
  }

  /** Spec 20 §3.3: the super-admin user's password and profile change only by itself or a super admin. */
  async function assertMayEdit(ctx: Context, user: User): Promise<void> {
    const principal = principalOf(ctx);
    if (principal.isSuperAdmin || principal.userId === user.id) return;
    if (await gdpr.isSuperAdminUser(user.id)) {
      throw superAdminProtected("Only the super-admin user itself or a super admin may change this user's password or profile.");
    }
  }

  router.post('/organizations/:orgId/users', requirePermission('admin:user:create'), async (ctx) => {
    const org = await organizations.getById(uuidParam(ctx, 'orgId'));
    const input = await body(ctx, CreateUserInput);
    const user = await users.create(org.id, input);
    await record(ctx, user, 'user.created', { hasPassword: user.hasPassword, status: user.status });
    sendEntity(ctx, ENTITY, user, 201);
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

  for (const [base, resolve, extra] of [
    ['/organizations/:orgId/users/:userId', inOrg, []],
    ['/users/:userId', anyOrg, [ACTIVATE_ALIAS]],
  ] as const) {
    router.get(base, requirePermission('admin:user:read'), async (ctx) => {
      sendEntity(ctx, ENTITY, await resolve(ctx));
    });

    router.put(base, requirePermission('admin:user:update'), async (ctx) => {
      const { email, ...patch } = await body(ctx, UpdateUserBody);
      const current = await resolve(ctx);
      checkIfMatch(ctx, ENTITY, current);
      if (email !== undefined && (typeof email !== 'string' || email.trim().toLowerCase() !== current.email.toLowerCase())) {
        throw emailImmutable();
      }
      await assertMayEdit(ctx, current);
      const user = await users.update(current.organizationId, current.id, patch);
      await record(ctx, user, 'user.updated', { fields: Object.keys(patch) });
      sendEntity(ctx, ENTITY, user);
    });

    for (const transition of [...TRANSITIONS, ...extra]) {
      router.post(`${base}/${transition.path}`, requirePermission('admin:user:suspend'), async (ctx) => {
        const { reason } = transition.hasReason ? await body(ctx, ReasonBody) : {};
        const current = await resolve(ctx);
        if (transition.isProtected) await assertNotProtected(current, transition.eventType.slice('user.'.length));
        const user = await transition.run(users, current, reason);
        // Issue 5: a user who may no longer sign in loses every live session, with its tokens.
        if (user.status !== 'active') await deps.services.sessions.revokeAllForUser(user.id);
        const lock = transition.path === 'lock' ? { trigger: 'admin', reason: user.lockedReason } : reason ? { reason } : {};
        await record(ctx, user, transition.eventType, { previousStatus: current.status, status: user.status, ...lock });
        sendNoContent(ctx);
      });
    }

    router.post(`${base}/password`, requirePermission('admin:user:update'), async (ctx) => {
      const { password } = await body(ctx, PasswordBody);
      const current = await resolve(ctx);
      await assertMayEdit(ctx, current);
      const user = await users.setPassword(current.organizationId, current.id, password);
      await record(ctx, user, 'user.password_set');
      sendNoContent(ctx);
    });

    router.delete(`${base}/password`, requirePermission('admin:user:update'), async (ctx) => {
      const current = await resolve(ctx);
      await assertMayEdit(ctx, current);
      const user = await users.clearPassword(current.organizationId, current.id);
      await record(ctx, user, 'user.password_cleared');
      sendNoContent(ctx);
    });

    router.post(`${base}/verify-email`, requirePermission('admin:user:update'), async (ctx) => {
      const current = await resolve(ctx);
      const user = await users.verifyEmail(current.organizationId, current.id);
      await record(ctx, user, 'user.email_verified', { previouslyVerified: current.emailVerified });
      sendNoContent(ctx);
    });

    router.get(`${base}/history`, requirePermission('admin:user:read'), async (ctx) => {
      const params = query(ctx, HistoryQuery);
      const user = await resolve(ctx);
      ctx.body = await deps.services.audit.history(ENTITY, user.id, params);
    });
  }
}

const emailImmutable = () =>
  new AppError('invalid', 'validation_failed', 'The e-mail address cannot be changed.', [
    { path: 'email', message: 'The e-mail address is immutable.' },
  ]);
