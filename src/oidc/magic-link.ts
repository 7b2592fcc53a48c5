import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { formBody, isCsrfValid } from '../pages/index.js';
import { auditDisabledMethod, flowOrg, isWithinLimit, renderAccountPage, requestOrigin } from './account-pages.js';
import {
  InteractionFailed,
  effectiveMethods,
  interactionOf,
  isMailDeliverable,
  loadInteraction,
  renderFailures,
  renderLoginPage,
  type Interaction,
} from './interaction.js';
import { localeOf, renderErrorPage } from './pages.js';
import type { ProviderRegistry } from './registry.js';
import { completeFirstFactor } from './second-factor.js';
import type { OidcDeps, Organization } from './types.js';

/** Spec 60 §12: the magic-link hand-off cookie and its store entry, 300 s. */
export const MAGIC_LINK_COOKIE = '_ml_session';
const HANDOFF_TTL_SECONDS = 300;
const handoffKey = (id: string) => `magic-link:handoff:${id}`;

interface HandOff {
  organizationId: string;
  uid: string;
  userId: string;
}

/** `POST /{org}/interaction/{uid}/magic-link` (spec 60 §3): the same "check your email" page for every address. */
export function magicLinkRequestSteps(deps: OidcDeps, registry: ProviderRegistry): Middleware[] {
  return [
    renderFailures(deps),
    loadInteraction(deps, registry),
    async function requestMagicLink(ctx: Context) {
      const it = interactionOf(ctx);
      const form = await formBody(ctx);
      const email = (form.email ?? '').trim().slice(0, 320);
      const rejected = (key: string, status: number, vars: Record<string, string> = {}) =>
        renderLoginPage(ctx, deps, it, { email, error: deps.i18n.t(it.locale, key, vars, it.org.slug) }, status);
      if (!isCsrfValid(ctx, form._csrf)) return rejected('errors.csrf', 400);
      if (it.details.prompt.name !== 'login') throw new InteractionFailed('errors.generic', 400);
      const methods = effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config));
      if (!methods.includes('magic_link')) {
        await auditDisabledMethod(deps, ctx, it.org, String(it.details.params.client_id ?? '') || null, 'magic_link', methods);
        return rejected('login.method_unavailable', 403);
      }
      const render = (error: string) => renderLoginPage(ctx, deps, it, { email, error }, 429);
      if (!(await isWithinLimit(deps, ctx, it.org, 'magic_link', email, render))) return;
      // Not awaited: the answer leaves as fast whether or not there is an account to e-mail (no timing oracle).
      void deps.users.requestMagicLink(flowOrg(it.org), email, it.details.uid, requestOrigin(ctx))
        .catch((err: unknown) => deps.log.error({ err, org: it.org.slug }, 'user.magic_link.request_failed'));
      renderAccountPage(ctx, deps, it.org, 'magic-link-sent', {
        pageTitle: deps.i18n.t(it.locale, 'magic-link.sent_title', {}, it.org.slug), message: deps.i18n.t(it.locale, 'magic-link.sent', {}, it.org.slug), email,
      });
    },
  ];
}

/**
 * `GET /{org}/auth/magic-link/{token}`: uses the link, then hands the sign-in to the interaction it was
 * requested from through a single-use store entry named by an HttpOnly cookie of this browser. Only the
 * browser holding that interaction's own cookie can finish it (spec 60 §3: no remote completion).
 */
export function magicLinkLandingRoutes(deps: OidcDeps): Router {
  const router = new Router();
  router.get('/auth/magic-link/:token', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const used = await deps.users.useMagicLink(flowOrg(org), String(ctx.params.token), requestOrigin(ctx));
    if (!used?.interactionUid) return renderErrorPage(ctx, deps, org, 'magic-link.invalid', 400, 'invalid_link');
    const id = randomBytes(32).toString('base64url');
    const handoff: HandOff = { organizationId: org.id, uid: used.interactionUid, userId: used.userId };
    await deps.kv.set(handoffKey(id), JSON.stringify(handoff), { ttlSeconds: HANDOFF_TTL_SECONDS });
    ctx.cookies.set(MAGIC_LINK_COOKIE, id, {
      httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: `/${org.slug}`, maxAge: HANDOFF_TTL_SECONDS * 1000, overwrite: true, signed: false,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(`/${org.slug}/interaction/${encodeURIComponent(used.interactionUid)}`);
  });
  return router;
}

/**
 * Step before `loadInteraction` on `GET /{org}/interaction/{uid}`: takes this browser's magic-link
 * hand-off (once) into `ctx.state.magicLink` when it names this organization and interaction. When the
 * interaction cannot be loaded here (another browser), the page says so instead of the generic error.
 */
export function takeMagicLinkHandOff(deps: OidcDeps): Middleware {
  return async function magicLinkHandOff(ctx: Context, next: Next) {
    const id = ctx.cookies.get(MAGIC_LINK_COOKIE, { signed: false });
    if (!id) return next();
    const org = ctx.state.org as Organization;
    ctx.cookies.set(MAGIC_LINK_COOKIE, null, { path: `/${org.slug}`, overwrite: true });
    const raw = /^[A-Za-z0-9_-]{43}$/.test(id) ? await deps.kv.getDel(handoffKey(id)) : null;
    const handoff = raw ? (JSON.parse(raw) as HandOff) : null;
    if (!handoff || handoff.organizationId !== org.id || handoff.uid !== ctx.params.uid) return next();
    ctx.state.magicLink = handoff;
    try {
      await next();
    } catch (err) {
      if (!(err instanceof InteractionFailed) || ctx.state.interaction) throw err;
      const locale = localeOf(deps, ctx, org);
      renderAccountPage(ctx, deps, org, 'magic-link-success', {
        pageTitle: deps.i18n.t(locale, 'magic-link.other_browser_title', {}, org.slug), message: deps.i18n.t(locale, 'magic-link.other_browser', {}, org.slug),
      }, 400);
    }
  };
}

/**
 * Finishes the first factor for the user the hand-off names, if it still may sign in; the organization's
 * second-factor policy applies as after a password (spec 60 §3, §4). A magic link is a one-time secret
 * delivered out of band: `amr` `otp`.
 */
export async function completeMagicLink(ctx: Context, deps: OidcDeps, it: Interaction): Promise<void> {
  const { userId } = ctx.state.magicLink as HandOff;
  const user = await deps.users.findById(it.org.id, userId);
  if (!user || user.status !== 'active') {
    deps.metrics.login('magic_link', 'failure');
    return renderLoginPage(ctx, deps, it, { error: deps.i18n.t(it.locale, 'login.invalid_credentials', {}, it.org.slug) }, 401);
  }
  await completeFirstFactor(ctx, deps, it, { user, first: 'magic_link', method: 'magic_link', loginEvent: 'user.login.magic_link' });
}
