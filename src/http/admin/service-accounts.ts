import type Router from '@koa/router';
import { CreateServiceAccountInput, ServiceAccountRolesInput } from '../../clients/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';
import { SECRET_WARNING } from './clients.js';
import { CreateClientSecretBody } from './client-secrets.js';

/**
 * `/api/admin/service-accounts` (spec 70 §4): confidential client-credentials clients of the admin
 * organization holding admin roles. Super admins only for every change; `:id` is the UUID or client_id.
 */
export function serviceAccountRoutes(router: Router, deps: AdminDeps): void {
  const accounts = deps.services.clients.serviceAccounts;

  router.post('/service-accounts', async (ctx) => {
    const input = await body(ctx, CreateServiceAccountInput);
    sendData(ctx, await accounts.create(actorOf(ctx), input), { status: 201, warning: SECRET_WARNING });
  });

  router.get('/service-accounts', requirePermission('admin:client:read'), async (ctx) => {
    sendData(ctx, await accounts.list());
  });

  router.get('/service-accounts/:id', requirePermission('admin:client:read'), async (ctx) => {
    sendData(ctx, await accounts.get(param(ctx, 'id')));
  });

  router.put('/service-accounts/:id/roles', async (ctx) => {
    const input = await body(ctx, ServiceAccountRolesInput);
    sendData(ctx, await accounts.setRoles(actorOf(ctx), param(ctx, 'id'), input));
  });

  router.post('/service-accounts/:id/secrets', async (ctx) => {
    const input = await body(ctx, CreateClientSecretBody);
    sendData(ctx, await accounts.generateSecret(actorOf(ctx), param(ctx, 'id'), input), { status: 201, warning: SECRET_WARNING });
  });

  router.get('/service-accounts/:id/secrets', requirePermission('admin:client:read'), async (ctx) => {
    sendData(ctx, await accounts.listSecrets(param(ctx, 'id')));
  });

  router.post('/service-accounts/:id/secrets/:secretId/revoke', async (ctx) => {
    await accounts.revokeSecret(actorOf(ctx), param(ctx, 'id'), uuidParam(ctx, 'secretId'));
    sendNoContent(ctx);
  });

  router.delete('/service-accounts/:id', async (ctx) => {
    await accounts.remove(actorOf(ctx), param(ctx, 'id'));
    sendNoContent(ctx);
  });
}
