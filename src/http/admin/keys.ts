import type Router from '@koa/router';
import type { Context } from 'koa';
import type { SigningKey } from '../../keys/index.js';
import type { AdminDeps } from './deps.js';
import { audit, param, requirePermission, sendData, sendNoContent } from './kit.js';

const ENTITY = 'signing_key';

/** `/api/admin/keys` (spec 20 §5.8; procedure in 50-operations §9). */
export function keyRoutes(router: Router, deps: AdminDeps): void {
  const { keys } = deps.services;
  const record = (ctx: Context, key: Pick<SigningKey, 'id' | 'kid'> | null, eventType: string, metadata: Record<string, unknown>) =>
    audit(ctx, deps, { eventType, targetType: ENTITY, targetId: key?.id ?? null, metadata });

  router.get('/keys', requirePermission('admin:key:read'), async (ctx) => {
    sendData(ctx, await keys.list());
  });

  router.post('/keys/generate', requirePermission('admin:key:generate'), async (ctx) => {
    const key = await keys.generate();
    await record(ctx, key, 'signing_key.generated', { kid: key.kid });
    const message = `Generated signing key ${key.kid}; every server signs with it within 60 s. Older active keys keep verifying until you rotate.`;
    sendData(ctx, { id: key.id, kid: key.kid, message }, { status: 201 });
  });

  router.post('/keys/rotate', requirePermission('admin:key:rotate'), async (ctx) => {
    const retiredKids = await keys.rotate();
    const active = (await keys.list()).find((k) => k.status === 'active') ?? null;
    await record(ctx, active, 'signing_key.rotated', { activeKid: active?.kid ?? null, retiredKids });
    const message = retiredKids.length === 0
      ? 'Nothing to retire: only one key is active.'
      : `Retired ${retiredKids.length}: ${retiredKids.join(', ')}; ${active?.kid ?? 'no key'} signs.`;
    sendData(ctx, { activeKid: active?.kid ?? null, retiredCount: retiredKids.length, retiredKids, message });
  });

  router.post('/keys/:idOrKid/revoke', requirePermission('admin:key:rotate'), async (ctx) => {
    const key = await keys.revoke(param(ctx, 'idOrKid'));
    await record(ctx, key, 'signing_key.revoked', { kid: key.kid });
    sendNoContent(ctx);
  });
}
