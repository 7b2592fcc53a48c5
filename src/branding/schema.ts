import { z } from 'zod';

export const BRANDING_ASSET_TYPES = ['logo', 'favicon'] as const;
export type BrandingAssetType = (typeof BRANDING_ASSET_TYPES)[number];

/** Spec 40 §4 `file_size` check and spec 50 §8: the one body allowed past 100 KB. */
export const MAX_ASSET_BYTES = 524_288;

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'svg' | 'ico';

/** The Content-Types spec 20 §5.2 accepts, and the format each must contain. */
export const ASSET_CONTENT_TYPES: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'image/x-icon': 'ico',
  'image/vnd.microsoft.icon': 'ico',
};

/** Spec 20 §4 BrandingAsset. */
export interface BrandingAsset {
  id: string;
  organizationId: string;
  assetType: BrandingAssetType;
  contentType: string;
  fileSize: number;
  createdAt: string;
  updatedAt: string;
}

export interface BrandingAssetContent {
  asset: BrandingAsset;
  data: Buffer;
  /** Hex SHA-256 of `data`: the ETag. */
  sha256: string;
}

/** SHA-256 per uploaded asset type of one organization (what pages and the public route need). */
export type AssetVersions = Partial<Record<BrandingAssetType, string>>;

export const BrandingAssetTypeParam = z.enum(BRANDING_ASSET_TYPES);

export interface UploadInput {
  data: Buffer;
  contentType: string;
}
