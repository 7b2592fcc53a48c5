import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { formBody, staticAssets } from '../pages/index.js';
import { PasskeyRegistrationRejected, type Passkey } from '../passkeys/index.js';
import { isAppError } from '../platform/errors.js';
import {
  checkPortalCsrf,
  RECENT_SIGN_IN_SECONDS,
  redirectWithFlash,
  renderPortalPage,
  requirePortalUser,
  requireRecentSignIn,
  type PortalDeps,
  type PortalRequest,
} from './context.js';

const pathOf = (portal: PortalRequest, rest = '') => `/${portal.org.slug}/account/passkeys${rest}`;

/**
 * The WebAuthn ceremony of this portal session (its challenge waits under this name in the ephemeral
 * store): derived from the session id, which is a bearer secret and never goes into a key as it is.
 */
const ceremonyIdOf = (portal: PortalRequest) => `account-${createHash('sha256').update(portal.sessionId).digest('base64url')}`;

/** The authenticator's answer the page's script put in the form: JSON, or left to the verifier to refuse. */
function responseOf(form: Record<string, string>): unknown {
  try {
    return JSON.parse(form.response ?? '');
  } catch {
    return null;
  }
}

/** Messages of the `account` and `passkeys` namespaces for the passkeys domain's refusals, with their status. */
function refusalOf(err: unknown): { key: string; status: number } | null {
  if (err instanceof PasskeyRegistrationRejected) return { key: 'passkeys.registration_failed', status: 400 };
  if (!isAppError(err)) return null;
  switch (err.code) {
    case 'passkey_already_registered': return { key: 'passkeys.already_registered', status: 409 };
    case 'validation_failed': return { key: 'passkeys.name_too_long', status: 400 };
    case 'passkey_not_found': return { key: 'account.passkeys.errors.not_found', status: 404 };
    case 'two_factor_required': return { key: 'account.passkeys.errors.required', status: 403 };
    default: return null;
  }
}

/**
 * `/{org}/account/passkeys` (spec 70 §2): the user's passkeys, added with the WebAuthn ceremony of
 * static/passkeys.js (the only part of the portal that needs JavaScript), renamed and removed. Every change
 * is a use case of the passkeys domain with the account actor, needs a sign-in of the last 10 minutes
 * (`max_age=600` step-up) and a valid CSRF token.
 */
export function register(router: Router, deps: PortalDeps): void {
  const t = (portal: PortalRequest, key: string, vars: Record<string, string> = {}) => deps.i18n.t(portal.locale, key, vars, portal.org.slug);
  const dateOf = (portal: PortalRequest, iso: string) => new Intl.DateTimeFormat(portal.locale, { dateStyle: 'medium' }).format(new Date(iso));
  const isRecent = (portal: PortalRequest) => {
    const age = Math.floor(deps.clock.now() / 1000) - portal.authTime;
    return age >= 0 && age <= RECENT_SIGN_IN_SECONDS;
  };

  async function formPost(ctx: Context, returnTo: (portal: PortalRequest) => string): Promise<{ portal: PortalRequest; form: Record<string, string> } | null> {
    const portal = await requirePortalUser(ctx);
    if (!portal) return null;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return null;
    if (!requireRecentSignIn(ctx, portal, returnTo(portal))) return null;
    return { portal, form };
  }

  function view(portal: PortalRequest, p: Passkey) {
    return {
      id: p.id,
      name: p.name ?? t(portal, 'account.passkeys.unnamed'),
      currentName: p.name ?? '',
      created: dateOf(portal, p.createdAt),
      lastUsed: p.lastUsedAt ? dateOf(portal, p.lastUsedAt) : t(portal, 'account.passkeys.never_used'),
      kind: t(portal, p.isBackedUp ? 'account.passkeys.synced' : 'account.passkeys.device_bound'),
      renameAction: pathOf(portal, `/${p.id}/rename`),
      removeAction: pathOf(portal, `/${p.id}/remove`),
    };
  }

  async function renderList(ctx: Context, portal: PortalRequest, flash: { error?: string } = {}, status = 200): Promise<void> {
    const passkeys = await deps.passkeys.list(portal.org.id, portal.user.id);
    await renderPortalPage(ctx, portal, 'account-passkeys', {
      status,
      current: 'passkeys',
      pageTitle: t(portal, 'account.passkeys.title'),
      passkeys: passkeys.map((p) => view(portal, p)),
      hasPasskeys: passkeys.length > 0,
      addUrl: pathOf(portal, '/add'),
      ...(flash.error ? { flash } : {}),
    });
  }

  async function renderAdd(ctx: Context, portal: PortalRequest, flash: { error?: string } = {}, status = 200): Promise<void> {
    const assets = staticAssets();
    await renderPortalPage(ctx, portal, 'account-passkeys-add', {
      status,
      current: 'passkeys',
      pageTitle: t(portal, 'account.passkeys.add_title'),
      intro: t(portal, 'account.passkeys.add_intro', { company: portal.org.branding.companyName ?? portal.org.name }),
      passkey: {
        purpose: 'registration', action: pathOf(portal, '/add'), optionsUrl: pathOf(portal, '/options'), buttonLabel: t(portal, 'passkeys.add_passkey'),
        isPrimary: true, isConditional: false, askName: true, libraryUrl: assets.webauthnLibrary.urlPath, scriptUrl: assets.passkeyScript.urlPath,
      },
      backUrl: pathOf(portal),
      // The ceremony's script asks this portal for the options (docs/passkeys.md): connect-src 'self'.
      canFetchSelf: true,
      ...(flash.error ? { flash } : {}),
    });
  }

  router.get('/account/passkeys', async (ctx: Context) => {
    const portal = await requirePortalUser(ctx);
    if (portal) await renderList(ctx, portal);
  });

  router.get('/account/passkeys/add', async (ctx: Context) => {
    const portal = await requirePortalUser(ctx);
    if (!portal || !requireRecentSignIn(ctx, portal, pathOf(portal, '/add'))) return;
    await renderAdd(ctx, portal);
  });

  /** The creation options for static/passkeys.js (JSON); a stale sign-in gets 401 and the page is reloaded. */
  router.post('/account/passkeys/options', async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    const refuse = (status: number, error: string) => {
      ctx.status = status;
      ctx.body = { error };
    };
    if (!checkPortalCsrf(ctx, portal, form)) return refuse(403, 'csrf');
    if (form.purpose !== 'registration') return refuse(400, 'invalid_purpose');
    if (!isRecent(portal)) return refuse(401, 'sign_in_required');
    try {
      ctx.body = { options: await deps.passkeys.registrationOptions(portal.actor, portal.org.id, portal.user.id, { ceremonyId: ceremonyIdOf(portal) }) };
    } catch (err) {
      if (!isAppError(err)) throw err;
      refuse(403, err.code);
    }
  });

  router.post('/account/passkeys/add', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p, '/add'));
    if (!post) return;
    const { portal, form } = post;
    try {
      await deps.passkeys.register(portal.actor, portal.org.id, portal.user.id, { ceremonyId: ceremonyIdOf(portal), response: responseOf(form), name: form.name ?? null });
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      return renderAdd(ctx, portal, { error: t(portal, refusal.key) }, refusal.status);
    }
    await redirectWithFlash(ctx, portal, pathOf(portal), 'account.passkeys.flash.added');
  });

  /** Rename and remove: the same steps, a different use case and message. */
  function change(action: 'rename' | 'remove') {
    return async (ctx: Context) => {
      const post = await formPost(ctx, (p) => pathOf(p));
      if (!post) return;
      const { portal, form } = post;
      const id = String(ctx.params.passkeyId ?? '');
      try {
        if (action === 'rename') await deps.passkeys.rename(portal.actor, portal.org.id, portal.user.id, id, { name: form.name ?? '' });
        else await deps.passkeys.remove(portal.actor, portal.org.id, portal.user.id, id);
      } catch (err) {
        const refusal = refusalOf(err);
        if (!refusal) throw err;
        return renderList(ctx, portal, { error: t(portal, refusal.key, { company: portal.org.branding.companyName ?? portal.org.name }) }, refusal.status);
      }
      await redirectWithFlash(ctx, portal, pathOf(portal), action === 'rename' ? 'account.passkeys.flash.renamed' : 'account.passkeys.flash.removed');
    };
  }

  router.post('/account/passkeys/:passkeyId/rename', change('rename'));
  router.post('/account/passkeys/:passkeyId/remove', change('remove'));
}
