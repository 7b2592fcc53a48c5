import type Router from '@koa/router';
import type Koa from 'koa';
import { accountActor, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import { htmlCsp, isCsrfValid, issueCsrfToken, type I18n, type Renderer } from '../pages/index.js';
import type { PasskeyService } from '../passkeys/index.js';
import type { Clock } from '../platform/clock.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { ClientService } from '../clients/index.js';
import type { RateLimitService } from '../rate-limits/index.js';
import type { SessionService } from '../sessions/index.js';
import type { TwoFactorService } from '../two-factor/index.js';
import { hasUsableSessions, type User, type UserService } from '../users/index.js';
import { portalPath, type PortalSessions } from './session.js';

/** Spec 70 §2: security-relevant changes need a sign-in at most this old (`max_age=600` step-up). */
export const RECENT_SIGN_IN_SECONDS = 600;

/** The portal's own double-submit cookie (path `/{org}/account`), apart from the sign-in pages' `_csrf`. */
export const PORTAL_CSRF_COOKIE = 'porta_account_csrf';

/** What the organization's issuer says about a sign-in of `porta-account` (oidc/account-portal-sign-in.ts). */
export interface PortalSignIn {
  accountId: string;
  /** Epoch seconds (`auth_time`). */
  authTime: number;
  amr: string[];
  acr: string | null;
  /** The engine session's stable uid. */
  sessionUid: string | null;
}

export interface PortalCodeRedemption {
  code: string;
  codeVerifier: string;
  redirectUri: string;
  nonce: string;
}

/** What the portal's pages use; app.ts wires it. */
export interface PortalDeps {
  config: Readonly<Config>;
  log: Log;
  clock: Clock;
  kv: Kv;
  renderer: Renderer;
  i18n: I18n;
  organizations: OrganizationService;
  users: UserService;
  sessions: SessionService;
  twoFactor: TwoFactorService;
  passkeys: PasskeyService;
  audit: AuditService;
  /** Client names of the connected apps. */
  clients: ClientService;
  /** Limits on attempts (codes checked on the two-factor page…). */
  rateLimits: RateLimitService;
  /** The code exchange with the organization's issuer, in process (oidc/account-portal-sign-in.ts). */
  redeemCode(org: Organization, input: PortalCodeRedemption): Promise<PortalSignIn | null>;
  /** The portal's sessions and pending sign-ins in the ephemeral store. */
  portalSessions: PortalSessions;
}

/** A page module of the portal (two-factor-pages.ts, passkey-pages.ts…) adds its routes to the portal's router. */
export type RegisterPortalPages = (router: Router, deps: PortalDeps) => void;

export interface PortalRequest {
  org: Organization;
  /** Re-read each request: a user who may no longer sign in is signed out. */
  user: User;
  /** The account actor (source `account`). */
  actor: Actor;
  /** The portal session's id (not the engine session). */
  sessionId: string;
  /** The engine session (for "current session" marking), if known. */
  engineSessionUid: string | null;
  /** Epoch seconds of the last sign-in at the issuer. */
  authTime: number;
  amr: string[];
  /** The resolved page locale. */
  locale: string;
  csrfToken: string;
}

/** The portal's pages, in the order of its navigation (key under `account.nav.*`, path under `/{org}/account`). */
export const PORTAL_NAV = [
  { key: 'profile', path: '' },
  { key: 'email', path: '/email' },
  { key: 'password', path: '/password' },
  { key: 'two_factor', path: '/two-factor' },
  { key: 'passkeys', path: '/passkeys' },
  { key: 'sessions', path: '/sessions' },
  { key: 'apps', path: '/apps' },
] as const;

interface PortalState {
  deps: PortalDeps;
  flash?: string;
}

const states = new WeakMap<Koa.Context, PortalState>();

/** routes.ts hands every portal request its dependencies before any page runs. */
export function attachPortal(ctx: Koa.Context, deps: PortalDeps): void {
  states.set(ctx, { deps });
}

function stateOf(ctx: Koa.Context): PortalState {
  const state = states.get(ctx);
  if (!state) throw new Error('account portal request without its dependencies (attachPortal)');
  return state;
}

/** The request's path as the browser sees it (tenant.ts hands the portal the path after `/{org}`). */
export const browserPath = (ctx: Koa.Context, org: Organization) => `/${org.slug}${ctx.path}`;

/** The organization as tenant.ts resolved it for this page (with its uploaded branding). */
export const orgOf = (ctx: Koa.Context): Organization => ctx.state.org as Organization;

export function brandingOf(org: Organization) {
  return {
    companyName: org.branding.companyName ?? org.name,
    primaryColor: org.branding.primaryColor ?? '#2563eb',
    logoUrl: org.branding.logoUrl,
    faviconUrl: org.branding.faviconUrl,
    customCss: org.branding.customCss,
  };
}

export const requestOrigin = (ctx: Koa.Context) => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent'), requestId: ctx.state.requestId as string | undefined });

/** The page language before anyone is known: `Accept-Language`, then the organization's default. */
export const anonymousLocale = (deps: PortalDeps, ctx: Koa.Context, org: Organization) => deps.i18n.resolve([ctx.get('Accept-Language'), org.defaultLocale]);

/** A path of this organization's portal that a sign-in may return to: `/{org}/account[/…]`, nothing else. */
export function safeReturnTo(org: Organization, value: unknown): string {
  const base = portalPath(org.slug);
  if (typeof value !== 'string' || value.length > 200) return base;
  return value === base || (value.startsWith(`${base}/`) && /^[A-Za-z0-9/_-]*$/.test(value.slice(base.length)) && !value.includes('//')) ? value : base;
}

/** Sends the browser through the issuer (sign-in.ts), coming back to `returnTo`. */
function redirectToSignIn(ctx: Koa.Context, org: Organization, returnTo: string, maxAge?: number): void {
  const query = new URLSearchParams({ return_to: safeReturnTo(org, returnTo) });
  if (maxAge !== undefined) query.set('max_age', String(maxAge));
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(`${portalPath(org.slug)}/sign-in?${query.toString()}`);
  ctx.status = 303;
}

/** A branded page outside the portal's navigation (error, not found, signed out). */
export function renderPlainPage(ctx: Koa.Context, template: string, messageKey: string, status: number, data: Record<string, unknown> = {}): void {
  const { deps } = stateOf(ctx);
  const org = orgOf(ctx);
  const locale = (data.locale as string | undefined) ?? anonymousLocale(deps, ctx, org);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', htmlCsp([]));
  ctx.body = deps.renderer.render(template, {
    locale,
    orgSlug: org.slug,
    branding: brandingOf(org),
    pageTitle: deps.i18n.t(locale, 'account.title', {}, org.slug),
    errorMessage: deps.i18n.t(locale, messageKey, {}, org.slug),
    ...data,
  });
}

/** The portal of an organization that turned it off: a friendly, localized 404. */
export function renderDisabled(ctx: Koa.Context): void {
  renderPlainPage(ctx, 'error', 'account.disabled', 404);
}

/** The portal's double-submit token, kept while the cookie holds one (several tabs share it). */
export function csrfTokenOf(ctx: Koa.Context, org: Organization): string {
  const existing = ctx.cookies.get(PORTAL_CSRF_COOKIE, { signed: false });
  return existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : issueCsrfToken(ctx, portalPath(org.slug), PORTAL_CSRF_COOKIE);
}

/**
 * Resolves the signed-in portal user or answers (redirect to sign-in / 404 when disabled) and returns null.
 * The user is re-read on every request, and the engine session the portal session came from must still be
 * live: a user who may no longer sign in, or whose session was ended elsewhere, is signed out here too.
 */
export async function requirePortalUser(ctx: Koa.Context): Promise<PortalRequest | null> {
  const state = stateOf(ctx);
  const { deps } = state;
  const org = orgOf(ctx);
  if (!org.accountPortalEnabled) {
    renderDisabled(ctx);
    return null;
  }
  const returnTo = ctx.method === 'GET' ? browserPath(ctx, org) : portalPath(org.slug);
  const session = await deps.portalSessions.read(ctx, org.id, org.slug);
  const user = session ? await deps.users.findById(org.id, session.state.userId) : null;
  const isLive = session && user && hasUsableSessions(user) && (await isEngineSessionLive(deps, org, session.state.engineSessionUid));
  if (!session || !user || !isLive) {
    if (session) await deps.portalSessions.end(ctx, org.id, org.slug);
    redirectToSignIn(ctx, org, returnTo);
    return null;
  }
  if (session.state.flash !== undefined) {
    state.flash = session.state.flash;
    const { flash: _shown, ...rest } = session.state;
    await deps.portalSessions.save(org.id, session.id, rest);
  }
  const locale = deps.i18n.resolve([user.locale, ctx.get('Accept-Language'), org.defaultLocale]);
  return {
    org,
    user,
    actor: accountActor(user, requestOrigin(ctx), 'account'),
    sessionId: session.id,
    engineSessionUid: session.state.engineSessionUid,
    authTime: session.state.authTime,
    amr: session.state.amr,
    locale,
    csrfToken: csrfTokenOf(ctx, org),
  };
}

/** The mirrored engine session was not ended or expired (a row not written yet counts as live). */
async function isEngineSessionLive(deps: PortalDeps, org: Organization, uid: string | null): Promise<boolean> {
  if (!uid) return true;
  const tracked = await deps.sessions.find(uid);
  if (!tracked) return true;
  if (tracked.organizationId !== org.id || tracked.revokedAt !== null) return false;
  return new Date(tracked.expiresAt).getTime() > deps.clock.now();
}

/**
 * True when authTime is within 600 s. Otherwise redirects through the issuer with max_age=600 and returns
 * false; after the sign-in the user lands on `returnTo` (a path under /{org}/account, validated).
 */
export function requireRecentSignIn(ctx: Koa.Context, portal: PortalRequest, returnTo: string): boolean {
  const { deps } = stateOf(ctx);
  const age = Math.floor(deps.clock.now() / 1000) - portal.authTime;
  if (age >= 0 && age <= RECENT_SIGN_IN_SECONDS) return true;
  redirectToSignIn(ctx, portal.org, returnTo, RECENT_SIGN_IN_SECONDS);
  return false;
}

/**
 * Counts one security change attempt of the user (`account_change`: e-mail change requests, password
 * change attempts); false, with `Retry-After` set, when over the limit.
 */
export async function isWithinChangeLimit(ctx: Koa.Context, portal: PortalRequest): Promise<boolean> {
  const { deps } = stateOf(ctx);
  const decision = await deps.rateLimits.hit('account_change', `${portal.org.id}|${portal.user.id}`, {
    organizationId: portal.org.id, ipAddress: ctx.ip, userAgent: ctx.get('User-Agent') || null, requestId: ctx.state.requestId as string | undefined,
  });
  if (!decision.isAllowed) ctx.set('Retry-After', String(decision.retryAfter));
  return decision.isAllowed;
}

/** Verifies the double-submit CSRF token of a form POST (answers the 403 friendly page otherwise). */
export function checkPortalCsrf(ctx: Koa.Context, portal: PortalRequest, form: Record<string, string>): boolean {
  if (isCsrfValid(ctx, form._csrf, PORTAL_CSRF_COOKIE)) return true;
  renderPlainPage(ctx, 'error', 'errors.csrf', 403, { locale: portal.locale, errorCode: 'csrf' });
  return false;
}

/**
 * Renders `templates/default/pages/{template}.hbs` in the portal layout (nav with the portal's pages,
 * flash message, branding, locale). `data` merges into the page context; `data.flashError` (a message key)
 * shows as an error, `data.current` names the nav entry to mark (else the one whose path is requested),
 * `data.status` the HTTP status; `data.scriptHashes` and `data.canFetchSelf` widen the page's CSP (passkeys).
 */
export async function renderPortalPage(ctx: Koa.Context, portal: PortalRequest, template: string, data: Record<string, unknown>): Promise<void> {
  const state = stateOf(ctx);
  const { deps } = state;
  const { org, locale } = portal;
  const t = (key: string, vars: Record<string, string> = {}) => deps.i18n.t(locale, key, vars, org.slug);
  const base = portalPath(org.slug);
  const current = (data.current as string | undefined) ?? PORTAL_NAV.find((entry) => `${base}${entry.path}` === browserPath(ctx, org))?.key;
  const flashError = typeof data.flashError === 'string' ? t(data.flashError) : undefined;
  const flashSuccess = state.flash ? t(state.flash) : undefined;
  ctx.status = typeof data.status === 'number' ? data.status : 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  const scriptHashes = Array.isArray(data.scriptHashes) ? (data.scriptHashes as string[]) : [];
  ctx.set('Content-Security-Policy', htmlCsp([], scriptHashes, { canFetchSelf: data.canFetchSelf === true }));
  ctx.body = deps.renderer.render(template, {
    locale,
    orgSlug: org.slug,
    branding: brandingOf(org),
    pageTitle: current ? t(`account.nav.${current}`) : t('account.title'),
    csrfToken: portal.csrfToken,
    flash: flashError || flashSuccess ? { error: flashError, success: flashSuccess } : undefined,
    isPortal: true,
    portal: {
      base,
      userName: [portal.user.givenName, portal.user.familyName].filter(Boolean).join(' ') || portal.user.email,
      email: portal.user.email,
      nav: PORTAL_NAV.map((entry) => ({ href: `${base}${entry.path}`, label: t(`account.nav.${entry.key}`), isCurrent: entry.key === current })),
    },
    ...data,
  });
}

/** Post/redirect/get with a one-shot flash message key from the `account` locale namespace. */
export async function redirectWithFlash(ctx: Koa.Context, portal: PortalRequest, path: string, flashKey: string): Promise<void> {
  const { deps } = stateOf(ctx);
  const session = await deps.portalSessions.read(ctx, portal.org.id, portal.org.slug);
  if (session) await deps.portalSessions.save(portal.org.id, session.id, { ...session.state, flash: flashKey });
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(safeReturnTo(portal.org, path));
  ctx.status = 303;
}
