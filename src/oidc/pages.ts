import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { htmlCsp, originsOf, scriptHash } from '../pages/index.js';
import { currentTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

/** Branding of an organization's pages, with Porta's defaults. */
export function brandingOf(org: Organization) {
  return {
    companyName: org.branding.companyName ?? org.name,
    primaryColor: org.branding.primaryColor ?? '#2563eb',
    logoUrl: org.branding.logoUrl,
    faviconUrl: org.branding.faviconUrl,
    customCss: org.branding.customCss,
  };
}

/**
 * Spec 60 §11: the page's language. Before `Accept-Language` come the given `ui_locales`, else what the
 * route put in `ctx.state.pageLocales` (the `ui_locales` of the login a page was reached from, the
 * locale of the user an e-mailed link is for).
 */
export function localeOf(deps: OidcDeps, ctx: { get(name: string): string; query?: Record<string, unknown>; state?: { pageLocales?: unknown } }, org: Organization, uiLocales?: unknown): string {
  const preferred = typeof uiLocales === 'string' ? uiLocales : ctx.state?.pageLocales;
  return deps.i18n.resolve([typeof preferred === 'string' ? preferred : undefined, ctx.get('Accept-Language'), org.defaultLocale]);
}

/** The organization as its pages show it (tenant.ts resolved it for this request), else the one in scope. */
export function currentOrg(ctx: KoaContextWithOIDC): Organization {
  return (ctx.state?.org as Organization | undefined) ?? currentTenant().org;
}

const AUTO_SUBMIT =
  "var f=document.getElementById('op.logoutForm');var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();";

interface HintPayload {
  sub?: unknown;
  iat?: unknown;
  sid?: unknown;
}

/**
 * Whether the id_token_hint names this browser's session (OIDC RP-Initiated Logout 1.0 §2), so the
 * page may sign out without asking. By the time the page renders, the engine has verified the hint's
 * signature, issuer and audience (a forged or foreign hint is an error page, never a sign-out); like the
 * engine, and as §2 recommends, its expiry is not held against it. It must still be about this session:
 * the same subject, a client this session signed in to (with the same `sid` when the token carries one),
 * and issued at or after this session's sign-in, so an older token of the user (expired or not) only
 * brings up the confirmation page.
 */
export function isHintForThisSession(ctx: KoaContextWithOIDC): boolean {
  const hint = ctx.oidc.entities.IdTokenHint as { payload?: HintPayload } | undefined;
  const session = ctx.oidc.session;
  const clientId = ctx.oidc.client?.clientId;
  if (!hint?.payload || !session?.accountId || !clientId) return false;
  const { sub, iat, sid } = hint.payload;
  if (sub !== session.accountId) return false;
  const authorization = session.authorizations?.[clientId] as { sid?: string } | undefined;
  if (!authorization) return false;
  if (sid !== undefined && sid !== authorization.sid) return false;
  return typeof iat === 'number' && typeof session.loginTs === 'number' && iat >= session.loginTs;
}

/**
 * Seed 001 logout page: "Sign out" submits the engine's form with logout=yes (total cleanup);
 * "Return to application" is a plain link to the validated post-logout redirect. With an
 * id_token_hint of this very session the page signs out by itself (no confirmation step).
 */
export function logoutSource(deps: OidcDeps) {
  return async (ctx: KoaContextWithOIDC, form: string) => {
    const org = currentOrg(ctx);
    const params = ctx.oidc.params ?? {};
    const client = ctx.oidc.client;
    let returnUrl: string | undefined;
    const redirect = params.post_logout_redirect_uri as string | undefined;
    if (client && redirect && client.postLogoutRedirectUriAllowed(redirect)) {
      const u = new URL(redirect);
      if (params.state) u.searchParams.set('state', String(params.state));
      returnUrl = u.toString();
    }
    const autoSubmit = isHintForThisSession(ctx) ? AUTO_SUBMIT : undefined;
    const locale = localeOf(deps, ctx, org, params.ui_locales);
    const postLogoutOrigins = originsOf(client?.metadata().post_logout_redirect_uris);
    ctx.set('Content-Security-Policy', htmlCsp(postLogoutOrigins, autoSubmit ? [scriptHash(autoSubmit)] : []));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.renderer.render('logout', {
      locale,
      orgSlug: org.slug,
      branding: brandingOf(org),
      pageTitle: deps.i18n.t(locale, 'logout.title', {}, org.slug),
      clientName: client?.metadata().client_name as string | undefined,
      logoutForm: form,
      returnUrl,
      autoSubmit,
    });
  };
}

export function postLogoutSuccessSource(deps: OidcDeps) {
  return async (ctx: KoaContextWithOIDC) => {
    const org = currentOrg(ctx);
    const locale = localeOf(deps, ctx, org);
    ctx.type = 'html';
    ctx.body = deps.renderer.render('logout-success', { locale, orgSlug: org.slug, branding: brandingOf(org), pageTitle: deps.i18n.t(locale, 'logout.success_title', {}, org.slug) });
  };
}

/** Browser-facing engine errors: the OIDC error code and a generic sentence, never the description. */
export function renderError(deps: OidcDeps) {
  return async (ctx: KoaContextWithOIDC, out: { error: string }, _error: Error) => {
    const org = currentOrg(ctx);
    const locale = localeOf(deps, ctx, org);
    const isStaleSession = out.error === 'invalid_request' && /session/i.test(String((_error as { error_description?: string }).error_description ?? ''));
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.renderer.render('error', {
      locale,
      orgSlug: org.slug,
      branding: brandingOf(org),
      pageTitle: deps.i18n.t(locale, 'errors.title', {}, org.slug),
      errorMessage: deps.i18n.t(locale, isStaleSession ? 'errors.session_invalid' : 'errors.generic', {}, org.slug),
      errorCode: out.error,
    });
  };
}

/** Porta's own error page for an organization's browser routes (an expired interaction, a suspended organization). */
export function renderErrorPage(ctx: Context, deps: OidcDeps, org: Organization, messageKey: string, status: number, code?: string): void {
  const locale = localeOf(deps, ctx, org);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.renderer.render('error', {
    locale,
    orgSlug: org.slug,
    branding: brandingOf(org),
    pageTitle: deps.i18n.t(locale, 'errors.title', {}, org.slug),
    errorMessage: deps.i18n.t(locale, messageKey, {}, org.slug),
    errorCode: code,
  });
}

/** A browser route under a slug that names no organization: unbranded, in the browser's language. */
export function renderNotFoundPage(ctx: Context, deps: OidcDeps): void {
  const locale = deps.i18n.resolve([ctx.get('Accept-Language')]);
  ctx.status = 404;
  ctx.type = 'html';
  ctx.body = deps.renderer.render('error', {
    locale,
    branding: { companyName: '', primaryColor: '#2563eb' },
    pageTitle: deps.i18n.t(locale, 'errors.title'),
    errorMessage: deps.i18n.t(locale, 'errors.not_found'),
  });
}
