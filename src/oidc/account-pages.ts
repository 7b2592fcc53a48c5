import Router from '@koa/router';
import type { Context } from 'koa';
import { anonymousActor, type RequestOrigin } from '../actors/index.js';
import { formBody, htmlCsp, isCsrfValid, issueCsrfToken } from '../pages/index.js';
import type { RateLimitScope } from '../rate-limits/index.js';
import type { ResetOrigin } from '../users/index.js';
import { limitContext } from './endpoint-limits.js';
import { effectiveMethods, isMailDeliverable } from './interaction.js';
import { brandingOf, localeOf, renderErrorPage } from './pages.js';
import type { ProviderRegistry } from './registry.js';
import type { OidcDeps, Organization } from './types.js';

/** Messages shown for a refused password, by the policy's problem code (users/password-policy.ts). */
const PASSWORD_MESSAGES: Readonly<Record<string, string>> = {
  mismatch: 'common.password.mismatch',
  too_short: 'common.password.too_short',
  too_long: 'common.password.too_long',
  too_common: 'common.password.too_common',
  same_as_email: 'common.password.same_as_email',
  same_as_organization: 'common.password.same_as_organization',
};

export const requestOrigin = (ctx: Context): RequestOrigin => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined });

export const flowOrg = (org: Organization) => ({ id: org.id, slug: org.slug, name: org.name, companyName: org.branding.companyName });

/** A branded account page of the organization (no interaction needed); `form: true` issues a CSRF token (`csrfToken`). */
export function renderAccountPage(ctx: Context, deps: OidcDeps, org: Organization, name: string, data: Record<string, unknown>, status = 200, form = false): void {
  const locale = localeOf(deps, ctx, org);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', htmlCsp([]));
  ctx.body = deps.renderer.render(name, {
    locale,
    branding: brandingOf(org),
    orgSlug: org.slug,
    ...(form ? { csrfToken: issueCsrfToken(ctx, `/${org.slug}`) } : {}),
    ...data,
  });
}

/** What a page reached with `?interaction={uid}` takes from that login; a stale or foreign interaction counts as none. */
export interface LoginOrigin {
  /** Spec 60 §1: the client's effective methods, or the organization's on a page reached on its own. */
  methods: string[];
  /** The client of the organization the login is for, and that login's uid; both null without one. */
  clientId: string | null;
  interactionUid: string | null;
  /** Spec 60 §11: the login's `ui_locales`, which the page follows before `Accept-Language`. */
  uiLocales: string | undefined;
}

/** Looks the interaction up in the organization (never trusting more of the request than its uid). */
export async function methodsFor(deps: OidcDeps, registry: ProviderRegistry, org: Organization, uid: unknown): Promise<LoginOrigin> {
  const isMailUsable = isMailDeliverable(deps.config);
  if (typeof uid !== 'string' || uid === '' || uid.length > 128) return { methods: effectiveMethods(org, {}, isMailUsable), clientId: null, interactionUid: null, uiLocales: undefined };
  const provider = await registry.providerFor(org);
  const interaction = await provider.Interaction.find(uid).catch(() => undefined);
  const clientId = interaction ? String(interaction.params.client_id ?? '') : '';
  const client = clientId ? await provider.Client.find(clientId).catch(() => undefined) : undefined;
  const uiLocales = typeof interaction?.params.ui_locales === 'string' ? interaction.params.ui_locales : undefined;
  return { methods: effectiveMethods(org, client?.metadata() ?? {}, isMailUsable), clientId: client ? clientId : null, interactionUid: client ? uid : null, uiLocales };
}

/** Spec 60 §1: a disabled method is refused (403) and audited `security.login_method_disabled`. */
export async function auditDisabledMethod(deps: OidcDeps, ctx: Context, org: Organization, clientId: string | null, attemptedMethod: string, methods: string[]): Promise<void> {
  await deps.audit.recordSafely(anonymousActor(requestOrigin(ctx), 'login'), {
    eventType: 'security.login_method_disabled', eventCategory: 'security', organizationId: org.id, targetType: 'client', targetId: clientId,
    metadata: { clientId, attemptedMethod, effectiveMethods: methods },
  });
}

/** Counts one request; false (and the 429 page with `Retry-After`) when over the limit. */
export async function isWithinLimit(deps: OidcDeps, ctx: Context, org: Organization, scope: RateLimitScope, email: string, render: (message: string) => void): Promise<boolean> {
  const decision = await deps.rateLimits.hit(scope, `${org.id}|${email.toLowerCase()}`, limitContext(ctx, org));
  if (decision.isAllowed) return true;
  ctx.set('Retry-After', String(decision.retryAfter));
  render(deps.i18n.t(localeOf(deps, ctx, org), 'login.rate_limited', { minutes: String(Math.max(1, Math.ceil(decision.retryAfter / 60))) }, org.slug));
  ctx.status = 429;
  return false;
}

const emailOf = (form: Record<string, string>) => (form.email ?? '').trim().slice(0, 320);

/** `/{org}/auth/forgot-password` and `/{org}/auth/reset-password/{token}` (spec 60 §5). */
export function passwordResetRoutes(deps: OidcDeps, registry: ProviderRegistry): Router {
  const router = new Router();
  const t = (ctx: Context, org: Organization, key: string) => deps.i18n.t(localeOf(deps, ctx, org), key, {}, org.slug);

  function forgotForm(ctx: Context, org: Organization, data: { email?: string; error?: string; interaction?: string }, status = 200) {
    const query = data.interaction ? `?interaction=${encodeURIComponent(data.interaction)}` : '';
    renderAccountPage(ctx, deps, org, 'forgot-password', {
      pageTitle: t(ctx, org, 'forgot-password.title'), action: `/${org.slug}/auth/forgot-password${query}`,
      loginUrl: data.interaction ? `/${org.slug}/interaction/${encodeURIComponent(data.interaction)}` : undefined,
      email: data.email, flash: { error: data.error },
    }, status, true);
  }

  /** The login the page was reached from; its `ui_locales` become the page's language (`localeOf`). */
  async function loginOrigin(ctx: Context, org: Organization, interaction: string | undefined): Promise<LoginOrigin> {
    const origin = await methodsFor(deps, registry, org, interaction);
    ctx.state.pageLocales = origin.uiLocales;
    return origin;
  }

  router.get('/auth/forgot-password', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const interaction = typeof ctx.query.interaction === 'string' ? ctx.query.interaction : undefined;
    const { methods } = await loginOrigin(ctx, org, interaction);
    if (!methods.includes('password')) return renderErrorPage(ctx, deps, org, 'login.method_unavailable', 403, 'login_method_disabled');
    forgotForm(ctx, org, { interaction });
  });

  router.post('/auth/forgot-password', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const interaction = typeof ctx.query.interaction === 'string' ? ctx.query.interaction : undefined;
    const form = await formBody(ctx);
    const email = emailOf(form);
    // Read first only for the language of every answer; nothing of the form is acted on before the CSRF check.
    const { methods, clientId, interactionUid } = await loginOrigin(ctx, org, interaction);
    if (!isCsrfValid(ctx, form._csrf)) return forgotForm(ctx, org, { email, interaction, error: t(ctx, org, 'errors.csrf') }, 400);
    if (!methods.includes('password')) {
      await auditDisabledMethod(deps, ctx, org, clientId, 'password', methods);
      return forgotForm(ctx, org, { email, interaction, error: t(ctx, org, 'login.method_unavailable') }, 403);
    }
    if (!(await isWithinLimit(deps, ctx, org, 'password_reset', email, (error) => forgotForm(ctx, org, { email, interaction, error }, 429)))) return;
    // Not awaited: the answer leaves as fast whether or not there is an account to e-mail (no timing oracle).
    const startedFrom: ResetOrigin | null = clientId ? { clientId, interactionUid } : null;
    void deps.users.requestPasswordReset(flowOrg(org), email, requestOrigin(ctx), startedFrom).catch((err: unknown) => deps.log.error({ err, org: org.slug }, 'user.password_reset.request_failed'));
    // The same page whether or not the account exists (spec 60 §5): no form, so no CSRF token differs.
    renderAccountPage(ctx, deps, org, 'check-email', { pageTitle: t(ctx, org, 'forgot-password.sent_title'), message: t(ctx, org, 'forgot-password.sent'), email });
  });

  const resetForm = (ctx: Context, org: Organization, token: string, error?: string, status = 200) =>
    renderAccountPage(ctx, deps, org, 'reset-password', {
      pageTitle: t(ctx, org, 'reset-password.title'), action: `/${org.slug}/auth/reset-password/${encodeURIComponent(token)}`, flash: { error },
    }, status, true);

  const deadLink = (ctx: Context, org: Organization) => renderErrorPage(ctx, deps, org, 'reset-password.link_invalid', 400, 'invalid_link');

  /**
   * Spec 60 §5: "Return to {client}" after a reset asked for from a login: to that login while its
   * interaction lives (in this organization, for the same active client), else no link. Only a path of
   * Porta's own is ever linked, never an address a request named.
   */
  async function returnLink(org: Organization, startedFrom: ResetOrigin | null): Promise<{ returnUrl?: string; clientName?: string }> {
    if (!startedFrom?.interactionUid) return {};
    const provider = await registry.providerFor(org);
    const client = await provider.Client.find(startedFrom.clientId).catch(() => undefined);
    const interaction = client ? await provider.Interaction.find(startedFrom.interactionUid).catch(() => undefined) : undefined;
    if (!client || !interaction || interaction.result || String(interaction.params.client_id ?? '') !== startedFrom.clientId) return {};
    return { returnUrl: `/${org.slug}/interaction/${encodeURIComponent(startedFrom.interactionUid)}`, clientName: client.clientName ?? client.clientId };
  }

  router.get('/auth/reset-password/:token', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const token = String(ctx.params.token);
    const user = await deps.users.checkPasswordReset(flowOrg(org), token, requestOrigin(ctx));
    if (!user) return deadLink(ctx, org);
    ctx.state.pageLocales = user.locale ?? undefined;
    resetForm(ctx, org, token);
  });

  router.post('/auth/reset-password/:token', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const token = String(ctx.params.token);
    const form = await formBody(ctx);
    if (!isCsrfValid(ctx, form._csrf)) return resetForm(ctx, org, token, t(ctx, org, 'errors.csrf'), 400);
    // Looked up first for the language of every answer (the recipient's); the reset checks the link again.
    const user = await deps.users.checkPasswordReset(flowOrg(org), token, requestOrigin(ctx));
    if (!user) return deadLink(ctx, org);
    ctx.state.pageLocales = user.locale ?? undefined;
    const result = await deps.users.resetPassword(flowOrg(org), token, form.password ?? '', form.confirm ?? '', requestOrigin(ctx));
    if (result.ok) {
      return renderAccountPage(ctx, deps, org, 'reset-success', { pageTitle: t(ctx, org, 'reset-password.success_title'), ...(await returnLink(org, result.startedFrom)) });
    }
    if (result.reason === 'invalid_token') return deadLink(ctx, org);
    resetForm(ctx, org, token, t(ctx, org, PASSWORD_MESSAGES[result.reason] ?? 'common.password.too_short'), 400);
  });

  return router;
}

/** `/{org}/auth/accept-invite/{token}` (spec 60 §6). */
export function invitationRoutes(deps: OidcDeps): Router {
  const router = new Router();
  const t = (ctx: Context, org: Organization, key: string, vars: Record<string, string> = {}) => deps.i18n.t(localeOf(deps, ctx, org), key, vars, org.slug);

  const acceptForm = (ctx: Context, org: Organization, token: string, name: string, error?: string, status = 200) =>
    renderAccountPage(ctx, deps, org, 'accept-invite', {
      pageTitle: t(ctx, org, 'invitation.title', { org: org.branding.companyName ?? org.name }),
      greeting: name ? t(ctx, org, 'invitation.greeting_named', { name }) : t(ctx, org, 'invitation.greeting'),
      action: `/${org.slug}/auth/accept-invite/${encodeURIComponent(token)}`, flash: { error },
    }, status, true);

  const expired = (ctx: Context, org: Organization) => renderAccountPage(ctx, deps, org, 'invite-expired', { pageTitle: t(ctx, org, 'invitation.expired_title') }, 400);

  router.get('/auth/accept-invite/:token', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const token = String(ctx.params.token);
    const user = await deps.users.checkInvitation(flowOrg(org), token);
    if (!user) return expired(ctx, org);
    ctx.state.pageLocales = user.locale ?? undefined;
    acceptForm(ctx, org, token, user.givenName ?? '');
  });

  router.post('/auth/accept-invite/:token', async (ctx: Context) => {
    const org = ctx.state.org as Organization;
    const token = String(ctx.params.token);
    const form = await formBody(ctx);
    const user = await deps.users.checkInvitation(flowOrg(org), token);
    if (!user) return expired(ctx, org);
    ctx.state.pageLocales = user.locale ?? undefined;
    if (!isCsrfValid(ctx, form._csrf)) return acceptForm(ctx, org, token, user.givenName ?? '', t(ctx, org, 'errors.csrf'), 400);
    const result = await deps.users.acceptInvitation(flowOrg(org), token, form.password ?? '', form.confirm ?? '', requestOrigin(ctx));
    if (result.ok) return renderAccountPage(ctx, deps, org, 'invite-success', { pageTitle: t(ctx, org, 'invitation.success_title') });
    if (result.reason === 'invalid_token') return expired(ctx, org);
    acceptForm(ctx, org, token, user.givenName ?? '', t(ctx, org, PASSWORD_MESSAGES[result.reason] ?? 'common.password.too_short'), 400);
  });

  return router;
}
