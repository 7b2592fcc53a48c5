import type Router from '@koa/router';
import type Koa from 'koa';
import { formBody, isCsrfValid } from '../pages/index.js';
import { AppError } from '../platform/errors.js';
import {
  PORTAL_CSRF_COOKIE, anonymousLocale, browserPath, checkPortalCsrf, isWithinChangeLimit, csrfTokenOf, orgOf, redirectWithFlash, renderDisabled, renderPlainPage, renderPortalPage, requestOrigin,
  requirePortalUser, requireRecentSignIn, type PortalDeps, type PortalRequest,
} from './context.js';
import { portalPath } from './session.js';

/** The use case's refusal codes, and the message each shows. */
const EMAIL_MESSAGES: Readonly<Record<string, string>> = {
  user_email_taken: 'account.email.taken',
  email_unchanged: 'account.email.unchanged',
  validation_failed: 'account.email.invalid',
};

const flowOrg = (org: PortalRequest['org']) => ({ id: org.id, slug: org.slug, name: org.name, companyName: org.branding.companyName });

/** E-mail change (spec 70 §2): a link to the new address, a notice to the old; applies when the link is opened. */
export function register(router: Router, deps: PortalDeps): void {
  router.get('/account/email', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    await renderPortalPage(ctx, portal, 'account-email', { email: portal.user.email, newEmail: '' });
  });

  router.post('/account/email', async (ctx) => {
    const portal = await requirePortalUser(ctx);
    if (!portal) return;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return;
    const base = portalPath(portal.org.slug);
    if (!requireRecentSignIn(ctx, portal, `${base}/email`)) return;
    const newEmail = (form.new_email ?? '').trim();
    if (!(await isWithinChangeLimit(ctx, portal))) {
      return renderPortalPage(ctx, portal, 'account-email', { email: portal.user.email, newEmail, flashError: 'account.rate_limited', status: 429 });
    }
    try {
      await deps.users.requestEmailChange(portal.actor, flowOrg(portal.org), newEmail);
    } catch (err) {
      const message = err instanceof AppError ? EMAIL_MESSAGES[err.code] : undefined;
      if (!message) throw err;
      return renderPortalPage(ctx, portal, 'account-email', { email: portal.user.email, newEmail, flashError: message, status: err instanceof AppError && err.kind === 'conflict' ? 409 : 400 });
    }
    await redirectWithFlash(ctx, portal, `${base}/email`, 'account.email.sent');
  });

  // The link from the e-mail: it may be opened in any browser, signed in or not; a button applies it
  // (a mail scanner following links changes nothing).
  router.get('/account/email/confirm/:token', async (ctx) => {
    const org = orgOf(ctx);
    if (!org.accountPortalEnabled) return renderDisabled(ctx);
    const pending = await deps.users.checkEmailChange(flowOrg(org), ctx.params.token ?? '');
    if (!pending) return linkInvalid(ctx);
    renderPlainPage(ctx, 'account-email-confirm', 'account.email.confirm_intro', 200, { newEmail: pending.newEmail, csrfToken: csrfTokenOf(ctx, org), action: browserPath(ctx, org) });
  });

  router.post('/account/email/confirm/:token', async (ctx) => {
    const org = orgOf(ctx);
    if (!org.accountPortalEnabled) return renderDisabled(ctx);
    const form = await formBody(ctx);
    if (!isCsrfValid(ctx, form._csrf, PORTAL_CSRF_COOKIE)) return renderPlainPage(ctx, 'error', 'errors.csrf', 403, { errorCode: 'csrf' });
    const result = await deps.users.confirmEmailChange(flowOrg(org), ctx.params.token ?? '', requestOrigin(ctx));
    if (!result.ok) return result.reason === 'email_taken' ? renderPlainPage(ctx, 'error', 'account.email.taken', 409) : linkInvalid(ctx);
    const t = (key: string) => deps.i18n.t(anonymousLocale(deps, ctx, org), key, {}, org.slug);
    renderPlainPage(ctx, 'account-signed-out', 'account.email.changed', 200, {
      signInUrl: portalPath(org.slug), headingText: t('account.email.changed_title'), linkText: t('account.email.to_account'),
    });
  });
}

function linkInvalid(ctx: Koa.Context): void {
  renderPlainPage(ctx, 'error', 'account.email.link_invalid', 400);
}
