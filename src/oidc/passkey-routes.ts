import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { accountActor } from '../actors/index.js';
import { formBody, isCsrfValid } from '../pages/index.js';
import { PasskeyRegistrationRejected, PasskeyRejected, type PasskeyAssertion } from '../passkeys/index.js';
import { isAppError } from '../platform/errors.js';
import type { RateLimitDecision } from '../rate-limits/index.js';
import type { PasskeyUse } from '../two-factor/index.js';
import { auditDisabledMethod, requestOrigin } from './account-pages.js';
import { limitContext } from './endpoint-limits.js';
import {
  InteractionFailed,
  effectiveMethods,
  interactionOf,
  isMailDeliverable,
  loadInteraction,
  renderFailures,
  renderLoginPage,
  renderPage,
  type Interaction,
} from './interaction.js';
import { findEnrolmentPrompt, saveEnrolmentPrompt, type EnrolmentPrompt } from './passkey-enrolment.js';
import { passkeyBase, passkeyCeremony } from './passkey-pages.js';
import type { ProviderRegistry } from './registry.js';
import { completeFirstFactor, findPendingSecondFactor, finishSignIn, type PendingSecondFactor } from './second-factor.js';
import type { OidcDeps } from './types.js';

/** Where a registration belongs: the skippable prompt after a password sign-in, or a second factor's setup. */
type Enrolment = { kind: 'prompt'; prompt: EnrolmentPrompt; userId: string } | { kind: 'setup'; pending: PendingSecondFactor; userId: string };

/** Answered with the passkey page again, showing this message (a fresh CSRF token with it). */
class PasskeyPageRejected extends Error {
  constructor(
    readonly messageKey: string,
    readonly status: number,
    readonly vars: Record<string, string> = {},
  ) {
    super(messageKey);
    this.name = 'PasskeyPageRejected';
  }
}

const asPasskeyUse = (a: PasskeyUse): { passkey: PasskeyUse } => ({ passkey: { isBackedUp: a.isBackedUp, isUserVerified: a.isUserVerified } });

/** The authenticator's answer the page's script put in the form: JSON, or left to the verifier to refuse. */
function responseOf(form: Record<string, string>): unknown {
  try {
    return JSON.parse(form.response ?? '');
  } catch {
    return null;
  }
}

const minutesOf = (decision: RateLimitDecision) => String(Math.max(1, Math.ceil(decision.retryAfter / 60)));

async function enrolmentOf(deps: OidcDeps, it: Interaction): Promise<Enrolment | null> {
  const prompt = await findEnrolmentPrompt(deps, it);
  if (prompt && !prompt.isAnswered) return { kind: 'prompt', prompt, userId: prompt.signIn.userId };
  const pending = await findPendingSecondFactor(deps, it);
  if (pending && pending.kind === 'enrol' && pending.methods.includes('passkey') && !pending.verified) return { kind: 'setup', pending, userId: pending.userId };
  return null;
}

async function challengeOf(deps: OidcDeps, it: Interaction): Promise<PendingSecondFactor | null> {
  const pending = await findPendingSecondFactor(deps, it);
  return pending && pending.kind === 'challenge' && pending.methods.includes('passkey') && !pending.verified ? pending : null;
}

/**
 * `/{org}/interaction/{uid}/passkey/…` (spec 70 §1): the WebAuthn options the pages' script asks for,
 * the usernameless sign-in, the passkey as a second factor (`verify`) and enrolment (`enrol`, after a
 * password sign-in or at a second factor's setup). Every form carries the CSRF token; every ceremony is
 * bound to this interaction of this browser and organization, and its rules are the passkeys domain's.
 */
export function passkeyRoutes(deps: OidcDeps, registry: ProviderRegistry, router: Router): void {
  const t = (it: Interaction, key: string, vars: Record<string, string> = {}) => deps.i18n.t(it.locale, key, vars, it.org.slug);
  const clientIdOf = (it: Interaction) => String(it.details.params.client_id ?? '') || null;

  async function requireLoginPrompt(ctx: Context, next: Next) {
    if (interactionOf(ctx).details.prompt.name !== 'login') throw new InteractionFailed('errors.generic', 400);
    await next();
  }

  const load: Middleware[] = [renderFailures(deps), loadInteraction(deps, registry), requireLoginPrompt];

  async function readForm(ctx: Context, next: Next) {
    ctx.state.passkeyForm = await formBody(ctx);
    await next();
  }
  const formOf = (ctx: Context) => ctx.state.passkeyForm as Record<string, string>;

  async function checkCsrf(ctx: Context, next: Next) {
    if (!isCsrfValid(ctx, formOf(ctx)._csrf)) throw new PasskeyPageRejected('errors.csrf', 400);
    await next();
  }

  function throwIfLimited(ctx: Context, decision: RateLimitDecision): void {
    if (decision.isAllowed) return;
    ctx.set('Retry-After', String(decision.retryAfter));
    throw new PasskeyPageRejected('login.rate_limited', 429, { minutes: minutesOf(decision) });
  }

  /** A page of its own re-rendered with the message of a PasskeyPageRejected thrown later. */
  function rejectionsRenderedBy(render: (ctx: Context, flash: { error?: string }, status: number) => Promise<void> | void): Middleware {
    return async function renderPasskeyRejections(ctx: Context, next: Next) {
      try {
        await next();
      } catch (err) {
        if (!(err instanceof PasskeyPageRejected)) throw err;
        await render(ctx, { error: t(interactionOf(ctx), err.messageKey, err.vars) }, err.status);
      }
    };
  }

  // --- WebAuthn options (JSON, for static/passkeys.js) ---------------------------------------------

  router.post('/interaction/:uid/passkey/options', async function answerJsonFailures(ctx: Context, next: Next) {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (err) {
      if (!(err instanceof InteractionFailed)) throw err;
      ctx.status = err.status;
      ctx.body = { error: 'interaction_expired' };
    }
  }, loadInteraction(deps, registry), requireLoginPrompt, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const form = await formBody(ctx);
    const refuse = (status: number, error: string) => {
      ctx.status = status;
      ctx.body = { error };
    };
    if (!isCsrfValid(ctx, form._csrf)) return refuse(400, 'csrf');
    const ceremonyId = it.details.uid;
    if (form.purpose === 'sign_in') {
      if (!effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config)).includes('passkey')) return refuse(403, 'method_unavailable');
      ctx.body = { options: await deps.passkeys.authenticationOptions(it.org.id, { ceremonyId, purpose: 'sign_in', userVerification: 'preferred' }) };
      return;
    }
    if (form.purpose === 'second_factor') {
      const pending = await challengeOf(deps, it);
      if (!pending) return refuse(403, 'not_pending');
      ctx.body = { options: await deps.passkeys.authenticationOptions(it.org.id, { ceremonyId, purpose: 'second_factor', userId: pending.userId }) };
      return;
    }
    if (form.purpose === 'registration') {
      const enrolment = await enrolmentOf(deps, it);
      if (!enrolment) return refuse(403, 'not_pending');
      const actor = accountActor({ id: enrolment.userId, organizationId: it.org.id }, requestOrigin(ctx), 'login');
      try {
        ctx.body = { options: await deps.passkeys.registrationOptions(actor, it.org.id, enrolment.userId, { ceremonyId }) };
      } catch (err) {
        if (!isAppError(err)) throw err;
        refuse(403, err.code);
      }
      return;
    }
    refuse(400, 'invalid_purpose');
  });

  // --- Usernameless sign-in from the login page -----------------------------------------------------

  router.post('/interaction/:uid/passkey/sign-in', renderFailures(deps), loadInteraction(deps, registry), async (ctx: Context) => {
    const it = interactionOf(ctx);
    const form = await formBody(ctx);
    const reject = (key: string, status: number, vars: Record<string, string> = {}) => renderLoginPage(ctx, deps, it, { error: t(it, key, vars) }, status);
    if (!isCsrfValid(ctx, form._csrf)) return reject('errors.csrf', 400);
    if (it.details.prompt.name !== 'login') throw new InteractionFailed('errors.generic', 400);
    const methods = effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config));
    if (!methods.includes('passkey')) {
      await auditDisabledMethod(deps, ctx, it.org, clientIdOf(it), 'passkey', methods);
      return reject('login.method_unavailable', 403);
    }
    // Failed assertions count against the IP like failed passwords (password spraying, spec 50 §7).
    const sprayKey = `${it.org.id}|${ctx.ip}`;
    const decision = await deps.rateLimits.reserve('login_ip_failures', sprayKey, limitContext(ctx, it.org));
    if (!decision.isAllowed) {
      deps.metrics.login('passkey', 'rate_limited');
      ctx.set('Retry-After', String(decision.retryAfter));
      return reject('login.rate_limited', 429, { minutes: minutesOf(decision) });
    }
    let assertion: PasskeyAssertion;
    try {
      assertion = await deps.passkeys.authenticate(it.org.id, {
        ceremonyId: it.details.uid, purpose: 'sign_in', response: responseOf(form), from: requestOrigin(ctx), clientId: clientIdOf(it),
      });
    } catch (err) {
      if (!(err instanceof PasskeyRejected)) throw err;
      deps.metrics.login('passkey', 'failure');
      return reject('passkeys.sign_in_failed', 401);
    }
    await deps.rateLimits.forgive('login_ip_failures', sprayKey);
    // With user verification the passkey is both factors (spec 70 §1); without, the policy's second factor follows.
    await completeFirstFactor(ctx, deps, it, { user: assertion.user, first: asPasskeyUse(assertion), method: 'passkey' });
  });

  // --- The passkey as a second factor ---------------------------------------------------------------

  async function loadChallenge(ctx: Context, next: Next) {
    const pending = await challengeOf(deps, interactionOf(ctx));
    if (!pending) throw new InteractionFailed('passkeys.not_pending', 403);
    ctx.state.passkeyPending = pending;
    await next();
  }

  function renderVerify(ctx: Context, flash: { error?: string } = {}, status = 200): void {
    const it = interactionOf(ctx);
    const pending = ctx.state.passkeyPending as PendingSecondFactor;
    const hasCodes = pending.methods.some((m) => m !== 'passkey');
    renderPage(ctx, deps, it, 'passkey-verify', {
      pageTitle: t(it, 'passkeys.verify.title'),
      passkey: passkeyCeremony(deps, it, 'second_factor'),
      otherMethodsUrl: hasCodes ? `/${it.org.slug}/interaction/${encodeURIComponent(it.details.uid)}/two-factor` : undefined,
      flash,
    }, status);
  }

  router.get('/interaction/:uid/passkey/verify', ...load, loadChallenge, (ctx: Context) => renderVerify(ctx));

  router.post('/interaction/:uid/passkey/verify', ...load, loadChallenge, rejectionsRenderedBy(renderVerify), readForm, checkCsrf, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const pending = ctx.state.passkeyPending as PendingSecondFactor;
    const limitKey = `${it.org.id}|${pending.userId}`;
    throwIfLimited(ctx, await deps.rateLimits.reserve('2fa_verify', limitKey, limitContext(ctx, it.org)));
    let assertion: PasskeyAssertion;
    try {
      assertion = await deps.passkeys.authenticate(it.org.id, {
        ceremonyId: it.details.uid, purpose: 'second_factor', response: responseOf(formOf(ctx)), from: requestOrigin(ctx), clientId: clientIdOf(it),
      });
    } catch (err) {
      if (err instanceof PasskeyRejected) throw new PasskeyPageRejected('passkeys.verify_failed', 401);
      throw err;
    }
    await deps.rateLimits.forgive('2fa_verify', limitKey);
    await finishSignIn(ctx, deps, it, pending, asPasskeyUse(assertion));
  });

  // --- Enrolment: after a password sign-in (skippable), or at a second factor's setup ------------------

  async function loadEnrolment(ctx: Context, next: Next) {
    const enrolment = await enrolmentOf(deps, interactionOf(ctx));
    if (!enrolment) throw new InteractionFailed('passkeys.not_pending', 403);
    ctx.state.passkeyEnrolment = enrolment;
    await next();
  }

  function renderEnrol(ctx: Context, flash: { error?: string } = {}, status = 200): void {
    const it = interactionOf(ctx);
    const enrolment = ctx.state.passkeyEnrolment as Enrolment;
    const isPrompt = enrolment.kind === 'prompt';
    const hasOtherMethods = enrolment.kind === 'setup' && enrolment.pending.methods.some((m) => m !== 'passkey');
    const org = it.org.branding.companyName ?? it.org.name;
    renderPage(ctx, deps, it, 'passkey-enrol', {
      pageTitle: t(it, isPrompt ? 'passkeys.enrol.title' : 'passkeys.setup.title'),
      intro: t(it, isPrompt ? 'passkeys.enrol.intro' : 'passkeys.setup.intro', { org }),
      passkey: passkeyCeremony(deps, it, 'registration'),
      skipAction: isPrompt ? `${passkeyBase(it)}/enrol/skip` : undefined,
      otherMethodsUrl: hasOtherMethods ? `/${it.org.slug}/interaction/${encodeURIComponent(it.details.uid)}/two-factor/setup?method=choose` : undefined,
      flash,
    }, status);
  }

  /** The sign-in the enrolment held back goes on: the prompt's as it was, a setup's with the new passkey as its second factor. */
  async function continueSignIn(ctx: Context, it: Interaction, enrolment: Enrolment, added?: PasskeyUse): Promise<void> {
    if (enrolment.kind === 'prompt') {
      await saveEnrolmentPrompt(deps, it, { ...enrolment.prompt, isAnswered: true });
      return finishSignIn(ctx, deps, it, enrolment.prompt.signIn, enrolment.prompt.second);
    }
    return finishSignIn(ctx, deps, it, enrolment.pending, added && asPasskeyUse(added));
  }

  router.get('/interaction/:uid/passkey/enrol', ...load, loadEnrolment, (ctx: Context) => renderEnrol(ctx));

  router.post('/interaction/:uid/passkey/enrol', ...load, loadEnrolment, rejectionsRenderedBy(renderEnrol), readForm, checkCsrf, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const enrolment = ctx.state.passkeyEnrolment as Enrolment;
    const actor = accountActor({ id: enrolment.userId, organizationId: it.org.id }, requestOrigin(ctx), 'login');
    let added: Awaited<ReturnType<OidcDeps['passkeys']['register']>>;
    try {
      added = await deps.passkeys.register(actor, it.org.id, enrolment.userId, { ceremonyId: it.details.uid, response: responseOf(formOf(ctx)), name: formOf(ctx).name ?? null });
    } catch (err) {
      if (err instanceof PasskeyRegistrationRejected) throw new PasskeyPageRejected('passkeys.registration_failed', 400);
      if (isAppError(err) && err.code === 'passkey_already_registered') throw new PasskeyPageRejected('passkeys.already_registered', 409);
      if (isAppError(err) && err.kind === 'invalid') throw new PasskeyPageRejected('passkeys.name_too_long', 400);
      if (isAppError(err)) throw new InteractionFailed('errors.generic', 403);
      throw err;
    }
    await continueSignIn(ctx, it, enrolment, { isBackedUp: added.passkey.isBackedUp, isUserVerified: added.isUserVerified });
  });

  router.post('/interaction/:uid/passkey/enrol/skip', ...load, loadEnrolment, rejectionsRenderedBy(renderEnrol), readForm, checkCsrf, async (ctx: Context) => {
    const it = interactionOf(ctx);
    const enrolment = ctx.state.passkeyEnrolment as Enrolment;
    if (enrolment.kind !== 'prompt') throw new InteractionFailed('errors.generic', 400);
    await continueSignIn(ctx, it, enrolment);
  });
}
