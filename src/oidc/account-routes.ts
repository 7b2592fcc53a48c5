import Router from '@koa/router';
import { invitationRoutes, passwordResetRoutes } from './account-pages.js';
import { magicLinkLandingRoutes } from './magic-link.js';
import type { ProviderRegistry } from './registry.js';
import type { OidcDeps } from './types.js';

/** Porta's account pages of one organization (spec 60 §3, §5, §6): `/{org}/auth/…` outside the engine. */
export function accountRoutes(deps: OidcDeps, registry: ProviderRegistry): Router {
  const router = new Router();
  const reset = passwordResetRoutes(deps, registry);
  router.use(reset.routes());
  router.use(magicLinkLandingRoutes(deps).routes());
  router.use(invitationRoutes(deps).routes());
  return router;
}
