import { AppError } from '../platform/errors.js';
import { MAX_ASSET_BYTES } from './schema.js';

export const brandingAssetNotFound = () => new AppError('not_found', 'branding_asset_not_found', 'Branding asset not found.');

export const unsupportedAssetType = (contentType: string) =>
  new AppError(
    'unsupported_media_type',
    'unsupported_media_type',
    `Branding assets are PNG, JPEG, WebP, SVG or ICO images, not "${contentType || 'none'}".`,
  );

export const assetTooLarge = () =>
  new AppError('payload_too_large', 'payload_too_large', `A branding asset is at most ${MAX_ASSET_BYTES / 1024} KB.`);

export const emptyAsset = () => new AppError('invalid', 'empty_asset', 'The image is empty.');

export const assetContentMismatch = (contentType: string) =>
  new AppError('invalid', 'asset_content_mismatch', `The file content is not of the declared type ${contentType}.`);

export const unsafeSvg = (reason: string) => new AppError('invalid', 'unsafe_svg', `The SVG image is refused: ${reason}.`);
