import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import {
  BrandingAssetTypeParam,
  MAX_ASSET_BYTES,
  isAcceptedContentType,
  mediaTypeOf,
  type BrandingAssetType,
  type UploadInput,
} from '../../branding/index.js';
import { AppError } from '../../platform/errors.js';
import { rawBody } from '../../pages/index.js';
import type { AdminDeps } from './deps.js';
import { actorOf, body, param, requirePermission, sendData, sendNoContent } from './kit.js';

/** The JSON form of an upload; the 100 KB JSON body limit applies to it. */
export const BrandingUploadBody = z.strictObject({ data: z.base64(), contentType: z.string().max(100) });

const UPLOAD_PATH = /^\/api\/admin\/organizations\/[^/]+\/branding\/(?:logo|favicon)$/;

/** `readBodies` limit: only raw image uploads to the branding route may reach 512 KB (spec 50 §8). */
export function brandingUploadLimit(ctx: Context): number | undefined {
  const isRawUpload = ctx.method === 'PUT' && UPLOAD_PATH.test(ctx.path) && isAcceptedContentType(ctx.get('Content-Type'));
  return isRawUpload ? MAX_ASSET_BYTES : undefined;
}

function assetTypeParam(ctx: Context): BrandingAssetType {
  const parsed = BrandingAssetTypeParam.safeParse(param(ctx, 'type'));
  if (!parsed.success) throw new AppError('not_found', 'not_found', 'Not found.');
  return parsed.data;
}

/** Raw image bytes with their Content-Type, or JSON `{ data: base64, contentType }`. */
async function uploadInput(ctx: Context): Promise<UploadInput> {
  const contentType = mediaTypeOf(ctx.get('Content-Type'));
  if (contentType === 'application/json') {
    const input = await body(ctx, BrandingUploadBody);
    return { data: Buffer.from(input.data, 'base64'), contentType: input.contentType };
  }
  if (!isAcceptedContentType(contentType)) {
    throw new AppError('unsupported_media_type', 'unsupported_media_type', 'Send a PNG, JPEG, WebP, SVG or ICO image, or JSON { data, contentType }.');
  }
  return { data: await rawBody(ctx), contentType };
}

/** Spec 20 §5.2 `/organizations/:orgId/branding…`: uploaded logo and favicon; writes authorize and audit in the branding service. */
export function organizationBrandingRoutes(router: Router, deps: AdminDeps): void {
  const { organizations, branding } = deps.services;
  const loadOrg = (ctx: Context) => organizations.getByIdOrSlug(param(ctx, 'id'));

  router.get('/organizations/:id/branding', requirePermission('admin:org:read'), async (ctx) => {
    const org = await loadOrg(ctx);
    sendData(ctx, await branding.list(org.id));
  });

  router.get('/organizations/:id/branding/:type', requirePermission('admin:org:read'), async (ctx) => {
    const type = assetTypeParam(ctx);
    const org = await loadOrg(ctx);
    const content = await branding.getContent(org.id, type);
    ctx.set('ETag', `"${content.sha256}"`);
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.type = content.asset.contentType;
    ctx.body = content.data;
  });

  router.put('/organizations/:id/branding/:type', async (ctx) => {
    const type = assetTypeParam(ctx);
    const input = await uploadInput(ctx);
    sendData(ctx, await branding.upload(actorOf(ctx), param(ctx, 'id'), type, input));
  });

  router.delete('/organizations/:id/branding/:type', async (ctx) => {
    const type = assetTypeParam(ctx);
    await branding.remove(actorOf(ctx), param(ctx, 'id'), type);
    sendNoContent(ctx);
  });
}
