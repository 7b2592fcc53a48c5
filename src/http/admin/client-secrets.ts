import type Router from '@koa/router';
import { z } from 'zod';
import type { AdminDeps } from './deps.js';
import { audit, body, requirePermission, sendData, sendNoContent, uuidParam } from './kit.js';
import { SECRET_WARNING, loadClient } from './clients.js';

/** Spec 20 §5.5: the value is always generated here (48 random bytes); provisioning alone may supply one. */
export const CreateClientSecretBody = z.strictObject({
  label: z.string().trim().min(1).max(255).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** `/api/admin/clients/:id/secrets`: plaintext only in the creating response, never a hash. */
export function clientSecretRoutes(router: Router, deps: AdminDeps): void {
  const { clients } = deps.services;

  router.post('/clients/:id/secrets', requirePermission('admin:client:update'), async (ctx) => {
    const input = await body(ctx, CreateClientSecretBody);
    const client = await loadClient(ctx, deps);
    const secret = await clients.generateSecret(client.organizationId, client.id, input);
    await audit(ctx, deps, {
      eventType: 'client.secret.generated',
      targetType: 'client',
      targetId: client.id,
      organizationId: client.organizationId,
      metadata: { secretId: secret.id, label: secret.label, expiresAt: secret.expiresAt },
    });
    sendData(ctx, secret, { status: 201, warning: SECRET_WARNING });
  });

  router.get('/clients/:id/secrets', requirePermission('admin:client:read'), async (ctx) => {
    const client = await loadClient(ctx, deps);
    sendData(ctx, await clients.listSecrets(client.organizationId, client.id));
  });

  router.post('/clients/:id/secrets/:secretId/revoke', requirePermission('admin:client:revoke'), async (ctx) => {
    const client = await loadClient(ctx, deps);
    const secretId = uuidParam(ctx, 'secretId');
    await clients.revokeSecret(client.organizationId, client.id, secretId);
    await audit(ctx, deps, {
      eventType: 'client.secret.revoked',
      targetType: 'client',
      targetId: client.id,
      organizationId: client.organizationId,
      metadata: { secretId },
    });
    sendNoContent(ctx);
  });
}
