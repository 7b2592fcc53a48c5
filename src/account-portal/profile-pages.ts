import type Router from '@koa/router';
import { formBody, SUPPORTED_LOCALES } from '../pages/index.js';
import { AppError } from '../platform/errors.js';
import { checkPortalCsrf, redirectWithFlash, renderPortalPage, requirePortalUser, type PortalDeps, type PortalRequest } from './context.js';
import type Koa from 'koa';

/** The page languages a user may choose, each named in its own language. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = { en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español', nl: 'Nederlands', pt: 'Português' };

function profileView(portal: PortalRequest, values: { givenName: string; familyName: string; locale: string }) {
  return {
    profile: values,
    languages: SUPPORTED_LOCALES.map((tag) => ({ tag, name: LANGUAGE_NAMES[tag] ?? tag, isSelected: tag === values.locale })),
    email: portal.user.email,
    isEmailVerified: portal.user.emailVerified,
  };
}

/** The overview: name fields and page language (spec 70 §2 Profile). */
export function register(router: Router, deps: PortalDeps): void {
  router.get('/account', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const { user } = portal;
    await renderPortalPage(ctx, portal, 'account-profile', profileView(portal, { givenName: user.givenName ?? '', familyName: user.familyName ?? '', locale: user.locale ?? '' }));
  });

  router.post('/account', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    const values = { givenName: form.given_name ?? '', familyName: form.family_name ?? '', locale: form.locale ?? '' };
    try {
      await deps.users.updateOwnProfile(portal.actor, portal.org.id, values);
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
      return invalid(ctx, portal, values);
    }
    await redirectWithFlash(ctx, portal, `/${portal.org.slug}/account`, 'account.profile.saved');
  });
}

async function invalid(ctx: Koa.Context, portal: PortalRequest, values: { givenName: string; familyName: string; locale: string }) {
  await renderPortalPage(ctx, portal, 'account-profile', { ...profileView(portal, values), flashError: 'account.profile.invalid', status: 400 });
}
