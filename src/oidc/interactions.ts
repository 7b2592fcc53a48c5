import Router from '@koa/router';
import type { Context } from 'koa';
import { formBody, isCsrfValid } from '../pages/index.js';
import { deleteExpired } from './adapter-pg.js';
import {
  InteractionFailed,
  finishInteraction,
  interactionOf,
  loadInteraction,
  renderConsentPage,
  renderFailures,
  renderLoginPage,
  saveGrant,
} from './interaction.js';
import { passwordLoginSteps } from './login.js';
import { completeMagicLink, magicLinkRequestSteps, takeMagicLinkHandOff } from './magic-link.js';
import type { ProviderRegistry } from './registry.js';
import { stepUpSession } from './second-factor.js';
import { twoFactorRoutes } from './two-factor-routes.js';
import { passkeyRoutes } from './passkey-routes.js';
import type { OidcDeps } from './types.js';

/** Login and consent pages of one organization's issuer: /{org}/interaction/{uid}… */
export function interactionRoutes(deps: OidcDeps, registry: ProviderRegistry): Router {
  const router = new Router();
  const load = [renderFailures(deps), loadInteraction(deps, registry)];

  /**
   * Spec 10 §9 point 3: each login interaction fires, without awaiting it, the deletion of expired
   * `oidc_payloads` rows (and the hourly mirror clean-up); skipped while one is still running here.
   */
  let isPurging = false;
  const purgeExpiredSoon = () => {
    deps.sessions.purgeOldSoon();
    if (isPurging) return;
    isPurging = true;
    deleteExpired(deps.db, deps.clock)
      .then((deleted) => deleted > 0 && deps.log.debug({ deleted }, 'oidc.expired_purged'))
      .catch((err: unknown) => deps.log.warn({ err }, 'oidc.expired_purge_failed'))
      .finally(() => {
        isPurging = false;
      });
  };

  router.get('/interaction/:uid', renderFailures(deps), takeMagicLinkHandOff(deps), loadInteraction(deps, registry), async (ctx: Context) => {
    const it = interactionOf(ctx);
    if (it.details.prompt.name === 'login') {
      if (ctx.state.magicLink) return completeMagicLink(ctx, deps, it);
      if (await stepUpSession(ctx, deps, it)) return;
      purgeExpiredSoon();
      return renderLoginPage(ctx, deps, it);
    }
    if (it.details.prompt.name !== 'consent') throw new InteractionFailed('errors.generic', 400);
    const porta = it.clientMeta.porta as { require_consent?: boolean } | undefined;
    if (!porta?.require_consent) return finishInteraction(ctx, it, { consent: { grantId: await saveGrant(it) } });
    const user = await deps.users.findById(it.org.id, String(it.details.session?.accountId));
    renderConsentPage(ctx, deps, it, user?.email ?? '');
  });

  router.post('/interaction/:uid/login', ...passwordLoginSteps(deps, registry));

  router.post('/interaction/:uid/magic-link', ...magicLinkRequestSteps(deps, registry));

  twoFactorRoutes(deps, registry, router);
  passkeyRoutes(deps, registry, router);

  router.post('/interaction/:uid/consent/confirm', ...load, async (ctx: Context) => {
    const it = interactionOf(ctx);
    if (!isCsrfValid(ctx, (await formBody(ctx))._csrf)) throw new InteractionFailed('errors.csrf', 400);
    if (it.details.prompt.name !== 'consent') throw new InteractionFailed('errors.generic', 400);
    return finishInteraction(ctx, it, { consent: { grantId: await saveGrant(it) } });
  });

  router.post('/interaction/:uid/abort', ...load, async (ctx: Context) => {
    const it = interactionOf(ctx);
    if (!isCsrfValid(ctx, (await formBody(ctx))._csrf)) throw new InteractionFailed('errors.csrf', 400);
    return finishInteraction(ctx, it, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  });

  return router;
}
