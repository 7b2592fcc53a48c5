import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { AppError } from '../../platform/errors.js';
import { ADMIN_APPLICATION_SLUG, ADMIN_PERMISSIONS, SUPER_ADMIN_ROLE, adminPermissionsOf, isBuiltInAdminRole } from '../../rbac/index.js';
import { PORTA_VERSION } from '../../version.js';
import type { AdminDeps } from './deps.js';
import type { AdminPrincipal } from './kit.js';

const unauthorized = (message = 'A valid admin access token is required.') => new AppError('unauthorized', 'unauthorized', message);
const forbidden = (message: string) => new AppError('forbidden', 'forbidden', message);

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,2048})\s*$/i;

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Spec 20 §2 checks 1–5: a live access token of the super-admin organization's issuer, for an active
 * user of that organization holding at least one role of the admin application. Route permissions
 * (check 6) are asserted per route. Role and status changes apply on the next request: nothing is cached.
 */
export function adminAuthentication(deps: AdminDeps) {
  const { services } = deps;
  return async function authenticate(ctx: Context, next: Next) {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (!match?.[1]) throw unauthorized('The Authorization header must carry a bearer token.');
    const token = match[1];
    ctx.state.admin = deps.direct && sameSecret(token, deps.direct.token) ? directPrincipal(deps.direct.osUser) : await userPrincipal(token);
    // Authenticated answers only, errors included (spec 30 §2 `porta version`).
    ctx.set('X-Porta-Version', PORTA_VERSION);
    await next();
  };

  async function userPrincipal(token: string): Promise<AdminPrincipal> {
    const org = await services.organizations.getSuperAdmin();
    const provider = await deps.registry.providerFor(org);
    const accessToken = await provider.AccessToken.find(token);
    if (!accessToken || accessToken.isExpired || !accessToken.accountId) throw unauthorized();
    const user = await services.users.findById(org.id, accessToken.accountId);
    if (!user) throw unauthorized();
    if (user.status !== 'active') throw unauthorized('The account is not active.');
    const adminApp = await services.applications.findBySlug(ADMIN_APPLICATION_SLUG);
    const held = adminApp ? (await services.access.accessOf(user.id, adminApp.id)).roles.filter(isBuiltInAdminRole) : [];
    if (held.length === 0) throw forbidden('This account holds no admin role.');
    return {
      kind: 'user',
      userId: user.id,
      email: user.email,
      organizationId: org.id,
      roles: held,
      permissions: adminPermissionsOf(held),
      isSuperAdmin: held.includes(SUPER_ADMIN_ROLE),
    };
  }
}

function directPrincipal(osUser: string): AdminPrincipal {
  return {
    kind: 'direct',
    userId: null,
    email: null,
    organizationId: null,
    roles: [SUPER_ADMIN_ROLE],
    permissions: new Set(ADMIN_PERMISSIONS),
    isSuperAdmin: true,
    osUser,
  };
}
