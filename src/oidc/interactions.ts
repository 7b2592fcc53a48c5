import Router from '@koa/router';
import querystring from 'node:querystring';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { issueCsrfToken, isCsrfValid } from '../http/pages/csrf.js';
import { rawBody } from '../http/body.js';
import { brandingOf, htmlCsp, localeOf } from './pages.js';
import type { OidcDeps, Organization } from './types.js';
import type { ProviderRegistry } from './registry.js';
import { deleteExpired } from './adapter-pg.js';
import type { AuthenticateResult } from '../users/index.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface Interaction {
  provider: Provider;
  details: Details;
  org: Organization;
  locale: string;
  clientMeta: Record<string, unknown>;
}

async function formBody(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  const raw = await rawBody(ctx);
  const parsed = querystring.parse(raw.toString('utf8'));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) out[k] = Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  return out;
}

function redirectOrigins(meta: Record<string, unknown>): string[] {
  const uris = (meta.redirect_uris as string[] | undefined) ?? [];
  return [...new Set(uris.flatMap((u) => {
    try {
      return [new URL(u).origin];
    } catch {
      return [];
    }
  }))];
}

/** Effective login methods: the client's own list, else the organization's (spec 60 §1). */
function effectiveMethods(org: Organization, meta: Record<string, unknown>): string[] {
  const porta = meta.porta as { login_methods?: string[] | null } | undefined;
  return porta?.login_methods ?? org.defaultLoginMethods;
}

/** Login and consent pages of one organization's issuer: /{org}/interaction/{uid}… */
export function interactionRoutes(deps: OidcDeps, registry: ProviderRegistry): Router {
  const router = new Router();

  const load = async (ctx: Context): Promise<Interaction | null> => {
    const org = ctx.state.org as Organization;
    const provider = await registry.providerFor(org);
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      renderError(ctx, deps, org, 'error.interaction_expired', 400);
      return null;
    }
    if (details.uid !== ctx.params.uid) {
      renderError(ctx, deps, org, 'error.interaction_expired', 400);
      return null;
    }
    const clientId = String(details.params.client_id ?? '');
    const client = await provider.Client.find(clientId);
    const locale = localeOf(deps, ctx, org, details.params.ui_locales);
    return { provider, details, org, locale, clientMeta: client?.metadata() ?? {} };
  };

  const page = (ctx: Context, it: Interaction, name: string, data: Record<string, unknown>, status = 200) => {
    const cookiePath = `/${it.org.slug}`;
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', htmlCsp(redirectOrigins(it.clientMeta)));
    ctx.body = deps.renderer.render(name, {
      locale: it.locale,
      branding: brandingOf(it.org),
      clientName: (it.clientMeta.client_name as string | undefined) ?? String(it.details.params.client_id),
      csrf: issueCsrfToken(ctx, cookiePath),
      ...data,
    });
  };

  const loginPage = (ctx: Context, it: Interaction, extra: { error?: string; email?: string } = {}, status = 200) => {
    const methods = effectiveMethods(it.org, it.clientMeta);
    const base = `/${it.org.slug}/interaction/${it.details.uid}`;
    const hint = typeof it.details.params.login_hint === 'string' ? it.details.params.login_hint.slice(0, 320) : '';
    page(ctx, it, 'login', {
      title: deps.i18n.t(it.locale, 'common.title'),
      action: `${base}/login`,
      magicLinkAction: `${base}/magic-link`,
      forgotPasswordUrl: `/${it.org.slug}/auth/forgot-password?interaction=${encodeURIComponent(it.details.uid)}`,
      hasPassword: methods.includes('password'),
      // Magic links and password reset arrive with the account-flows work; until then the page offers neither.
      hasMagicLink: false,
      hasForgotPassword: false,
      email: extra.email ?? hint,
      error: extra.error,
    }, status);
  };

  const consentPage = (ctx: Context, it: Interaction, email: string) => {
    const base = `/${it.org.slug}/interaction/${it.details.uid}`;
    const prompt = it.details.prompt as { details: { missingOIDCScope?: string[] } };
    const scopes = (prompt.details.missingOIDCScope ?? String(it.details.params.scope ?? '').split(' '))
      .filter(Boolean)
      .map((s) => deps.i18n.t(it.locale, `scope.${s}`));
    page(ctx, it, 'consent', {
      title: deps.i18n.t(it.locale, 'consent.title', { client: String(it.clientMeta.client_name ?? '') }),
      confirmAction: `${base}/consent/confirm`,
      abortAction: `${base}/abort`,
      scopes,
      email,
    });
  };

  /** Records exactly what the request needs (spec 10 §7) and returns the grant id. */
  const saveGrant = async (it: Interaction): Promise<string> => {
    const { provider, details } = it;
    const prompt = details.prompt as { details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> } };
    const accountId = details.session?.accountId;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new Error('grant vanished during consent');
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    return grant.save();
  };

  /** Security events of a password attempt (spec 50 §9-§10); the e-mail is never recorded. */
  const auditLogin = async (ctx: Context, it: Interaction, result: AuthenticateResult) => {
    const base = { organizationId: it.org.id, ipAddress: ctx.ip, userAgent: ctx.get('User-Agent') || null, targetType: 'user' };
    const clientId = String(it.details.params.client_id ?? '');
    const userId = result.ok ? result.user.id : (result.userId ?? null);
    if (result.unlockedAfterCooldown && userId) {
      await deps.audit.recordSafely({ ...base, eventType: 'user.unlocked', eventCategory: 'security', userId, targetId: userId, metadata: { trigger: 'cooldown_elapsed' } });
    }
    if (result.ok) {
      await deps.audit.recordSafely({ ...base, eventType: 'user.login.password.success', eventCategory: 'authentication', userId, targetId: userId, metadata: { clientId } });
      return;
    }
    await deps.audit.recordSafely({
      ...base, eventType: 'user.login.password.failed', eventCategory: 'authentication', userId, targetId: userId,
      description: 'Password sign-in failed.', metadata: { clientId, reason: result.reason },
    });
    if (result.locked && userId) {
      // An automatically locked account keeps no session elsewhere either (issue 5).
      await deps.sessions.revokeAllForUser(userId).catch((err: unknown) => deps.log.warn({ err }, 'session.revoke_failed'));
      await deps.audit.recordSafely({
        ...base, eventType: 'user.locked', eventCategory: 'security', userId, targetId: userId,
        metadata: { trigger: 'auto_lockout', failedCount: result.failedCount, threshold: result.threshold },
      });
    }
  };

  const finish = async (ctx: Context, it: Interaction, result: Record<string, unknown>) => {
    const to = await it.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(to);
  };

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

  router.get('/interaction/:uid', async (ctx) => {
    const it = await load(ctx);
    if (!it) return;
    if (it.details.prompt.name === 'login') {
      purgeExpiredSoon();
      return loginPage(ctx, it);
    }
    if (it.details.prompt.name === 'consent') {
      const porta = it.clientMeta.porta as { require_consent?: boolean } | undefined;
      if (!porta?.require_consent) {
        const grantId = await saveGrant(it);
        return finish(ctx, it, { consent: { grantId } });
      }
      const user = await deps.users.findById(it.org.id, String(it.details.session?.accountId));
      return consentPage(ctx, it, user?.email ?? '');
    }
    renderError(ctx, deps, it.org, 'error.generic', 400);
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const it = await load(ctx);
    if (!it) return;
    const body = await formBody(ctx);
    const email = (body.email ?? '').trim().slice(0, 320);
    if (!isCsrfValid(ctx, body._csrf)) return loginPage(ctx, it, { error: deps.i18n.t(it.locale, 'error.csrf'), email }, 400);
    if (it.details.prompt.name !== 'login') return renderError(ctx, deps, it.org, 'error.generic', 400);
    if (!effectiveMethods(it.org, it.clientMeta).includes('password')) {
      return loginPage(ctx, it, { error: deps.i18n.t(it.locale, 'login.method_unavailable'), email }, 403);
    }
    // Spec 50 §7: org + IP + e-mail (hashed by the limiter), cleared by a successful login.
    const limitKey = `${it.org.id}|${ctx.ip}|${email.toLowerCase()}`;
    const limit = await deps.rateLimits.hit('login', limitKey, { organizationId: it.org.id, ipAddress: ctx.ip });
    if (!limit.isAllowed) {
      ctx.set('Retry-After', String(limit.retryAfter));
      const minutes = Math.max(1, Math.ceil(limit.retryAfter / 60));
      return loginPage(ctx, it, { error: deps.i18n.t(it.locale, 'login.rate_limited', { minutes: String(minutes) }), email }, 429);
    }
    const result = await deps.users.authenticate(it.org.id, email, body.password ?? '');
    await auditLogin(ctx, it, result);
    if (!result.ok) {
      deps.log.info({ org: it.org.slug, reason: result.reason }, 'user.login.password.failed');
      return loginPage(ctx, it, { error: deps.i18n.t(it.locale, 'login.invalid_credentials'), email }, 401);
    }
    await deps.rateLimits.reset('login', limitKey);
    await deps.users.recordLogin(it.org.id, result.user.id);
    return finish(ctx, it, { login: { accountId: result.user.id, amr: ['pwd'], remember: true } });
  });

  router.post('/interaction/:uid/consent/confirm', async (ctx) => {
    const it = await load(ctx);
    if (!it) return;
    if (!isCsrfValid(ctx, (await formBody(ctx))._csrf)) return renderError(ctx, deps, it.org, 'error.csrf', 400);
    if (it.details.prompt.name !== 'consent') return renderError(ctx, deps, it.org, 'error.generic', 400);
    const grantId = await saveGrant(it);
    return finish(ctx, it, { consent: { grantId } });
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    const it = await load(ctx);
    if (!it) return;
    if (!isCsrfValid(ctx, (await formBody(ctx))._csrf)) return renderError(ctx, deps, it.org, 'error.csrf', 400);
    return finish(ctx, it, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  });

  return router;
}

export function renderError(ctx: Context, deps: OidcDeps, org: Organization, messageKey: string, status: number, code?: string): void {
  const locale = localeOf(deps, ctx, org);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.renderer.render('error', {
    locale,
    branding: brandingOf(org),
    title: deps.i18n.t(locale, 'error.title'),
    message: deps.i18n.t(locale, messageKey),
    code,
  });
}
