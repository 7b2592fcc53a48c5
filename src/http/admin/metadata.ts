import type Router from '@koa/router';
import { AppError } from '../../platform/errors.js';
import { ADMIN_CLI_CLIENT_ID } from '../../rbac/index.js';
import type { AdminDeps } from './deps.js';

export const notInitialized = () =>
  new AppError('unavailable', 'not_initialized', 'Porta is not initialised yet: run `porta init`.');

/**
 * `GET /api/admin/metadata` (spec 20 §2), unauthenticated and unwrapped: where the CLI logs in.
 * Endpoint paths are those of the engine's discovery document (routes under `/auth`).
 */
export function metadataRoutes(router: Router, { services, config }: AdminDeps): void {
  router.get('/metadata', async (ctx) => {
    const org = await services.organizations.getSuperAdmin();
    const client = await services.clients.findByClientId(org.id, ADMIN_CLI_CLIENT_ID);
    if (!client || client.status !== 'active') throw notInitialized();
    const issuer = `${config.issuerBaseUrl}/${org.slug}`;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      issuer,
      orgSlug: org.slug,
      clientId: client.clientId,
      authorization_endpoint: `${issuer}/auth/authorize`,
      token_endpoint: `${issuer}/auth/token`,
      end_session_endpoint: `${issuer}/auth/session/end`,
    };
  });
}
