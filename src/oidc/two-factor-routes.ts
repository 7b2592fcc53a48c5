import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { accountActor, type Actor } from '../actors/index.js';
import { formBody, isCsrfValid } from '../pages/index.js';
import { isAppError } from '../platform/errors.js';
import type { RateLimitDecision } from '../rate-limits/index.js';
import type { CodeType, TotpEnrolmentStart } from '../two-factor/index.js';
import { requestOrigin } from './account-pages.js';
import { limitContext } from './endpoint-limits.js';
import { InteractionFailed, interactionOf, loadInteraction, renderFailures, renderPage, type Interaction } from './interaction.js';
import type { ProviderRegistry } from './registry.js';
import {
  findPendingSecondFactor,
  finishSignIn,
  isStepUpRequested,
  savePendingSecondFactor,
  secondFactorUrl,
  type PendingSecondFactor,
} from './second-factor.js';
import type { OidcDeps } from './types.js';

/** Answered with the challenge or setup page again, showing this message. */
class CodeRejected extends Error {
  constructor(
    readonly messageKey: string,
    readonly status: number,
    readonly vars: Record<string, string> = {},
  ) {
    super(messageKey);
    this.name = 'CodeRejected';
  }
}

/**
 * The factor the challenge page asks for: e-mail while it is being set up (the first good code enables
 * it), else the factor the user holds; null while a factor is still to be chosen or set up elsewhere.
 */
function challengeMethod(pending: PendingSecondFactor): 'email' | 'totp' | 'passkey' | null {
  if (pending.kind === 'enrol') return pending.chosen === 'email' ? 'email' : null;
  return pending.methods.find((m) => m === 'totp' || m === 'email') ?? 'passkey';
}

/** What the challenge accepts: the enrolled factor's codes, or a recovery code standing in for it. */
function codeTypesOf(pending: PendingSecondFactor): CodeType[] {
  const method = challengeMethod(pending);
  if (method === null || method === 'passkey') return [];
  const own: CodeType = method === 'email' ? 'otp' : 'totp';
  return pending.kind === 'challenge' ? [own, 'recovery'] : [own];
}

const maskEmail = (email: string) => {
  const at = email.lastIndexOf('@');
  return at <= 0 ? email : `${email[0]}•••${email.slice(at)}`;
};

const pendingOf = (ctx: Context) => ctx.state.twoFactor as PendingSecondFactor;
const actorOf = (ctx: Context, it: Interaction, pending: PendingSecondFactor): Actor =>
  accountActor({ id: pending.userId, organizationId: it.org.id }, requestOrigin(ctx), 'login');
const limitKey = (it: Interaction, pending: PendingSecondFactor) => `${it.org.id}|${pending.userId}`;

/**
 * `/{org}/interaction/{uid}/two-factor` (challenge), `/two-factor/resend` and `/two-factor/setup` (spec
 * 60 §4). Each needs the engine's interaction of this browser and the sign-in kept pending for exactly
 * that interaction by `completeFirstFactor`; the rules (codes, enrolment, attempts per code, audit) are
 * the two-factor domain's, called with the account as actor.
 */
export function twoFactorRoutes(deps: OidcDeps, registry: ProviderRegistry, router: Router): void {
  const t = (it: Interaction, key: string, vars: Record<string, string> = {}) => deps.i18n.t(it.locale, key, vars, it.org.slug);
  const baseUrl = (it: Interaction) => `/${it.org.slug}/interaction/${encodeURIComponent(it.details.uid)}/two-factor`;

  async function loadPending(ctx: Context, next: Next) {
    const it = interactionOf(ctx);
    if (it.details.prompt.name !== 'login') throw new InteractionFailed('errors.generic', 400);
    const pending = await findPendingSecondFactor(deps, it);
    if (!pending) throw new InteractionFailed('two-factor.errors.not_pending', 403);
    ctx.state.twoFactor = pending;
    await next();
  }

  /** A use case refusing (policy changed, no encryption key…) ends on the error page, never a 500. */
  async function renderRefusals(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      if (!isAppError(err) || err.kind === 'rate_limited') throw err;
      deps.log.info({ org: interactionOf(ctx).org.slug, code: err.code }, 'two_factor.sign_in_refused');
      throw new InteractionFailed('two-factor.errors.unavailable', err.kind === 'forbidden' ? 403 : 400);
    }
  }

  const load: Middleware[] = [renderFailures(deps), loadInteraction(deps, registry), loadPending, renderRefusals];

  function renderChallenge(ctx: Context, it: Interaction, mode: 'code' | 'recovery', flash: { error?: string; success?: string } = {}, status = 200) {
    const pending = pendingOf(ctx);
    const method = challengeMethod(pending);
    const isRecovery = mode === 'recovery' && codeTypesOf(pending).includes('recovery');
    const [codeType] = isRecovery ? ['recovery'] : codeTypesOf(pending);
    renderPage(ctx, deps, it, 'two-factor-verify', {
      pageTitle: t(it, 'two-factor.verify.title'),
      method,
      isEmail: method === 'email' && !isRecovery,
      isTotp: method === 'totp' && !isRecovery,
      isPasskey: method === 'passkey',
      // Spec 70 §1: a held passkey may answer the challenge (passkey-routes.ts, `…/passkey/verify`).
      offersPasskey: pending.kind === 'challenge' && pending.methods.includes('passkey'),
      isRecovery,
      maskedEmail: '',
      action: baseUrl(it),
      codeType,
      resendAction: method === 'email' && !isRecovery ? `${baseUrl(it)}/resend` : undefined,
      recoveryUrl: !isRecovery && codeTypesOf(pending).includes('recovery') ? `${baseUrl(it)}?use=recovery` : undefined,
      codeUrl: isRecovery ? baseUrl(it) : undefined,
      otherMethodsUrl: pending.kind === 'enrol' && pending.methods.length > 1 ? `${baseUrl(it)}/setup?method=choose` : undefined,
      flash,
      ...ctx.state.twoFactorView,
    }, status);
  }

  /** The challenge page after a rejected code or form (spec 60 §1: a new CSRF token each time). */
  async function renderChallengeRejections(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof CodeRejected)) throw err;
      const it = interactionOf(ctx);
      const form = (ctx.state.twoFactorForm ?? {}) as Record<string, string>;
      renderChallenge(ctx, it, form.codeType === 'recovery' ? 'recovery' : 'code', { error: t(it, err.messageKey, err.vars) }, err.status);
    }
  }

  async function withEmail(ctx: Context, next: Next) {
    const it = interactionOf(ctx);
    const user = await deps.users.findById(it.org.id, pendingOf(ctx).userId);
    ctx.state.twoFactorView = { maskedEmail: user ? maskEmail(user.email) : '' };
    await next();
  }

  async function readForm(ctx: Context, next: Next) {
    ctx.state.twoFactorForm = await formBody(ctx);
    await next();
  }

  async function checkCsrf(ctx: Context, next: Next) {
    if (!isCsrfValid(ctx, (ctx.state.twoFactorForm as Record<string, string>)._csrf)) throw new CodeRejected('errors.csrf', 400);
    await next();
  }

  function throwIfLimited(ctx: Context, decision: RateLimitDecision): void {
    if (decision.isAllowed) return;
    ctx.set('Retry-After', String(decision.retryAfter));
    throw new CodeRejected('login.rate_limited', 429, { minutes: String(Math.max(1, Math.ceil(decision.retryAfter / 60))) });
  }

  /** The code of the form, non-empty, or "Enter the code"; counted against `2fa_verify` (5 / 5 min per org + user) before it is checked. */
  async function takeCode(ctx: Context, it: Interaction): Promise<string> {
    const code = String((ctx.state.twoFactorForm as Record<string, string>).code ?? '').trim();
    if (code === '') throw new CodeRejected('two-factor.errors.enter_code', 400);
    throwIfLimited(ctx, await deps.rateLimits.reserve('2fa_verify', limitKey(it, pendingOf(ctx)), limitContext(ctx, it.org)));
    return code.slice(0, 64);
  }

  function renderRecoveryCodes(ctx: Context, it: Interaction, recoveryCodes: string[]) {
    renderPage(ctx, deps, it, 'recovery-codes', { pageTitle: t(it, 'two-factor.recovery_codes.title'), recoveryCodes, action: baseUrl(it) });
  }

  /** Sends the first e-mailed code of this sign-in (spec 60 §4: on first display of the challenge). */
  async function sendFirstCode(ctx: Context, it: Interaction, pending: PendingSecondFactor) {
    if (challengeMethod(pending) !== 'email' || pending.isCodeSent) return;
    await deps.twoFactor.sendEmailOtp(actorOf(ctx, it, pending), it.org.id, pending.userId, { locale: it.locale });
    await savePendingSecondFactor(deps, it, { ...pending, isCodeSent: true });
  }

  router.get('/interaction/:uid/two-factor', ...load, withEmail, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const pending = pendingOf(ctx);
    if (pending.verified) return finishSignIn(ctx, deps, it, pending, pending.verified);
    if (challengeMethod(pending) === null) return redirect(ctx, secondFactorUrl(it, pending));
    const isRecovery = ctx.query.use === 'recovery';
    if (!isRecovery) await sendFirstCode(ctx, it, pending);
    renderChallenge(ctx, it, isRecovery ? 'recovery' : 'code');
  });

  router.post('/interaction/:uid/two-factor', ...load, withEmail, renderChallengeRejections, readForm, checkCsrf, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const pending = pendingOf(ctx);
    // "Continue" on the recovery-codes page: the factor was verified before they were shown.
    if (pending.verified) return finishSignIn(ctx, deps, it, pending, pending.verified);
    const codeType = (ctx.state.twoFactorForm as Record<string, string>).codeType as CodeType;
    if (!codeTypesOf(pending).includes(codeType)) throw new CodeRejected('two-factor.errors.invalid_code', 400);
    const code = await takeCode(ctx, it);
    const result = await deps.twoFactor.verify(actorOf(ctx, it, pending), it.org.id, pending.userId, { code, codeType });
    if (!result.ok) throw new CodeRejected('two-factor.errors.invalid_code', 400);
    await deps.rateLimits.forgive('2fa_verify', limitKey(it, pending));
    if (!result.recoveryCodes) return finishSignIn(ctx, deps, it, pending, result.method);
    await savePendingSecondFactor(deps, it, { ...pending, verified: result.method });
    renderRecoveryCodes(ctx, it, result.recoveryCodes);
  });

  router.post('/interaction/:uid/two-factor/resend', ...load, withEmail, renderChallengeRejections, readForm, checkCsrf, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const pending = pendingOf(ctx);
    if (challengeMethod(pending) !== 'email' || pending.verified) throw new InteractionFailed('errors.generic', 400);
    throwIfLimited(ctx, await deps.rateLimits.hit('otp_resend', limitKey(it, pending), limitContext(ctx, it.org)));
    await deps.twoFactor.sendEmailOtp(actorOf(ctx, it, pending), it.org.id, pending.userId, { locale: it.locale, isResend: true });
    await savePendingSecondFactor(deps, it, { ...pending, isCodeSent: true });
    renderChallenge(ctx, it, 'code', { success: t(it, 'two-factor.verify.code_sent') });
  });

  /** The factors the setup page itself can enrol; a passkey is enrolled by the passkey pages. */
  const choicesOf = (pending: PendingSecondFactor) => pending.methods.filter((m): m is 'email' | 'totp' => m === 'email' || m === 'totp');

  function renderSetup(ctx: Context, it: Interaction, view: { enrolment?: TotpEnrolmentStart; error?: string }, status = 200) {
    const pending = pendingOf(ctx);
    const choices = choicesOf(pending);
    const isChoice = view.enrolment === undefined;
    renderPage(ctx, deps, it, 'two-factor-setup', {
      pageTitle: t(it, 'two-factor.setup.title'),
      isChoice,
      isStepUp: isStepUpRequested(it.details.params.acr_values),
      choices: choices.map((method) => ({ method, url: `${baseUrl(it)}/setup?method=${method}`, isTotp: method === 'totp', isEmail: method === 'email' })),
      offersPasskey: pending.methods.includes('passkey'),
      isTotp: !isChoice,
      method: isChoice ? undefined : 'totp',
      qrCodeDataUri: view.enrolment?.qrCodeDataUri,
      totpSecret: view.enrolment?.secret.replace(/(.{4})(?=.)/g, '$1 '),
      action: `${baseUrl(it)}/setup`,
      otherMethodsUrl: !isChoice && pending.methods.length > 1 ? `${baseUrl(it)}/setup?method=choose` : undefined,
      flash: { error: view.error },
    }, status);
  }

  /** This sign-in's authenticator-app secret: issued on the first display, the same one on every later one. */
  async function totpEnrolment(ctx: Context, it: Interaction, pending: PendingSecondFactor): Promise<TotpEnrolmentStart> {
    const actor = actorOf(ctx, it, pending);
    const resumed = pending.isTotpStarted ? await deps.twoFactor.resumeTotpEnrolment(actor, it.org.id, pending.userId) : null;
    if (resumed) return resumed;
    const started = await deps.twoFactor.startTotpEnrolment(actor, it.org.id, pending.userId);
    await savePendingSecondFactor(deps, it, { ...pending, chosen: 'totp', isTotpStarted: true });
    return started;
  }

  router.get('/interaction/:uid/two-factor/setup', ...load, async (ctx: Context) => {
    const it = interactionOf(ctx);
    let pending = pendingOf(ctx);
    if (pending.verified || pending.kind !== 'enrol') return redirect(ctx, baseUrl(it));
    const choices = choicesOf(pending);
    const asked = ctx.query.method;
    const picked = choices.find((m) => m === asked) ?? (asked === 'choose' ? undefined : pending.chosen ?? (choices.length === 1 && pending.methods.length === 1 ? choices[0] : undefined));
    if (picked === undefined) return renderSetup(ctx, it, {});
    pending = { ...pending, chosen: picked };
    if (picked === 'email') {
      // Spec 60 §4: e-mail setup sends a code and switches to the challenge; the first good code enables it.
      await savePendingSecondFactor(deps, it, pending);
      return redirect(ctx, baseUrl(it));
    }
    ctx.state.twoFactor = pending;
    renderSetup(ctx, it, { enrolment: await totpEnrolment(ctx, it, pending) });
  });

  router.post('/interaction/:uid/two-factor/setup', ...load, readForm, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const pending = pendingOf(ctx);
    // Verified already (the recovery-codes page posted again): the challenge URL completes the sign-in.
    if (pending.verified) return redirect(ctx, baseUrl(it));
    if (pending.kind !== 'enrol' || pending.chosen !== 'totp') throw new InteractionFailed('errors.generic', 400);
    const again = async (messageKey: string, status: number, vars: Record<string, string> = {}) =>
      renderSetup(ctx, it, { enrolment: await totpEnrolment(ctx, it, pending), error: t(it, messageKey, vars) }, status);
    try {
      if (!isCsrfValid(ctx, (ctx.state.twoFactorForm as Record<string, string>)._csrf)) throw new CodeRejected('errors.csrf', 400);
      const code = await takeCode(ctx, it);
      const { recoveryCodes } = await deps.twoFactor.confirmTotpEnrolment(actorOf(ctx, it, pending), it.org.id, pending.userId, code);
      await deps.rateLimits.forgive('2fa_verify', limitKey(it, pending));
      await savePendingSecondFactor(deps, it, { ...pending, verified: 'totp' });
      renderRecoveryCodes(ctx, it, recoveryCodes);
    } catch (err) {
      if (err instanceof CodeRejected) return again(err.messageKey, err.status, err.vars);
      if (isAppError(err) && err.code === 'invalid_two_factor_code') return again('two-factor.errors.invalid_code', 400);
      throw err;
    }
  });
}

function redirect(ctx: Context, url: string): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 303;
  ctx.redirect(url);
}
