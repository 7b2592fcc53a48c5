import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClaimValueInput, CreateClaimInput, UpdateClaimInput, type ClaimDefinition } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';
import { audit, body, param, requirePermission, sendData, sendNoContent } from './kit.js';

/** `/api/admin/applications/:appId/claims` and users' values (spec 20 §5.4); claims of another application are 404. */
export function rbacClaimRoutes(router: Router, deps: AdminDeps): void {
  const rbac = deps.services.rbac;
  const app = (ctx: Context) => param(ctx, 'appId');
  const claimId = (ctx: Context) => param(ctx, 'claimId');
  const userId = (ctx: Context) => param(ctx, 'userId');
  const record = (ctx: Context, claim: ClaimDefinition, eventType: string, metadata: Record<string, unknown> = {}, user?: string) =>
    audit(ctx, deps, {
      eventType,
      targetType: 'claim',
      targetId: claim.id,
      userId: user,
      // Values are user data and stay out of the audit trail.
      metadata: { applicationId: claim.applicationId, claimName: claim.claimName, ...metadata },
    });

  router.post('/applications/:appId/claims', requirePermission('admin:claim:create'), async (ctx) => {
    const input = await body(ctx, CreateClaimInput);
    const claim = await rbac.createClaim(app(ctx), input);
    await record(ctx, claim, 'claim.created', { claimType: claim.claimType });
    sendData(ctx, claim, { status: 201 });
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

  router.put('/applications/:appId/claims/:claimId', requirePermission('admin:claim:update'), async (ctx) => {
    const input = await body(ctx, UpdateClaimInput);
    const { claim } = await rbac.updateClaim(app(ctx), claimId(ctx), input);
    await record(ctx, claim, 'claim.updated', { fields: Object.keys(input) });
    sendData(ctx, claim);
  });

  router.delete('/applications/:appId/claims/:claimId', requirePermission('admin:claim:archive'), async (ctx) => {
    const claim = await rbac.deleteClaim(app(ctx), claimId(ctx));
    await record(ctx, claim, 'claim.deleted');
    sendNoContent(ctx);
  });

  router.get('/applications/:appId/claims/:claimId/users/:userId', requirePermission('admin:claim:read'), async (ctx) => {
    sendData(ctx, await rbac.getClaimValue(app(ctx), claimId(ctx), userId(ctx)));
  });

  router.put('/applications/:appId/claims/:claimId/users/:userId', requirePermission('admin:claim:update'), async (ctx) => {
    const input = await body(ctx, ClaimValueInput);
    const { value, claim } = await rbac.setClaimValue(app(ctx), claimId(ctx), userId(ctx), input);
    await record(ctx, claim, 'claim.value_set', {}, value.userId);
    sendData(ctx, value);
  });

  router.delete('/applications/:appId/claims/:claimId/users/:userId', requirePermission('admin:claim:update'), async (ctx) => {
    const claim = await rbac.deleteClaimValue(app(ctx), claimId(ctx), userId(ctx));
    await record(ctx, claim, 'claim.value_deleted', {}, userId(ctx));
    sendNoContent(ctx);
  });
}
