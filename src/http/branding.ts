import type { Context, Middleware, Next } from 'koa';
import type { BrandingAssetType, BrandingService } from '../branding/index.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import { AppError } from '../platform/errors.js';
import type { Log } from '../platform/log.js';

const ASSET_PATH = /^\/([a-z0-9](?:[a-z0-9-]{1,98}[a-z0-9]))\/branding\/(logo|favicon)$/;
/** An SVG opened on its own may style itself but run and fetch nothing. */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

export interface BrandingRouteDeps {
  organizations: Pick<OrganizationService, 'findBySlug'>;
  branding: Pick<BrandingService, 'versions' | 'findContent'>;
  log: Log;
}

/** Where pages link an uploaded asset; the version query changes with the content (the response is cached 300 s). */
export function brandingAssetPath(slug: string, type: BrandingAssetType, sha256: string): string {
  return `/${slug}/branding/${type}?v=${sha256.slice(0, 12)}`;
}

const notFound = () => new AppError('not_found', 'not_found', 'Not found.');

function isFresh(ifNoneMatch: string, sha256: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${sha256}"`);
}

/** Public `GET /{orgSlug}/branding/{logo|favicon}` (spec 20 §5.2): no authentication, cacheable, 304 by ETag. */
export function brandingAssetRoutes(deps: BrandingRouteDeps): Middleware {
  return async function brandingAssets(ctx: Context, next: Next) {
    const match = ASSET_PATH.exec(ctx.path);
    if (!match || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const org = await deps.organizations.findBySlug(match[1]!);
    if (!org || org.status === 'archived') throw notFound();
    const type = match[2] as BrandingAssetType;
    const cached = (await deps.branding.versions(org.id))[type];
    if (!cached) throw notFound();
    ctx.set('Cache-Control', 'public, max-age=300');
    if (isFresh(ctx.get('If-None-Match'), cached)) {
      ctx.set('ETag', `"${cached}"`);
      ctx.status = 304;
      return;
    }
    const content = await deps.branding.findContent(org.id, type);
    if (!content) throw notFound();
    ctx.set('ETag', `"${content.sha256}"`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (content.asset.contentType === 'image/svg+xml') ctx.state.contentSecurityPolicy = SVG_CSP;
    ctx.type = content.asset.contentType;
    ctx.body = content.data;
  };
}

/**
 * The organization as pages show it: uploaded assets win over the logo and favicon URL fields
 * (spec 20 §5.2). One cached lookup per page; on failure the URL fields apply.
 */
export function pageOrganization(deps: Pick<BrandingRouteDeps, 'branding' | 'log'>) {
  return async (org: Organization): Promise<Organization> => {
    let versions;
    try {
      versions = await deps.branding.versions(org.id);
    } catch (err) {
      deps.log.warn({ err, organizationId: org.id }, 'branding.lookup_failed');
      return org;
    }
    if (!versions.logo && !versions.favicon) return org;
    return {
      ...org,
      branding: {
        ...org.branding,
        ...(versions.logo ? { logoUrl: brandingAssetPath(org.slug, 'logo', versions.logo) } : {}),
        ...(versions.favicon ? { faviconUrl: brandingAssetPath(org.slug, 'favicon', versions.favicon) } : {}),
      },
    };
  };
}
