import Router from '@koa/router';
import type { Middleware } from 'koa';
import { attachPortal, renderPlainPage, type PortalDeps } from './context.js';
import { registerSignIn } from './sign-in.js';
import { register as registerProfilePages } from './profile-pages.js';
import { register as registerEmailPages } from './email-pages.js';
import { register as registerSecurityPages } from './security-pages.js';
import { register as registerSessionPages } from './session-pages.js';
import { register as registerTwoFactorPages } from './two-factor-pages.js';
import { register as registerPasskeyPages } from './passkey-pages.js';

/**
 * `/{org}/account/…` (spec 70 §2), mounted by the OIDC edge inside the organization's tenant scope with
 * `ctx.path` relative to the organization (`/account/sessions`) and `ctx.state.org` its branded page
 * organization. Each page module adds its routes with `register(router, deps)`.
 */
export function accountPortalRoutes(deps: PortalDeps): Middleware {
  const router = new Router();
  registerSignIn(router, deps);
  registerProfilePages(router, deps);
  registerEmailPages(router, deps);
  registerSecurityPages(router, deps);
  registerSessionPages(router, deps);
  registerTwoFactorPages(router, deps);
  registerPasskeyPages(router, deps);
  const routes = router.routes() as unknown as Middleware;
  return async (ctx, next) => {
    attachPortal(ctx, deps);
    await routes(ctx, async () => {
      if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'POST') return renderPlainPage(ctx, 'error', 'errors.not_found', 404);
      await next();
    });
  };
}
