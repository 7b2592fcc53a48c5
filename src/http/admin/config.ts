import type Router from '@koa/router';
import { z } from 'zod';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData } from './kit.js';

/** The value as text parsed per the key's type, or already typed (spec 20 §5.8). */
export const ConfigValueBody = z.strictObject({ value: z.json() });

/** `/api/admin/config` (spec 20 §5.8): sensitive values read `"***"`; read-only keys are 403 `protected_resource`. */
export function configRoutes(router: Router, deps: AdminDeps): void {
  const { systemConfig } = deps.services;

  router.get('/config', requirePermission('admin:config:read'), async (ctx) => {
    const entries = await systemConfig.list();
    sendData(ctx, [...entries].sort((a, b) => a.key.localeCompare(b.key)));
  });

  router.get('/config/:key', requirePermission('admin:config:read'), async (ctx) => {
    sendData(ctx, await systemConfig.getEntry(param(ctx, 'key')));
  });

  router.put('/config/:key', async (ctx) => {
    const { value } = await body(ctx, ConfigValueBody);
    const { entry } = await systemConfig.set(actorOf(ctx), param(ctx, 'key'), value);
    sendData(ctx, entry);
  });
}
