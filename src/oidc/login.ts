import type { Context, Middleware, Next } from 'koa';
import { accountActor, anonymousActor, systemActor } from '../actors/index.js';
import { formBody, isCsrfValid } from '../pages/index.js';
import type { Metrics } from '../platform/metrics.js';
import type { RateLimitDecision } from '../rate-limits/index.js';
import type { AuthenticateResult, User } from '../users/index.js';
import { auditDisabledMethod } from './account-pages.js';
import { limitContext } from './endpoint-limits.js';
import {
  InteractionFailed,
  effectiveMethods,
  isMailDeliverable,
  interactionOf,
  loadInteraction,
  renderFailures,
  renderLoginPage,
} from './interaction.js';
import type { ProviderRegistry } from './registry.js';
import { completeFirstFactor } from './second-factor.js';
import type { OidcDeps } from './types.js';

/** Answered with the login page again, showing this message; the e-mail stays filled in. */
export class LoginRejected extends Error {
  constructor(
    readonly messageKey: string,
    readonly status: number,
    readonly vars: Record<string, string> = {},
  ) {
    super(messageKey);
    this.name = 'LoginRejected';
  }
}

interface LoginAttempt {
  form: Record<string, string>;
  email: string;
  /** Spec 50 §7: org + IP + e-mail (hashed by the limiter), cleared by a successful login. */
  limitKey: string;
  /** Failed sign-ins from one IP across all e-mails of the organization (password spraying). */
  sprayKey: string;
  result: AuthenticateResult;
  /** Who signed in, once the password was accepted. */
  user: User;
}

/** Each step runs after the ones that fill what it reads. */
const attemptOf = (ctx: Context) => ctx.state.login as LoginAttempt;

/**
 * `POST /{org}/interaction/{uid}/login`, password sign-in (spec 50 §7-§10, spec 60 §1): one step per
 * check, in order. A step continues, or throws LoginRejected (the login page with a message) or
 * InteractionFailed (the error page). A wrong password, an unknown e-mail and an unusable account take
 * the same path from `verifyPassword` on, so their pages differ only in the e-mail and CSRF token shown.
 */
export function passwordLoginSteps(deps: OidcDeps, registry: ProviderRegistry): Middleware[] {
  return [
    renderFailures(deps),

    async function renderRejections(ctx: Context, next: Next) {
      try {
        await next();
      } catch (err) {
        if (!(err instanceof LoginRejected)) throw err;
        const it = interactionOf(ctx);
        renderLoginPage(ctx, deps, it, { error: deps.i18n.t(it.locale, err.messageKey, err.vars, it.org.slug), email: attemptOf(ctx).email }, err.status);
      }
    },

    loadInteraction(deps, registry),

    async function readLoginForm(ctx: Context, next: Next) {
      const form = await formBody(ctx);
      ctx.state.login = { form, email: (form.email ?? '').trim().slice(0, 320) };
      await next();
    },

    async function checkCsrf(ctx: Context, next: Next) {
      if (!isCsrfValid(ctx, attemptOf(ctx).form._csrf)) throw new LoginRejected('errors.csrf', 400);
      await next();
    },

    async function checkLoginPrompt(ctx: Context, next: Next) {
      if (interactionOf(ctx).details.prompt.name !== 'login') throw new InteractionFailed('errors.generic', 400);
      await next();
    },

    async function checkPasswordMethod(ctx: Context, next: Next) {
      const it = interactionOf(ctx);
      const methods = effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config));
      if (!methods.includes('password')) {
        await auditDisabledMethod(deps, ctx, it.org, String(it.details.params.client_id ?? '') || null, 'password', methods);
        throw new LoginRejected('login.method_unavailable', 403);
      }
      await next();
    },

    async function limitAttempts(ctx: Context, next: Next) {
      const { org } = interactionOf(ctx);
      const attempt = attemptOf(ctx);
      attempt.limitKey = `${org.id}|${ctx.ip}|${attempt.email.toLowerCase()}`;
      throwIfLimited(ctx, deps.metrics, await deps.rateLimits.hit('login', attempt.limitKey, limitContext(ctx, org)));
      await next();
    },

    // Reserved before the password is checked, so concurrent attempts cannot overshoot; a success gives it back.
    async function limitFailuresPerIp(ctx: Context, next: Next) {
      const { org } = interactionOf(ctx);
      const attempt = attemptOf(ctx);
      attempt.sprayKey = `${org.id}|${ctx.ip}`;
      throwIfLimited(ctx, deps.metrics, await deps.rateLimits.reserve('login_ip_failures', attempt.sprayKey, limitContext(ctx, org)));
      await next();
    },

    async function verifyPassword(ctx: Context, next: Next) {
      const attempt = attemptOf(ctx);
      attempt.result = await deps.users.authenticate(interactionOf(ctx).org.id, attempt.email, attempt.form.password ?? '');
      await next();
    },

    async function auditAttempt(ctx: Context, next: Next) {
      await auditLogin(deps, ctx, attemptOf(ctx).result);
      await next();
    },

    async function rejectFailedAttempt(ctx: Context, next: Next) {
      const attempt = attemptOf(ctx);
      if (!attempt.result.ok) {
        // Never why: on a quiet server a public /metrics would tell whether an e-mail exists (the audit log says why).
        deps.metrics.login('password', 'failure');
        if (attempt.result.locked) deps.metrics.lockout();
        deps.log.info({ org: interactionOf(ctx).org.slug, reason: attempt.result.reason }, 'user.login.password.failed');
        throw new LoginRejected('login.invalid_credentials', 401);
      }
      attempt.user = attempt.result.user;
      await next();
    },

    async function clearAttempts(ctx: Context, next: Next) {
      const attempt = attemptOf(ctx);
      await Promise.all([deps.rateLimits.reset('login', attempt.limitKey), deps.rateLimits.forgive('login_ip_failures', attempt.sprayKey)]);
      await next();
    },

    // Spec 60 §2 steps 8-9: the second factor the policy asks for, else the login is recorded and finished.
    async function completeLogin(ctx: Context) {
      await completeFirstFactor(ctx, deps, interactionOf(ctx), { user: attemptOf(ctx).user, first: 'pwd', method: 'password' });
    },
  ];
}

/** Over a limit: the login page again with a localized message, 429 and `Retry-After`. */
function throwIfLimited(ctx: Context, metrics: Metrics, decision: RateLimitDecision): void {
  if (decision.isAllowed) return;
  metrics.login('password', 'rate_limited');
  ctx.set('Retry-After', String(decision.retryAfter));
  throw new LoginRejected('login.rate_limited', 429, { minutes: String(Math.max(1, Math.ceil(decision.retryAfter / 60))) });
}

/** Security events of a password attempt (spec 50 §9-§10); the e-mail is never recorded. */
async function auditLogin(deps: OidcDeps, ctx: Context, result: AuthenticateResult): Promise<void> {
  const it = interactionOf(ctx);
  const from = { ip: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined };
  const base = { organizationId: it.org.id, targetType: 'user' };
  const clientId = String(it.details.params.client_id ?? '');
  const userId = result.ok ? result.user.id : (result.userId ?? null);
  const anonymous = anonymousActor(from, 'login');
  if (result.unlockedAfterCooldown && userId) {
    await deps.audit.recordSafely(systemActor('login'), { ...base, eventType: 'user.unlocked', eventCategory: 'security', userId, targetId: userId, metadata: { trigger: 'cooldown_elapsed' } });
  }
  if (result.ok) {
    const actor = accountActor(result.user, from, 'login');
    await deps.audit.recordSafely(actor, { ...base, eventType: 'user.login.password.success', eventCategory: 'authentication', userId, targetId: userId, metadata: { clientId } });
    return;
  }
  await deps.audit.recordSafely(anonymous, {
    ...base, eventType: 'user.login.password.failed', eventCategory: 'authentication', userId, targetId: userId,
    description: 'Password sign-in failed.', metadata: { clientId, reason: result.reason },
  });
  if (result.locked && userId) {
    // An automatic lock stops new sign-ins only: ending live sessions here would let anyone who knows an
    // address log its owner out by failing a few times. Admin locks and suspensions end them.
    await deps.audit.recordSafely(systemActor('login'), {
      ...base, eventType: 'user.locked', eventCategory: 'security', userId, targetId: userId,
      metadata: { trigger: 'auto_lockout', failedCount: result.failedCount, threshold: result.threshold },
    });
  }
}
