import type Router from '@koa/router';
import { DEFAULT_SIGNING_ALGORITHM, GenerateKeyInput, RotateKeysInput } from '../../keys/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData, sendNoContent } from './kit.js';

/** `/api/admin/keys` (spec 20 §5.8, spec 70 §5; procedure in 50-operations §9). */
export function keyRoutes(router: Router, deps: AdminDeps): void {
  const { keys } = deps.services;

  router.get('/keys', requirePermission('admin:key:read'), async (ctx) => {
    sendData(ctx, await keys.list());
  });

  router.post('/keys/generate', async (ctx) => {
    const input = await body(ctx, GenerateKeyInput);
    const key = await keys.generate(actorOf(ctx), input);
    const message = `Generated ${key.algorithm} signing key ${key.kid}; every server signs ${key.algorithm} tokens with it within 60 s. ` +
      `Older active ${key.algorithm} keys keep verifying until you rotate.`;
    sendData(ctx, { id: key.id, kid: key.kid, algorithm: key.algorithm, message }, { status: 201 });
  });

  router.post('/keys/rotate', async (ctx) => {
    const input = await body(ctx, RotateKeysInput);
    const { algorithms, activeKids, retiredKids } = await keys.rotate(actorOf(ctx), input);
    const signers = algorithms.map((a) => `${a}: ${activeKids[a] ?? 'no key'}`).join(', ');
    const message = retiredKids.length === 0
      ? `Nothing to retire: only one key per algorithm is active (${signers}).`
      : `Retired ${retiredKids.length}: ${retiredKids.join(', ')}; signing now ${signers}.`;
    // `activeKid`: the signer of the algorithm rotated, or of RS256 (the ID token default) when all were.
    const activeKid = activeKids[input.algorithm ?? DEFAULT_SIGNING_ALGORITHM] ?? null;
    sendData(ctx, { algorithms, activeKid, activeKids, retiredCount: retiredKids.length, retiredKids, message });
  });

  router.post('/keys/:idOrKid/revoke', async (ctx) => {
    await keys.revoke(actorOf(ctx), param(ctx, 'idOrKid'));
    sendNoContent(ctx);
  });
}
