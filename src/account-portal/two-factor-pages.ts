import type Router from '@koa/router';
import type { Context } from 'koa';
import { formBody } from '../pages/index.js';
import { isAppError } from '../platform/errors.js';
import type { RateLimitDecision } from '../rate-limits/index.js';
import { isMethodAllowed, type CodeType, type TotpEnrolmentStart, type TwoFactorStatus } from '../two-factor/index.js';
import {
  checkPortalCsrf,
  redirectWithFlash,
  renderPortalPage,
  requirePortalUser,
  requireRecentSignIn,
  type PortalDeps,
  type PortalRequest,
} from './context.js';

/** Answered with the page again, showing this message of the `account` namespace (or another namespace's). */
class FactorPageRejected extends Error {
  constructor(
    readonly messageKey: string,
    readonly status: number,
    readonly vars: Record<string, string> = {},
  ) {
    super(messageKey);
    this.name = 'FactorPageRejected';
  }
}

const pathOf = (portal: PortalRequest, rest = '') => `/${portal.org.slug}/account/two-factor${rest}`;

/** Six digits (spaces allowed) are a code of the factor itself; anything else is taken as a recovery code. */
function codeTypeOf(code: string, method: 'email' | 'totp'): CodeType {
  if (/^[0-9]{6}$/.test(code.replace(/\s+/g, ''))) return method === 'email' ? 'otp' : 'totp';
  return 'recovery';
}

/**
 * `/{org}/account/two-factor` (spec 70 §2): the user's second factor, set up (authenticator app, codes by
 * e-mail) and turned off within the organization's policy, and new recovery codes shown once. Every change
 * is a use case of the two-factor domain with the account actor; each needs a sign-in of the last 10
 * minutes (else the issuer first, `max_age=600`), a valid CSRF token, and counts codes against `2fa_verify`.
 */
export function register(router: Router, deps: PortalDeps): void {
  const { twoFactor } = deps;
  // As on the sign-in pages (oidc/interaction.ts): without SMTP in production, e-mailed codes cannot arrive.
  const isMailDeliverable = deps.config.smtp.host !== undefined || deps.config.env !== 'production';
  const t = (portal: PortalRequest, key: string, vars: Record<string, string> = {}) => deps.i18n.t(portal.locale, key, vars, portal.org.slug);
  const limitKey = (portal: PortalRequest) => `${portal.org.id}|${portal.user.id}`;
  const limitContext = (ctx: Context, portal: PortalRequest) => ({
    organizationId: portal.org.id, ipAddress: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined,
  });
  const companyOf = (portal: PortalRequest) => portal.org.branding.companyName ?? portal.org.name;

  function throwIfLimited(ctx: Context, decision: RateLimitDecision): void {
    if (decision.isAllowed) return;
    ctx.set('Retry-After', String(decision.retryAfter));
    throw new FactorPageRejected('login.rate_limited', 429, { minutes: String(Math.max(1, Math.ceil(decision.retryAfter / 60))) });
  }

  /** The code of the form, or "Enter the code."; counted against `2fa_verify` before it is checked. */
  async function takeCode(ctx: Context, portal: PortalRequest, form: Record<string, string>): Promise<string> {
    const code = String(form.code ?? '').trim();
    if (code === '') throw new FactorPageRejected('two-factor.errors.enter_code', 400);
    throwIfLimited(ctx, await deps.rateLimits.reserve('2fa_verify', limitKey(portal), limitContext(ctx, portal)));
    return code.slice(0, 64);
  }

  /** The signed-in user, a valid CSRF token and a fresh sign-in, or null when one of them answered already. */
  async function formPost(ctx: Context, returnTo: (portal: PortalRequest) => string): Promise<{ portal: PortalRequest; form: Record<string, string> } | null> {
    const portal = await requirePortalUser(ctx);
    if (!portal) return null;
    const form = await formBody(ctx);
    if (!checkPortalCsrf(ctx, portal, form)) return null;
    if (!requireRecentSignIn(ctx, portal, returnTo(portal))) return null;
    return { portal, form };
  }

  async function renderOverview(ctx: Context, portal: PortalRequest, flash: { error?: string } = {}, status = 200): Promise<void> {
    const status2fa: TwoFactorStatus = await twoFactor.status(portal.org.id, portal.user.id);
    const { policy } = status2fa;
    const method = status2fa.enabled ? status2fa.method : null;
    const hasAcceptedMethod = method !== null && isMethodAllowed(policy, method);
    const isHeldByPasskey = status2fa.passkeys > 0 && isMethodAllowed(policy, 'passkey');
    // Spec 60 §4: a factor is set up only while the user holds none the policy accepts.
    const canEnrol = !hasAcceptedMethod && !isHeldByPasskey;
    const offersTotp = canEnrol && isMethodAllowed(policy, 'totp') && twoFactor.isTotpAvailable;
    const offersEmail = canEnrol && isMethodAllowed(policy, 'email') && isMailDeliverable;
    await renderPortalPage(ctx, portal, 'account-two-factor', {
      status,
      current: 'two_factor',
      companyName: companyOf(portal),
      isRequired: policy !== 'optional',
      isEnabled: method !== null,
      isTotp: method === 'totp',
      isEmail: method === 'email',
      recoveryCodesRemaining: String(status2fa.recoveryCodesRemaining),
      passkeyCount: String(status2fa.passkeys),
      passkeysUrl: `/${portal.org.slug}/account/passkeys`,
      offersTotp,
      offersEmail,
      offersSetUp: offersTotp || offersEmail,
      isHeldByPasskey: !hasAcceptedMethod && isHeldByPasskey,
      isNothingToSetUp: canEnrol && !offersTotp && !offersEmail,
      // The same rule as the domain's (self-service.ts): a required policy keeps one accepted factor.
      isRemovalBlocked: policy !== 'optional' && hasAcceptedMethod && !isHeldByPasskey,
      totpUrl: pathOf(portal, '/totp'),
      emailAction: pathOf(portal, '/email/send'),
      regenerateAction: pathOf(portal, '/recovery-codes'),
      sendCodeAction: pathOf(portal, '/disable/send-code'),
      disableAction: pathOf(portal, '/disable'),
      ...(flash.error ? { flash } : {}),
    });
  }

  function renderCodes(ctx: Context, portal: PortalRequest, recoveryCodes: string[], titleKey: string): Promise<void> {
    return renderPortalPage(ctx, portal, 'account-two-factor-codes', {
      current: 'two_factor',
      pageTitle: t(portal, titleKey), title: t(portal, titleKey), recoveryCodes, doneUrl: pathOf(portal),
    });
  }

  async function renderTotp(ctx: Context, portal: PortalRequest, enrolment: TotpEnrolmentStart, flash: { error?: string } = {}, status = 200): Promise<void> {
    await renderPortalPage(ctx, portal, 'account-two-factor-totp', {
      status,
      current: 'two_factor',
      pageTitle: t(portal, 'account.twoFactor.totp_title'),
      qrCodeDataUri: enrolment.qrCodeDataUri,
      totpSecret: enrolment.secret.replace(/(.{4})(?=.)/g, '$1 '),
      action: pathOf(portal, '/totp'),
      backUrl: pathOf(portal),
      ...(flash.error ? { flash } : {}),
    });
  }

  async function renderEmail(ctx: Context, portal: PortalRequest, flash: { error?: string; success?: string } = {}, status = 200): Promise<void> {
    await renderPortalPage(ctx, portal, 'account-two-factor-email', {
      status,
      current: 'two_factor',
      pageTitle: t(portal, 'account.twoFactor.email_title'),
      email: portal.user.email,
      action: pathOf(portal, '/email'),
      resendAction: pathOf(portal, '/email/send'),
      backUrl: pathOf(portal),
      ...(flash.error ? { flash } : {}),
    });
  }

  /** A rejection thrown by `run` re-renders with its message; a refusing use case too, by its code. */
  async function rendering(ctx: Context, portal: PortalRequest, render: (flash: { error: string }, status: number) => Promise<void>, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof FactorPageRejected) return render({ error: t(portal, err.messageKey, err.vars) }, err.status);
      if (!isAppError(err) || err.kind === 'rate_limited') throw err;
      deps.log.info({ org: portal.org.slug, code: err.code }, 'account_portal.two_factor_refused');
      const key = err.code === 'invalid_two_factor_code' ? 'two-factor.errors.invalid_code'
        : err.code === 'two_factor_required' ? 'account.twoFactor.errors.required'
          : 'account.twoFactor.errors.unavailable';
      return render({ error: t(portal, key, { company: companyOf(portal) }) }, err.kind === 'forbidden' ? 403 : err.kind === 'unavailable' ? 503 : 400);
    }
  }

  router.get('/account/two-factor', async (ctx: Context) => {
    const portal = await requirePortalUser(ctx);
    if (portal) await renderOverview(ctx, portal);
  });

  // --- Authenticator app ------------------------------------------------------------------------------

  router.get('/account/two-factor/totp', async (ctx: Context) => {
    const portal = await requirePortalUser(ctx);
    if (!portal || !requireRecentSignIn(ctx, portal, pathOf(portal, '/totp'))) return;
    // A new secret on each display: one left pending by someone else's half-finished sign-in is never shown here.
    await rendering(ctx, portal, (flash, status) => renderOverview(ctx, portal, flash, status), async () => {
      await renderTotp(ctx, portal, await twoFactor.startTotpEnrolment(portal.actor, portal.org.id, portal.user.id));
    });
  });

  router.post('/account/two-factor/totp', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p, '/totp'));
    if (!post) return;
    const { portal, form } = post;
    const again = async (flash: { error: string }, status: number) => {
      const pending = await twoFactor.resumeTotpEnrolment(portal.actor, portal.org.id, portal.user.id).catch(() => null);
      if (!pending) return renderOverview(ctx, portal, flash, status);
      await renderTotp(ctx, portal, pending, flash, status);
    };
    await rendering(ctx, portal, again, async () => {
      const code = await takeCode(ctx, portal, form);
      const { recoveryCodes } = await twoFactor.confirmTotpEnrolment(portal.actor, portal.org.id, portal.user.id, code);
      await deps.rateLimits.forgive('2fa_verify', limitKey(portal));
      await renderCodes(ctx, portal, recoveryCodes, 'two-factor.recovery_codes.title');
    });
  });

  // --- Codes by e-mail --------------------------------------------------------------------------------

  router.post('/account/two-factor/email/send', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p));
    if (!post) return;
    const { portal } = post;
    await rendering(ctx, portal, (flash, status) => renderOverview(ctx, portal, flash, status), async () => {
      throwIfLimited(ctx, await deps.rateLimits.hit('otp_resend', limitKey(portal), limitContext(ctx, portal)));
      await twoFactor.sendEmailOtp(portal.actor, portal.org.id, portal.user.id, { locale: portal.locale });
      await redirectWithFlash(ctx, portal, pathOf(portal, '/email'), 'account.twoFactor.flash.code_sent');
    });
  });

  router.get('/account/two-factor/email', async (ctx: Context) => {
    const portal = await requirePortalUser(ctx);
    if (!portal || !requireRecentSignIn(ctx, portal, pathOf(portal))) return;
    await renderEmail(ctx, portal);
  });

  router.post('/account/two-factor/email', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p));
    if (!post) return;
    const { portal, form } = post;
    await rendering(ctx, portal, (flash, status) => renderEmail(ctx, portal, flash, status), async () => {
      const code = await takeCode(ctx, portal, form);
      // Spec 60 §4: the first good code of an e-mail setup turns it on and issues the recovery codes.
      const result = await twoFactor.verify(portal.actor, portal.org.id, portal.user.id, { code, codeType: 'otp' });
      if (!result.ok) throw new FactorPageRejected('two-factor.errors.invalid_code', 400);
      await deps.rateLimits.forgive('2fa_verify', limitKey(portal));
      if (!result.recoveryCodes) return redirectWithFlash(ctx, portal, pathOf(portal), 'account.twoFactor.flash.email_enabled');
      await renderCodes(ctx, portal, result.recoveryCodes, 'two-factor.recovery_codes.title');
    });
  });

  // --- New recovery codes, turning off ------------------------------------------------------------------

  router.post('/account/two-factor/recovery-codes', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p));
    if (!post) return;
    const { portal } = post;
    await rendering(ctx, portal, (flash, status) => renderOverview(ctx, portal, flash, status), async () => {
      const { recoveryCodes } = await twoFactor.regenerateRecoveryCodes(portal.actor, portal.org.id, portal.user.id);
      await renderCodes(ctx, portal, recoveryCodes, 'account.twoFactor.codes_title');
    });
  });

  router.post('/account/two-factor/disable/send-code', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p));
    if (!post) return;
    const { portal } = post;
    await rendering(ctx, portal, (flash, status) => renderOverview(ctx, portal, flash, status), async () => {
      throwIfLimited(ctx, await deps.rateLimits.hit('otp_resend', limitKey(portal), limitContext(ctx, portal)));
      await twoFactor.sendEmailOtp(portal.actor, portal.org.id, portal.user.id, { locale: portal.locale });
      await redirectWithFlash(ctx, portal, pathOf(portal), 'account.twoFactor.flash.code_sent');
    });
  });

  router.post('/account/two-factor/disable', async (ctx: Context) => {
    const post = await formPost(ctx, (p) => pathOf(p));
    if (!post) return;
    const { portal, form } = post;
    await rendering(ctx, portal, (flash, status) => renderOverview(ctx, portal, flash, status), async () => {
      const method = portal.user.twoFactorMethod;
      if (!portal.user.twoFactorEnabled || method === null) return redirectWithFlash(ctx, portal, pathOf(portal), 'account.twoFactor.flash.disabled');
      const code = await takeCode(ctx, portal, form);
      await twoFactor.disableOwn(portal.actor, portal.org.id, portal.user.id, { code, codeType: codeTypeOf(code, method) });
      await deps.rateLimits.forgive('2fa_verify', limitKey(portal));
      await redirectWithFlash(ctx, portal, pathOf(portal), 'account.twoFactor.flash.disabled');
    });
  });
}
