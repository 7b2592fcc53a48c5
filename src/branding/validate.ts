import { assetContentMismatch, assetTooLarge, emptyAsset, unsafeSvg, unsupportedAssetType } from './errors.js';
import { ASSET_CONTENT_TYPES, MAX_ASSET_BYTES, type ImageFormat, type UploadInput } from './schema.js';

/** `image/PNG; charset=x` → `image/png`. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function isAcceptedContentType(contentType: string): boolean {
  return Object.hasOwn(ASSET_CONTENT_TYPES, mediaTypeOf(contentType));
}

/**
 * Spec 20 §5.2: the declared type must be accepted (415), the size 1..512 KB (413), the bytes must be
 * that format (400), and an SVG must be free of active or external content (400). Returns the
 * normalised Content-Type to store.
 */
export function checkAsset(input: UploadInput): string {
  const contentType = mediaTypeOf(input.contentType);
  const format = Object.hasOwn(ASSET_CONTENT_TYPES, contentType) ? ASSET_CONTENT_TYPES[contentType] : undefined;
  if (!format) throw unsupportedAssetType(contentType);
  if (input.data.length === 0) throw emptyAsset();
  if (input.data.length > MAX_ASSET_BYTES) throw assetTooLarge();
  if (format === 'svg') {
    const text = svgText(input.data);
    if (text === null) throw assetContentMismatch(contentType);
    const reason = unsafeSvgReason(text);
    if (reason) throw unsafeSvg(reason);
  } else if (!hasSignature(input.data, format)) {
    throw assetContentMismatch(contentType);
  }
  return contentType;
}

function hasSignature(data: Buffer, format: Exclude<ImageFormat, 'svg'>): boolean {
  const startsWith = (...bytes: number[]) => data.length >= bytes.length && bytes.every((b, i) => data[i] === b);
  switch (format) {
    case 'png':
      return startsWith(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    case 'jpeg':
      return startsWith(0xff, 0xd8, 0xff);
    case 'webp':
      return startsWith(0x52, 0x49, 0x46, 0x46) && data.length >= 12 && data.subarray(8, 12).toString('latin1') === 'WEBP';
    case 'ico':
      return startsWith(0x00, 0x00, 0x01, 0x00);
  }
}

const SVG_START = /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE\s+svg[^>[]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<svg[\s>/]/i;

/** The document as text when it is UTF-8 XML whose root is `<svg>`; null otherwise. */
export function svgText(data: Buffer): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return null;
  }
  text = text.replace(/^\uFEFF/, '');
  if (text.includes('\0')) return null;
  return SVG_START.test(text.trimStart()) ? text : null;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character references decoded, so `&#106;avascript:` is seen as what a renderer sees. */
function decodeReferences(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));?/gi, (match, hex?: string, dec?: string, name?: string) => {
    if (name) return XML_ENTITIES[name.toLowerCase()] ?? match;
    const code = hex ? Number.parseInt(hex, 16) : Number(dec);
    return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

/** A reference is local when it names a fragment of this document or inline `data:`. */
function isLocalReference(value: string): boolean {
  const v = value.trim().toLowerCase();
  return v.startsWith('#') || v.startsWith('data:');
}

const REFERENCE_ATTRIBUTE = /(?:^|[\s"'/])(?:[a-z0-9_-]+:)?(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
const CSS_URL = /url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\)/gi;

/**
 * Why an SVG cannot be served, or null. Deliberately conservative (a logo needs none of this):
 * scripts, event handlers, `javascript:` anywhere, entity declarations, foreign HTML, and references
 * to anything but `#fragment` or `data:` (href, xlink:href, src, CSS url(), @import, stylesheets).
 */
export function unsafeSvgReason(svg: string): string | null {
  const text = decodeReferences(svg).toLowerCase();
  // Browsers ignore tabs, newlines and control characters inside a URL scheme.
  const squeezed = [...text].filter((ch) => ch.charCodeAt(0) > 0x20).join('');
  if (/<\s*(?:[a-z0-9_-]+:)?script[\s>/]/.test(text)) return 'it contains a script';
  if (/[\s"'/]on[a-z0-9_-]+\s*=/.test(text)) return 'it contains an event handler attribute';
  if (squeezed.includes('javascript:') || squeezed.includes('vbscript:')) return 'it contains a javascript: URL';
  if (/<!entity/.test(text)) return 'it declares entities';
  if (/<\s*(?:[a-z0-9_-]+:)?(?:foreignobject|iframe|embed|object)[\s>/]/.test(text)) return 'it embeds foreign content';
  if (/<\?xml-stylesheet/.test(text) || /@import/.test(text)) return 'it loads an external stylesheet';
  if (/attributename\s*=\s*["']?\s*(?:[a-z0-9_-]+:)?href/.test(text)) return 'it animates a reference';
  for (const match of text.matchAll(REFERENCE_ATTRIBUTE)) {
    if (!isLocalReference(match[1] ?? match[2] ?? match[3] ?? '')) return 'it references external content';
  }
  for (const match of text.matchAll(CSS_URL)) {
    if (!isLocalReference(match[1] ?? match[2] ?? match[3] ?? '')) return 'it references external content';
  }
  return null;
}
