import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClaimValueInput, CreateClaimInput, UpdateClaimInput } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData, sendNoContent } from './kit.js';

/** `/api/admin/applications/:appId/claims` and users' values (spec 20 §5.4); claims of another application are 404. */
export function rbacClaimRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const claimId = (ctx: Context) => param(ctx, 'claimId');
  const userId = (ctx: Context) => param(ctx, 'userId');

  router.post('/applications/:appId/claims', async (ctx) => {
    const input = await body(ctx, CreateClaimInput);
    sendData(ctx, await rbac.createClaim(actorOf(ctx), app(ctx), input), { status: 201 });
  });

  router.get('/applications/:appId/claims', requirePermission('admin:claim:read'), async (ctx) => {
    sendData(ctx, await rbac.listClaims(app(ctx)));
  });

  router.get('/applications/:appId/claims/users/:userId', requirePermission('admin:claim:read'), async (ctx) => {
    sendData(ctx, await rbac.listUserClaimValues(app(ctx), userId(ctx)));
  });

  router.get('/applications/:appId/claims/:claimId', requirePermission('admin:claim:read'), async (ctx) => {
    sendData(ctx, await rbac.getClaim(app(ctx), claimId(ctx)));
  });

  router.put('/applications/:appId/claims/:claimId', async (ctx) => {
    const input = await body(ctx, UpdateClaimInput);
    sendData(ctx, await rbac.updateClaim(actorOf(ctx), app(ctx), claimId(ctx), input));
  });

  router.delete('/applications/:appId/claims/:claimId', async (ctx) => {
    await rbac.deleteClaim(actorOf(ctx), app(ctx), claimId(ctx));
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/claims/:claimId/users/:userId', requirePermission('admin:claim:read'), async (ctx) => {
    sendData(ctx, await rbac.getClaimValue(app(ctx), claimId(ctx), userId(ctx)));
  });

  router.put('/applications/:appId/claims/:claimId/users/:userId', async (ctx) => {
    const input = await body(ctx, ClaimValueInput);
    sendData(ctx, await rbac.setClaimValue(actorOf(ctx), app(ctx), claimId(ctx), userId(ctx), input));
  });

  router.delete('/applications/:appId/claims/:claimId/users/:userId', async (ctx) => {
    await rbac.deleteClaimValue(actorOf(ctx), app(ctx), claimId(ctx), userId(ctx));
    sendNoContent(ctx);
  });
}
