import type Router from '@koa/router';
import { AppError } from '../../platform/errors.js';
import type { AdminDeps } from './deps.js';
import { actorOf, sendData } from './kit.js';

/**
 * `GET /api/admin/me`: who the token speaks for, what they hold and may do. The console shows only what
 * these permissions allow; every route still checks its own. Any authenticated caller may ask.
 */
export function meRoutes(router: Router, { services }: AdminDeps): void {
  router.get('/me', async (ctx) => {
    const actor = actorOf(ctx);
    const org = await services.organizations.getSuperAdmin();
    let user = null;
    let roles: string[] = [];
    if (actor.kind === 'admin' && actor.userId) {
      const found = await services.users.findById(org.id, actor.userId);
      if (!found) throw new AppError('unauthorized', 'unauthorized', 'A valid admin access token is required.');
      user = { id: found.id, email: found.email, givenName: found.givenName, familyName: found.familyName };
      roles = (await services.adminAccess.powersOfUser(found)).roles;
    } else if (actor.kind === 'service_account' && actor.clientId) {
      roles = (await services.adminAccess.powersOfClient(actor.clientId)).roles;
    }
    ctx.set('Cache-Control', 'no-store');
    sendData(ctx, {
      user,
      organization: { id: org.id, slug: org.slug },
      roles,
      permissions: [...actor.permissions].sort(),
      actorType: actor.kind,
    });
  });
}
