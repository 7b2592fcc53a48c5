import type Router from '@koa/router';
import type { AdminDeps } from './deps.js';
import { actorOf, param, requirePermission, sendData, sendNoContent } from './kit.js';

/** `/api/admin/keys` (spec 20 §5.8; procedure in 50-operations §9). */
export function keyRoutes(router: Router, deps: AdminDeps): void {
  const { keys } = deps.services;

  router.get('/keys', requirePermission('admin:key:read'), async (ctx) => {
    sendData(ctx, await keys.list());
  });

  router.post('/keys/generate', async (ctx) => {
    const key = await keys.generate(actorOf(ctx));
    const message = `Generated signing key ${key.kid}; every server signs with it within 60 s. Older active keys keep verifying until you rotate.`;
    sendData(ctx, { id: key.id, kid: key.kid, message }, { status: 201 });
  });

  router.post('/keys/rotate', async (ctx) => {
    const { activeKid, retiredKids } = await keys.rotate(actorOf(ctx));
    const message = retiredKids.length === 0
      ? 'Nothing to retire: only one key is active.'
      : `Retired ${retiredKids.length}: ${retiredKids.join(', ')}; ${activeKid ?? 'no key'} signs.`;
    sendData(ctx, { activeKid, retiredCount: retiredKids.length, retiredKids, message });
  });

  router.post('/keys/:idOrKid/revoke', async (ctx) => {
    await keys.revoke(actorOf(ctx), param(ctx, 'idOrKid'));
    sendNoContent(ctx);
  });
}
