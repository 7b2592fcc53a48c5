import { createHash, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type Koa from 'koa';
import { ACCOUNT_PORTAL_CLIENT_ID, accountPortalUrl } from '../clients/index.js';
import { formBody } from '../pages/index.js';
import { AppError } from '../platform/errors.js';
import { hasUsableSessions } from '../users/index.js';
import {
  RECENT_SIGN_IN_SECONDS, anonymousLocale, checkPortalCsrf, orgOf, renderDisabled, renderPlainPage, requirePortalUser, safeReturnTo, type PortalDeps,
} from './context.js';
import { portalPath } from './session.js';

/** A few seconds of clock difference between this process and the one that signed the user in. */
const CLOCK_SKEW_SECONDS = 30;

/**
 * Signing in to the portal is a real OIDC sign-in at the organization's own issuer with the built-in
 * public client `porta-account` (code + PKCE S256, state bound to the browser by a cookie, nonce), so the
 * engine's session, the sign-in methods and the two-factor policy apply as for any application.
 */
export function registerSignIn(router: Router, deps: PortalDeps): void {
  router.get('/account/sign-in', async (ctx) => {
    const org = orgOf(ctx);
    if (!org.accountPortalEnabled) return renderDisabled(ctx);
    const maxAge = ctx.query.max_age === String(RECENT_SIGN_IN_SECONDS) ? RECENT_SIGN_IN_SECONDS : null;
    const codeVerifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const state = await deps.portalSessions.beginSignIn(ctx, org.id, org.slug, { codeVerifier, nonce, returnTo: safeReturnTo(org, ctx.query.return_to), maxAge });
    const issuer = `${deps.config.issuerBaseUrl.replace(/\/+$/, '')}/${org.slug}`;
    const query = new URLSearchParams({
      client_id: ACCOUNT_PORTAL_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: callbackUrl(deps, org.slug),
      state,
      nonce,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      ui_locales: anonymousLocale(deps, ctx, org),
    });
    if (maxAge !== null) query.set('max_age', String(maxAge));
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`${issuer}/auth/authorize?${query.toString()}`);
  });

  router.get('/account/callback', async (ctx) => {
    const org = orgOf(ctx);
    if (!org.accountPortalEnabled) return renderDisabled(ctx);
    const pending = await deps.portalSessions.finishSignIn(ctx, org.id, org.slug, ctx.query.state);
    const code = ctx.query.code;
    if (!pending || typeof code !== 'string' || code.length > 512) return signInFailed(ctx);
    const signIn = await deps.redeemCode(org, { code, codeVerifier: pending.codeVerifier, redirectUri: callbackUrl(deps, org.slug), nonce: pending.nonce });
    if (!signIn) return signInFailed(ctx);
    const now = Math.floor(deps.clock.now() / 1000);
    if (pending.maxAge !== null && now - signIn.authTime > pending.maxAge + CLOCK_SKEW_SECONDS) return signInFailed(ctx);
    const user = await deps.users.findById(org.id, signIn.accountId);
    if (!user || !hasUsableSessions(user)) return signInFailed(ctx);
    await deps.portalSessions.start(ctx, org.id, org.slug, { userId: user.id, engineSessionUid: signIn.sessionUid, authTime: signIn.authTime, amr: signIn.amr });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(pending.returnTo);
  });

  /** Signs out of the portal and of the organization's session in this browser (the user's own use case). */
  router.post('/account/sign-out', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    if (portal.engineSessionUid) {
      // A session already ended elsewhere (or not mirrored yet) leaves only the portal's own to end.
      await deps.sessions.endOwnSession(portal.actor, portal.org.id, portal.engineSessionUid, { isCurrent: true }).catch((err: unknown) => {
        if (!(err instanceof AppError && err.kind === 'not_found')) throw err;
      });
    }
    await deps.portalSessions.end(ctx, portal.org.id, portal.org.slug);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`${portalPath(portal.org.slug)}/signed-out`);
    ctx.status = 303;
  });

  router.get('/account/signed-out', (ctx) => {
    const org = orgOf(ctx);
    if (!org.accountPortalEnabled) return renderDisabled(ctx);
    renderPlainPage(ctx, 'account-signed-out', 'account.signed_out.message', 200, { signInUrl: portalPath(org.slug) });
  });
}

const callbackUrl = (deps: PortalDeps, orgSlug: string) => `${accountPortalUrl(deps.config.issuerBaseUrl, orgSlug)}/callback`;

/** An error from the issuer, a replayed or foreign callback, an expired attempt: the user can start again. */
function signInFailed(ctx: Koa.Context): void {
  const org = orgOf(ctx);
  renderPlainPage(ctx, 'account-signed-out', 'account.sign_in_failed', 400, { signInUrl: portalPath(org.slug), isFailure: true });
}
