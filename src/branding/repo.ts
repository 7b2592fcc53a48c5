import type { Queryable } from '../platform/db/index.js';
import type { AssetVersions, BrandingAsset, BrandingAssetContent, BrandingAssetType } from './schema.js';

interface AssetRow {
  id: string;
  organization_id: string;
  asset_type: BrandingAssetType;
  content_type: string;
  file_size: number;
  sha256: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, organization_id, asset_type, content_type, file_size, sha256, created_at, updated_at';

export interface AssetWrite {
  contentType: string;
  data: Buffer;
  sha256: string;
}

export function createBrandingRepo(db: Queryable) {
  return {
    async list(orgId: string): Promise<BrandingAsset[]> {
      const rows = await db.many<AssetRow>(`SELECT ${COLUMNS} FROM branding_assets WHERE organization_id = $1 ORDER BY asset_type`, [orgId]);
      return rows.map(toAsset);
    },

    /** The asset with its bytes. */
    async findContent(orgId: string, type: BrandingAssetType): Promise<BrandingAssetContent | null> {
      const row = await db.maybeOne<AssetRow & { data: Buffer }>(
        `SELECT ${COLUMNS}, data FROM branding_assets WHERE organization_id = $1 AND asset_type = $2`,
        [orgId, type],
      );
      return row && { asset: toAsset(row), data: row.data, sha256: row.sha256 };
    },

    async versions(orgId: string): Promise<AssetVersions> {
      const rows = await db.many<{ asset_type: BrandingAssetType; sha256: string }>(
        'SELECT asset_type, sha256 FROM branding_assets WHERE organization_id = $1',
        [orgId],
      );
      return Object.fromEntries(rows.map((r) => [r.asset_type, r.sha256]));
    },

    /** Creates or replaces the organization's asset of this type. */
    async upsert(orgId: string, type: BrandingAssetType, write: AssetWrite): Promise<BrandingAsset> {
      const row = await db.one<AssetRow>(
        `INSERT INTO branding_assets (organization_id, asset_type, content_type, data, file_size, sha256)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (organization_id, asset_type) DO UPDATE SET
           content_type = EXCLUDED.content_type, data = EXCLUDED.data, file_size = EXCLUDED.file_size, sha256 = EXCLUDED.sha256
         RETURNING ${COLUMNS}`,
        [orgId, type, write.contentType, write.data, write.data.length, write.sha256],
      );
      return toAsset(row);
    },

    async delete(orgId: string, type: BrandingAssetType): Promise<boolean> {
      const result = await db.query('DELETE FROM branding_assets WHERE organization_id = $1 AND asset_type = $2', [orgId, type]);
      return result.rowCount > 0;
    },
  };
}

function toAsset(row: AssetRow): BrandingAsset {
  return {
    id: row.id,
    organizationId: row.organization_id,
    assetType: row.asset_type,
    contentType: row.content_type,
    fileSize: Number(row.file_size),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
