import { describe, expect, it } from 'vitest';
import { imageTypeOf } from './file-type.js';

const bytes = (...b: number[]) => new Uint8Array([...b, ...new Array(16).fill(0)]);
const text = (s: string) => new Uint8Array(Buffer.from(s));

describe('imageTypeOf (branding asset upload)', () => {
  it('detects images by signature, not by name', () => {
    expect(imageTypeOf(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('image/png');
    expect(imageTypeOf(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(imageTypeOf(new Uint8Array(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1')))).toBe('image/webp');
    expect(imageTypeOf(bytes(0x00, 0x00, 0x01, 0x00, 0x01))).toBe('image/x-icon');
    expect(imageTypeOf(text('<?xml version="1.0"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe('image/svg+xml');
    expect(imageTypeOf(text('\uFEFF  <svg viewBox="0 0 1 1"/>'))).toBe('image/svg+xml');
  });

  it('refuses anything else', () => {
    expect(imageTypeOf(text('GIF89a'))).toBeNull();
    expect(imageTypeOf(text('<html><svg></svg></html>'))).toBeNull();
    expect(imageTypeOf(new Uint8Array())).toBeNull();
  });
});
