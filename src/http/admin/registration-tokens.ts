import type Router from '@koa/router';
import { CreateRegistrationTokenInput, ListRegistrationTokensQuery } from '../../registration/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, query, requirePermission, sendData, sendNoContent, sendPage } from './kit.js';

export const TOKEN_WARNING = 'Store the token securely. It will not be shown again.';
export const CreateRegistrationTokenBody = CreateRegistrationTokenInput;
export const ListRegistrationTokensParams = ListRegistrationTokensQuery;

/**
 * `/api/admin/organizations/:id/registration-tokens` (spec 70 §5): initial access tokens for dynamic
 * client registration. A token lets its holder create clients of one application, so it takes the client
 * permissions: `client:create` to make one, `client:read` to list, `client:revoke` to revoke.
 */
export function registrationTokenRoutes(router: Router, deps: AdminDeps): void {
  const { registration } = deps.services;

  router.post('/organizations/:id/registration-tokens', async (ctx) => {
    const input = await body(ctx, CreateRegistrationTokenBody);
    const created = await registration.createToken(actorOf(ctx), param(ctx, 'id'), input);
    sendData(ctx, created, { status: 201, warning: TOKEN_WARNING });
  });

  router.get('/organizations/:id/registration-tokens', requirePermission('admin:client:read'), async (ctx) => {
    const q = query(ctx, ListRegistrationTokensParams);
    sendPage(ctx, await registration.listTokens(param(ctx, 'id'), q), q);
  });

  router.delete('/organizations/:id/registration-tokens/:tokenId', async (ctx) => {
    await registration.revokeToken(actorOf(ctx), param(ctx, 'id'), param(ctx, 'tokenId'));
    sendNoContent(ctx);
  });
}
