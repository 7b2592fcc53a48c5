import { createHash } from 'node:crypto';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createJsonCache } from '../platform/cache.js';
import { createBrandingRepo } from './repo.js';
import { brandingAssetNotFound } from './errors.js';
import { checkAsset } from './validate.js';
import type { AssetVersions, BrandingAsset, BrandingAssetContent, BrandingAssetType, UploadInput } from './schema.js';

export interface BrandingServiceDeps {
  db: Db;
  kv: Kv;
  log: Log;
}

/** Pages ask on every render; a write drops the entry (spec 40 §6 cache rules). */
const VERSIONS_TTL_SECONDS = 300;
const versionsKey = (orgId: string) => `porta:cache:branding:${orgId}`;

export type BrandingService = ReturnType<typeof createBrandingService>;

/** Uploaded logo and favicon per organization (spec 20 §5.2, spec 40 §4). */
export function createBrandingService({ db, kv, log }: BrandingServiceDeps) {
  const repo = createBrandingRepo(db);
  const cache = createJsonCache(kv, log);

  const service = {
    list: (orgId: string): Promise<BrandingAsset[]> => repo.list(orgId),

    findContent: (orgId: string, type: BrandingAssetType): Promise<BrandingAssetContent | null> => repo.findContent(orgId, type),

    async getContent(orgId: string, type: BrandingAssetType): Promise<BrandingAssetContent> {
      return (await repo.findContent(orgId, type)) ?? throwNotFound();
    },

    /** SHA-256 of each uploaded asset, cached: enough for page links and `If-None-Match` without reading bytes. */
    async versions(orgId: string): Promise<AssetVersions> {
      return (await cache.getOrLoad(versionsKey(orgId), VERSIONS_TTL_SECONDS, () => repo.versions(orgId))) ?? {};
    },

    /** Validates (type, size, signature, SVG safety) and creates or replaces the asset. */
    async upload(orgId: string, type: BrandingAssetType, input: UploadInput): Promise<BrandingAsset> {
      const contentType = checkAsset(input);
      const sha256 = createHash('sha256').update(input.data).digest('hex');
      const asset = await repo.upsert(orgId, type, { contentType, data: input.data, sha256 });
      await service.forget(orgId);
      log.info({ organizationId: orgId, assetType: type, contentType, fileSize: asset.fileSize }, 'branding.asset_uploaded');
      return asset;
    },

    async remove(orgId: string, type: BrandingAssetType): Promise<void> {
      if (!(await repo.delete(orgId, type))) throw brandingAssetNotFound();
      await service.forget(orgId);
    },

    /** Drops the cached versions (after a write, or when the organization is destroyed). */
    forget: (orgId: string): Promise<void> => cache.delete(versionsKey(orgId)),
  };
  return service;
}

function throwNotFound(): never {
  throw brandingAssetNotFound();
}
