import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_PORTAL_CLIENT_ID } from '../clients/index.js';
import { htmlCsp, issueCsrfToken, originsOf } from '../pages/index.js';
import { brandingOf, localeOf, renderErrorPage } from './pages.js';
import { signInMethods } from '../organizations/index.js';
import type { OidcDeps, Organization } from './types.js';
import type { ProviderRegistry } from './registry.js';
import { passkeyCeremony } from './passkey-pages.js';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** One login or consent interaction of an organization's engine, as its pages need it. */
export interface Interaction {
  provider: Provider;
  details: Details;
  org: Organization;
  locale: string;
  clientMeta: Record<string, unknown>;
}

/** Answered with the error page: the interaction expired, or the request does not fit its prompt. */
export class InteractionFailed extends Error {
  constructor(
    readonly messageKey: string,
    readonly status: number,
  ) {
    super(messageKey);
    this.name = 'InteractionFailed';
  }
}

/** Step: renders an InteractionFailed thrown by any later step as the organization's error page. */
export function renderFailures(deps: OidcDeps): Middleware {
  return async function renderInteractionFailures(ctx: Context, next: Next) {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof InteractionFailed)) throw err;
      renderErrorPage(ctx, deps, ctx.state.org as Organization, err.messageKey, err.status);
    }
  };
}

/** Step: finds the engine's interaction named by the path and its client; in `ctx.state.interaction`. */
export function loadInteraction(deps: OidcDeps, registry: ProviderRegistry): Middleware {
  return async function loadInteractionDetails(ctx: Context, next: Next) {
    const org = ctx.state.org as Organization;
    const provider = await registry.providerFor(org);
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      throw new InteractionFailed('errors.interaction_expired', 400);
    }
    if (details.uid !== ctx.params.uid) throw new InteractionFailed('errors.interaction_expired', 400);
    const client = await provider.Client.find(String(details.params.client_id ?? ''));
    const locale = localeOf(deps, ctx, org, details.params.ui_locales);
    const interaction: Interaction = { provider, details, org, locale, clientMeta: client?.metadata() ?? {} };
    ctx.state.interaction = interaction;
    await next();
  };
}

export function interactionOf(ctx: Context): Interaction {
  return ctx.state.interaction as Interaction;
}

/** Mail reaches people: SMTP is configured, or the development outbox outside production. */
export function isMailDeliverable(config: OidcDeps['config']): boolean {
  return config.smtp.host !== undefined || config.env !== 'production';
}

/** The organizations domain's rule (`signInMethods`), read from the engine's client metadata. */
export function effectiveMethods(org: Organization, meta: Record<string, unknown>, isMailUsable = true): string[] {
  const porta = meta.porta as { login_methods?: string[] | null } | undefined;
  return signInMethods(org, porta?.login_methods, isMailUsable);
}

/** A page of the interaction: its client, branding, language and a fresh CSRF token. */
export function renderPage(ctx: Context, deps: OidcDeps, it: Interaction, name: string, data: Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  // The form's answer redirects to the client, which browsers check against form-action too. A passkey
  // ceremony's script fetches its WebAuthn options from Porta (passkey-pages.ts).
  ctx.set('Content-Security-Policy', htmlCsp(originsOf(it.clientMeta.redirect_uris), [], { canFetchSelf: data.passkey !== undefined }));
  const clientName = (it.clientMeta.client_name as string | undefined) ?? String(it.details.params.client_id);
  ctx.body = deps.renderer.render(name, {
    locale: it.locale,
    orgSlug: it.org.slug,
    branding: brandingOf(it.org),
    interaction: { uid: it.details.uid, prompt: it.details.prompt.name, clientName },
    clientName,
    csrfToken: issueCsrfToken(ctx, `/${it.org.slug}`),
    ...data,
  });
}

export function renderLoginPage(ctx: Context, deps: OidcDeps, it: Interaction, extra: { error?: string; email?: string } = {}, status = 200): void {
  const methods = effectiveMethods(it.org, it.clientMeta, isMailDeliverable(deps.config));
  const base = `/${it.org.slug}/interaction/${it.details.uid}`;
  const hint = typeof it.details.params.login_hint === 'string' ? it.details.params.login_hint.slice(0, 320) : '';
  const showPassword = methods.includes('password');
  const showMagicLink = methods.includes('magic_link');
  // Spec 70 §1: usernameless sign-in, and passkeys offered in the e-mail field's autofill (conditional UI).
  const passkey = methods.includes('passkey') ? passkeyCeremony(deps, it, 'sign_in', { isPrimary: !showPassword, isConditional: showPassword || showMagicLink }) : undefined;
  renderPage(ctx, deps, it, 'login', {
    pageTitle: deps.i18n.t(it.locale, 'common.title', {}, it.org.slug),
    action: `${base}/login`,
    magicLinkAction: `${base}/magic-link`,
    forgotPasswordUrl: `/${it.org.slug}/auth/forgot-password?interaction=${encodeURIComponent(it.details.uid)}`,
    loginMethods: methods,
    showPassword,
    showMagicLink,
    showDivider: showPassword && showMagicLink,
    showForgotPassword: showPassword,
    showEmailForm: showPassword || showMagicLink,
    // Spec 70 §2: the organization's account portal, unless this sign-in is the portal's own.
    accountPortalUrl: it.org.accountPortalEnabled && it.details.params.client_id !== ACCOUNT_PORTAL_CLIENT_ID ? `/${it.org.slug}/account` : undefined,
    passkey,
    email: extra.email ?? hint,
    flash: { error: extra.error },
  }, status);
}

export function renderConsentPage(ctx: Context, deps: OidcDeps, it: Interaction, email: string): void {
  const base = `/${it.org.slug}/interaction/${it.details.uid}`;
  const prompt = it.details.prompt as { details: { missingOIDCScope?: string[] } };
  const scopes = (prompt.details.missingOIDCScope ?? String(it.details.params.scope ?? '').split(' '))
    .filter(Boolean)
    .map((s) => deps.i18n.t(it.locale, `consent.scopes.${s}`, {}, it.org.slug));
  renderPage(ctx, deps, it, 'consent', {
    pageTitle: deps.i18n.t(it.locale, 'consent.title', { client: String(it.clientMeta.client_name ?? '') }, it.org.slug),
    confirmAction: `${base}/consent/confirm`,
    abortAction: `${base}/abort`,
    scopes,
    email,
  });
}

/** Records exactly what the request needs (spec 10 §7) and returns the grant id. */
export async function saveGrant(it: Interaction): Promise<string> {
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
}

/** Hands the interaction's result back to the engine, which continues the authorization request. */
export async function finishInteraction(ctx: Context, it: Interaction, result: Record<string, unknown>): Promise<void> {
  const to = await it.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(to);
}
