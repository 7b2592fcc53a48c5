import type Router from '@koa/router';
import { z } from 'zod';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';
import { SECRET_WARNING, loadClient } from './clients.js';

/** Spec 20 §5.5: the value is always generated here (48 random bytes); provisioning alone may supply one. */
export const CreateClientSecretBody = z.strictObject({
  label: z.string().trim().min(1).max(255).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** `/api/admin/clients/:id/secrets`: plaintext only in the creating response, never a hash. */
export function clientSecretRoutes(router: Router, deps: AdminDeps): void {
  const { clients } = deps.services;

  router.post('/clients/:id/secrets', async (ctx) => {
    const input = await body(ctx, CreateClientSecretBody);
    const secret = await clients.generateSecret(actorOf(ctx), null, param(ctx, 'id'), input);
    sendData(ctx, secret, { status: 201, warning: SECRET_WARNING });
  });

  router.get('/clients/:id/secrets', requirePermission('admin:client:read'), async (ctx) => {
    const client = await loadClient(ctx, deps);
    sendData(ctx, await clients.listSecrets(client.organizationId, client.id));
  });

  router.post('/clients/:id/secrets/:secretId/revoke', async (ctx) => {
    await clients.revokeSecret(actorOf(ctx), null, param(ctx, 'id'), uuidParam(ctx, 'secretId'));
    sendNoContent(ctx);
  });
}
