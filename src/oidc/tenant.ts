import type { Context, Middleware, Next } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import { AppError } from '../platform/errors.js';
import { InputRejected, handOverBody } from '../pages/index.js';
import { endpointLimits } from './endpoint-limits.js';
import { accountRoutes } from './account-routes.js';
import { interactionRoutes } from './interactions.js';
import { renderErrorPage, renderNotFoundPage } from './pages.js';
import { conformAnswer } from './protocol-answers.js';
import { PUBLIC_DOCUMENT_CACHE_CONTROL } from './metadata-cache.js';
import { checkPresentedSecret } from './registration.js';
import { endpointOf, isFormPostEndpoint, narrowRequestedScope, redirectFormPost } from './protocol-requests.js';
import type { ProviderRegistry } from './registry.js';
import { runAsTenant } from './tenant-scope.js';
import type { OidcDeps, Organization } from './types.js';

const ORG_PATH = /^\/([a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))(\/.*)?$/;
/** Routes a person opens in a browser get branded pages; the rest are protocol endpoints (JSON). */
const BROWSER_PATH = /^\/(account(?:\/|$)|interaction\/|auth\/(?:forgot-password|reset-password|magic-link|accept-invite)(?:\/|$)|auth\/authorize|auth\/session\/end|auth\/device(?:\/?$|\/(?!auth\/?$)))/;
/** Porta's own account pages under `/{org}/auth/…` (spec 60 §3, §5, §6), answered before the engine. */
const ACCOUNT_PATH = /^\/auth\/(?:forgot-password|reset-password|magic-link|accept-invite)(?:\/|$)/;
/** The account portal (spec 70 §2). */
const PORTAL_PATH = /^\/account(?:\/|$)/;
/** RFC 8414 §3.1: the metadata of issuer `{base}/{org}` also lives at the path-inserted location. */
const PATH_INSERTED_METADATA = /^\/\.well-known\/oauth-authorization-server(\/[a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))$/;
const METADATA_PATH = '/.well-known/oauth-authorization-server';

export interface TenantRouteOptions {
  /** The organization as its pages show it (uploaded branding assets); browser routes only. */
  pageOrganization?: (org: Organization) => Promise<Organization>;
  /** The account portal `/{org}/account/…` (spec 70 §2: src/account-portal), answered before the engine. */
  accountPortal?: Middleware;
}

/**
 * `/{orgSlug}/…`: resolves the organization (spec 10 §1) and hands the request, in the organization's
 * tenant scope, to its interaction pages or to the OIDC engine, which serves it as that organization.
 */
export function tenantRoutes(deps: OidcDeps, registry: ProviderRegistry, options: TenantRouteOptions = {}): Middleware {
  const forPages = options.pageOrganization ?? (async (org: Organization) => org);
  const interactions = interactionRoutes(deps, registry);
  const interactionMiddleware = interactions.routes();
  const accountMiddleware = accountRoutes(deps, registry).routes();
  const mounted = new WeakMap<Provider, Middleware>();
  const limitEndpoint = endpointLimits(deps);

  return async function tenantOrMetadata(ctx: Context, next: Next) {
    const inserted = PATH_INSERTED_METADATA.exec(ctx.path);
    if (!inserted) return tenant(ctx, next);
    // Answered exactly as /{org}/.well-known/oauth-authorization-server, 404 for unknown and archived alike.
    const originalPath = ctx.path;
    ctx.path = `${inserted[1]!}${METADATA_PATH}`;
    try {
      await tenant(ctx, next);
    } finally {
      ctx.path = originalPath;
      if (ctx.state.routeTemplate) ctx.state.routeTemplate = `${METADATA_PATH}/:org`;
    }
  };

  async function tenant(ctx: Context, next: Next) {
    const match = ORG_PATH.exec(ctx.path);
    if (!match) return next();
    const slug = match[1]!;
    const rest = match[2] ?? '/';
    const org = await deps.organizations.findBySlug(slug);
    const isBrowser = BROWSER_PATH.test(rest);
    if (!org || org.status === 'archived') {
      if (isBrowser) return renderNotFoundPage(ctx, deps);
      return next();
    }
    if (org.status === 'suspended') {
      if (isBrowser) return renderErrorPage(ctx, deps, await forPages(org), 'errors.organization_unavailable', 403, 'organization_suspended');
      throw new AppError('forbidden', 'organization_suspended', 'This organization is suspended.');
    }
    ctx.state.org = isBrowser ? await forPages(org) : org;
    ctx.state.orgSlug = org.slug;
    return runAsTenant(org, deps.config.issuerBaseUrl, () => served(ctx, next, org, rest));
  }

  async function served(ctx: Context, next: Next, org: Organization, rest: string) {
    const pageRoutes = rest.startsWith('/interaction/')
      ? interactionMiddleware
      : ACCOUNT_PATH.test(rest) ? accountMiddleware : PORTAL_PATH.test(rest) ? options.accountPortal : undefined;
    if (pageRoutes) {
      const originalPath = ctx.path;
      ctx.path = rest;
      try {
        await pageRoutes(ctx as Parameters<typeof interactionMiddleware>[0], async () => {
          ctx.path = originalPath;
          await next();
        });
      } finally {
        ctx.path = originalPath;
      }
      return;
    }

    const provider = await registry.providerFor(org);
    let downstream = mounted.get(provider);
    if (!downstream) {
      downstream = mount(provider as unknown as Middleware);
      mounted.set(provider, downstream);
    }
    ctx.state.routeTemplate = `/:org${templateOf(rest)}`;
    const endpoint = endpointOf(rest);
    if (isFormPostEndpoint(ctx, endpoint)) return redirectFormPost(ctx, deps, endpoint);
    if (!(await limitEndpoint(ctx, org, rest))) return;
    await narrowRequestedScope(ctx, provider, endpoint);
    await checkPresentedSecret(ctx, deps, org, provider, rest);
    await handOverBody(ctx);
    await underPrefix(ctx, `/${org.slug}`, rest, downstream, next);
    conformAnswer(ctx);
    cachePublicDocument(ctx);
  }
}

/**
 * koa-mount's prefix handling, per request: the one engine answers under every organization's `/{slug}`,
 * seeing `rest` as its path (and `/{slug}` as its mount path, for the URLs it builds).
 */
async function underPrefix(ctx: Context, prefix: string, rest: string, downstream: Middleware, upstream: Next): Promise<void> {
  const original = ctx.path;
  (ctx as Context & { mountPath?: string }).mountPath = prefix;
  ctx.path = rest;
  try {
    await downstream(ctx, async () => {
      ctx.path = original;
      await upstream();
      ctx.path = rest;
    });
  } finally {
    ctx.path = original;
  }
}

/** The engine's name for the route it answered (`discovery`, `jwks`, `token`…), if any. */
function engineRoute(ctx: Context): string | undefined {
  return (ctx as unknown as { oidc?: { route?: string } }).oidc?.route;
}

/**
 * Discovery and JWKS are the same for everyone (their URLs come from ISSUER_BASE_URL, not the request),
 * so shared caches may keep them (spec 10 §12): any origin may read them, hence `*` and no `Vary: Origin`.
 */
function cachePublicDocument(ctx: Context): void {
  const route = engineRoute(ctx);
  if ((route !== 'discovery' && route !== 'jwks') || ctx.status !== 200) return;
  ctx.set('Cache-Control', PUBLIC_DOCUMENT_CACHE_CONTROL);
  ctx.set('Access-Control-Allow-Origin', '*');
  const vary = ctx.response.get('Vary').split(',').map((v) => v.trim()).filter((v) => v !== '' && v.toLowerCase() !== 'origin');
  if (vary.length > 0) ctx.set('Vary', vary.join(', '));
  else ctx.remove('Vary');
}

/**
 * Input Porta cannot read (InputRejected, from the URL check or a form) on an organization's routes,
 * answered in the route's vocabulary: the branded error page on browser routes, an OAuth
 * `invalid_request` on protocol endpoints. Other errors and paths are left to the generic mapper.
 */
export function tenantErrorPresenter(deps: OidcDeps, options: TenantRouteOptions = {}) {
  const forPages = options.pageOrganization ?? (async (org: Organization) => org);
  return async function presentTenantError(ctx: Context, err: unknown): Promise<boolean> {
    if (!(err instanceof InputRejected)) return false;
    const match = ORG_PATH.exec(ctx.path);
    if (!match) return false;
    const org = await deps.organizations.findBySlug(match[1]!);
    if (!org || org.status !== 'active') return false;
    if (BROWSER_PATH.test(match[2] ?? '/')) {
      renderErrorPage(ctx, deps, await forPages(org), 'errors.generic', 400, 'invalid_request');
      return true;
    }
    ctx.status = 400;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'invalid_request', error_description: err.message };
    return true;
  };
}

/** Metric label for engine routes: `/:org/auth/token`, `/:org/interaction/:uid`… never raw ids. */
function templateOf(rest: string): string {
  if (rest.startsWith('/auth/authorize/')) return '/auth/authorize/:uid';
  if (rest.startsWith('/.well-known/')) return rest;
  if (rest === '/auth/register') return rest;
  if (rest.startsWith('/auth/register/')) return '/auth/register/:clientId';
  if (/^\/auth\/(token\/introspection|token\/revocation|token|userinfo|jwks|par|session\/end\/confirm|session\/end\/success|session\/end|authorize|device\/auth|device)$/.test(rest)) return rest;
  if (rest.startsWith('/auth/device/')) return '/auth/device/:uid';
  return '/*';
}
