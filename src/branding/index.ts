export { createBrandingService, type BrandingService, type BrandingServiceDeps } from './service.js';
export { brandingAssetNotFound } from './errors.js';
export { isAcceptedContentType, mediaTypeOf, unsafeSvgReason } from './validate.js';
export {
  ASSET_CONTENT_TYPES,
  BRANDING_ASSET_TYPES,
  BrandingAssetTypeParam,
  MAX_ASSET_BYTES,
  type AssetVersions,
  type BrandingAsset,
  type BrandingAssetContent,
  type BrandingAssetType,
  type UploadInput,
} from './schema.js';
