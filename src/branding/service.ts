import { createHash } from 'node:crypto';
import { authorize, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import { assertMayChangeOrganization, type Organization, type OrganizationService } from '../organizations/index.js';
import { systemClock, type Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import { createJsonCache } from '../platform/cache.js';
import { createLocalCache } from '../platform/local-cache.js';
import { createBrandingRepo } from './repo.js';
import { brandingAssetNotFound } from './errors.js';
import { checkAsset } from './validate.js';
import type { AssetVersions, BrandingAsset, BrandingAssetContent, BrandingAssetType, UploadInput } from './schema.js';

export interface BrandingServiceDeps {
  db: Db;
  kv: Kv;
  /** Ages the per-process copies of the asset versions; the system clock when not given. */
  clock?: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  /** Resolves the addressed organization (id or slug, spec 20 §1). */
  organizations: Pick<OrganizationService, 'getByIdOrSlug'>;
}

/** Pages ask on every render; a write drops the entry (spec 40 §6 cache rules). */
const VERSIONS_TTL_SECONDS = 300;
const versionsKey = (orgId: string) => `cache:branding:${orgId}`;
/** Bumped after every branding write: every process drops its copies of the versions within about a second. */
export const BRANDING_VERSION_KEY = 'cache:branding:version';
const PROTECTED_MESSAGE = "Only a super admin may change the super-admin organization's branding.";

export type BrandingService = ReturnType<typeof createBrandingService>;

/** Uploaded logo and favicon per organization (spec 20 §5.2, spec 40 §4). */
export function createBrandingService({ db, kv, clock = systemClock, log, audit, organizations }: BrandingServiceDeps) {
  const repo = createBrandingRepo(db);
  const cache = createJsonCache(kv, log);
  // Every page of an organization asks: a per-process copy in front of the shared cache, so a render
  // costs no round trip; a write anywhere moves the shared counter (one read a second per process).
  const local = createLocalCache<AssetVersions>({ kv, clock, log, counterKey: BRANDING_VERSION_KEY, name: 'branding' });

  /** Authorizes the actor on the addressed organization (issue 9 item 8 for the admin organization). */
  async function writableOrganization(actor: Actor, orgIdOrSlug: string): Promise<Organization> {
    authorize(actor, 'admin:org:update');
    const org = await organizations.getByIdOrSlug(orgIdOrSlug);
    assertMayChangeOrganization(actor, org, PROTECTED_MESSAGE);
    return org;
  }

  const record = (actor: Actor, org: Organization, eventType: string, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'organization', targetId: org.id, organizationId: org.id, metadata });

  const service = {
    list: (orgId: string): Promise<BrandingAsset[]> => repo.list(orgId),

    findContent: (orgId: string, type: BrandingAssetType): Promise<BrandingAssetContent | null> => repo.findContent(orgId, type),

    async getContent(orgId: string, type: BrandingAssetType): Promise<BrandingAssetContent> {
      return (await repo.findContent(orgId, type)) ?? throwNotFound();
    },

    /** SHA-256 of each uploaded asset, cached: enough for page links and `If-None-Match` without reading bytes. */
    async versions(orgId: string): Promise<AssetVersions> {
      const load = () => cache.getOrLoad(versionsKey(orgId), VERSIONS_TTL_SECONDS, () => repo.versions(orgId));
      // A copy per caller: the kept object is shared by every request of this process.
      return { ...(await local.get(orgId, load)) };
    },

    /** Validates (type, size, signature, SVG safety) and creates or replaces the asset. */
    async upload(actor: Actor, orgIdOrSlug: string, type: BrandingAssetType, input: UploadInput): Promise<BrandingAsset> {
      const contentType = checkAsset(input);
      const sha256 = createHash('sha256').update(input.data).digest('hex');
      const asset = await db.transaction(async () => {
        const org = await writableOrganization(actor, orgIdOrSlug);
        const saved = await repo.upsert(org.id, type, { contentType, data: input.data, sha256 });
        await service.forget(org.id);
        await record(actor, org, 'organization.branding_asset_uploaded', { assetType: type, contentType: saved.contentType, fileSize: saved.fileSize });
        return saved;
      });
      log.info({ organizationId: asset.organizationId, assetType: type, contentType, fileSize: asset.fileSize }, 'branding.asset_uploaded');
      return asset;
    },

    async remove(actor: Actor, orgIdOrSlug: string, type: BrandingAssetType): Promise<void> {
      await db.transaction(async () => {
        const org = await writableOrganization(actor, orgIdOrSlug);
        if (!(await repo.delete(org.id, type))) throw brandingAssetNotFound();
        await service.forget(org.id);
        await record(actor, org, 'organization.branding_asset_deleted', { assetType: type });
      });
    },

    /**
     * Drops the cached versions (after a write, or when the organization is destroyed): the shared entry,
     * and every process's copies (this one's at once, the others' within about a second).
     */
    async forget(orgId: string): Promise<void> {
      await cache.delete(versionsKey(orgId));
      await local.invalidate();
    },
  };
  return service;
}

function throwNotFound(): never {
  throw brandingAssetNotFound();
}
