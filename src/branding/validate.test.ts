import { describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors.js';
import { checkAsset, mediaTypeOf, svgText, unsafeSvgReason } from './validate.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([4, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
const ICO = Buffer.from([0, 0, 1, 0, 1, 0, 16, 16]);
const svg = (inner: string) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">${inner}</svg>`;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? `${err.kind}:${err.code}` : String(err);
  }
}

describe('branding asset validation', () => {
  it('accepts each format under its declared type and normalises the type', () => {
    expect(checkAsset({ data: PNG, contentType: 'image/png' })).toBe('image/png');
    expect(checkAsset({ data: JPEG, contentType: 'IMAGE/JPEG; q=1' })).toBe('image/jpeg');
    expect(checkAsset({ data: WEBP, contentType: 'image/webp' })).toBe('image/webp');
    expect(checkAsset({ data: ICO, contentType: 'image/x-icon' })).toBe('image/x-icon');
    expect(checkAsset({ data: ICO, contentType: 'image/vnd.microsoft.icon' })).toBe('image/vnd.microsoft.icon');
    expect(checkAsset({ data: Buffer.from(`\uFEFF<?xml version="1.0"?>\n<!-- logo -->\n${svg('<rect width="5" height="5" fill="url(#g)"/>')}`), contentType: 'image/svg+xml' })).toBe('image/svg+xml');
  });

  it('refuses bytes that are not the declared format', () => {
    expect(codeOf(() => checkAsset({ data: JPEG, contentType: 'image/png' }))).toBe('invalid:asset_content_mismatch');
    expect(codeOf(() => checkAsset({ data: PNG, contentType: 'image/webp' }))).toBe('invalid:asset_content_mismatch');
    expect(codeOf(() => checkAsset({ data: Buffer.from('<html><svg></svg></html>'), contentType: 'image/svg+xml' }))).toBe('invalid:asset_content_mismatch');
    expect(codeOf(() => checkAsset({ data: Buffer.from([0xc3, 0x28, 0x3c, 0x73]), contentType: 'image/svg+xml' }))).toBe('invalid:asset_content_mismatch');
  });

  it('refuses other types (415), empty files (400) and files over 512 KB (413)', () => {
    expect(codeOf(() => checkAsset({ data: PNG, contentType: 'image/gif' }))).toBe('unsupported_media_type:unsupported_media_type');
    expect(codeOf(() => checkAsset({ data: PNG, contentType: 'constructor' }))).toBe('unsupported_media_type:unsupported_media_type');
    expect(codeOf(() => checkAsset({ data: Buffer.alloc(0), contentType: 'image/png' }))).toBe('invalid:empty_asset');
    const big = Buffer.concat([PNG, Buffer.alloc(524_288)]);
    expect(codeOf(() => checkAsset({ data: big, contentType: 'image/png' }))).toBe('payload_too_large:payload_too_large');
    expect(codeOf(() => checkAsset({ data: big.subarray(0, 524_288), contentType: 'image/png' }))).toBeUndefined();
  });

  it.each([
    ['a script', svg('<script>alert(1)</script>')],
    ['a namespaced script', svg('<svg:script>alert(1)</svg:script>')],
    ['an event handler', svg('<rect onload="alert(1)"/>')],
    ['an event handler after a quoted >', `<svg xmlns="http://www.w3.org/2000/svg" title="a>b" onclick='x()'></svg>`],
    ['a javascript: link', svg('<a href="javascript:alert(1)"><text>x</text></a>')],
    ['an encoded javascript: link', svg('<a xlink:href="&#106;ava&#x73;cript&#58;alert(1)">x</a>')],
    ['a split javascript: link', svg('<a href="java\tscript:alert(1)">x</a>')],
    ['an external image', svg('<image href="https://evil.example/x.png"/>')],
    ['an external xlink:href', svg('<use xlink:href="other.svg#icon"/>')],
    ['an external CSS url()', svg('<rect style="fill: url(https://evil.example/p)"/>')],
    ['an @import', svg('<style>@import "https://evil.example/a.css";</style>')],
    ['a stylesheet PI', `<?xml-stylesheet href="a.css"?>${svg('')}`],
    ['foreignObject', svg('<foreignObject><div>x</div></foreignObject>')],
    ['an entity declaration', `<!DOCTYPE svg [<!ENTITY x "y">]>${svg('&x;')}`],
    ['an animated href', svg('<a><set attributeName="href" to="https://evil.example"/></a>')],
  ])('refuses an SVG with %s', (_name, text) => {
    const reason = svgText(Buffer.from(text)) === null ? 'not svg' : unsafeSvgReason(text);
    expect(reason).not.toBeNull();
    expect(codeOf(() => checkAsset({ data: Buffer.from(text), contentType: 'image/svg+xml' }))).toMatch(/^invalid:/);
  });

  it('accepts fragment and data: references', () => {
    expect(unsafeSvgReason(svg('<defs><linearGradient id="g"/></defs><rect fill="url(#g)"/><use href="#g"/><image href="data:image/png;base64,AAAA"/>'))).toBeNull();
  });

  it('reads the media type without parameters', () => {
    expect(mediaTypeOf(' Image/SVG+xml ; charset=utf-8')).toBe('image/svg+xml');
  });
});
