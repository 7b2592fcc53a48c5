import { describe, expect, it } from 'vitest';
import { InputRejected, checkCharset, checkJson, checkRequestTarget, decodeUtf8, parseForm } from './input.js';

const rejects = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(InputRejected);
  expect(fn).toThrow(message);
};

describe('input checks', () => {
  it('accepts well-formed request targets, including absolute-form and UTF-8 escapes', () => {
    for (const target of ['/', '/acme/auth/authorize?client_id=a&state=%E2%9C%93', '/api/admin/users?search=J%C3%BCrgen+M', 'http://h/x?y=%20']) {
      expect(() => checkRequestTarget(target)).not.toThrow();
    }
  });

  it('refuses malformed percent-encoding, invalid UTF-8 (overlong NUL too) and NUL in request targets', () => {
    rejects(() => checkRequestTarget('/a?x=%ZZ'), /malformed percent-encoding/);
    rejects(() => checkRequestTarget('/a?x=%'), /malformed percent-encoding/);
    rejects(() => checkRequestTarget('/a?x=%C3%28'), /not valid UTF-8/);
    rejects(() => checkRequestTarget('/a?x=%ED%A0%80'), /not valid UTF-8/);
    rejects(() => checkRequestTarget('/a?x=%C0%80'), /not valid UTF-8/);
    rejects(() => checkRequestTarget('/a%00b'), /NUL/);
  });

  it('parses forms strictly: + is a space, the first = splits, empty pairs are skipped', () => {
    expect(parseForm('a=1&b=x+y&c&&d=%3D=')).toEqual([['a', '1'], ['b', 'x y'], ['c', ''], ['d', '==']]);
    rejects(() => parseForm('a=%00'), /NUL/);
    rejects(() => parseForm('a%00=1'), /NUL/);
    rejects(() => parseForm('a=%G1'), /malformed/);
    rejects(() => parseForm('a=%FF'), /UTF-8/);
  });

  it('decodes only UTF-8 bodies and accepts only a UTF-8 charset', () => {
    expect(decodeUtf8(Buffer.from('{"a":"ü"}'))).toBe('{"a":"ü"}');
    rejects(() => decodeUtf8(Buffer.from([0x22, 0xff, 0x22])), /not valid UTF-8/);
    expect(() => checkCharset('')).not.toThrow();
    expect(() => checkCharset('UTF-8')).not.toThrow();
    expect(() => checkCharset('utf8')).not.toThrow();
    expect(() => checkCharset('iso-8859-1')).toThrow(expect.objectContaining({ kind: 'unsupported_media_type' }));
  });

  it('finds NUL and lone surrogates anywhere in a JSON document, keys included, however deep', () => {
    expect(() => checkJson({ a: ['x', { b: 'ü😀' }], n: 1, t: true, z: null })).not.toThrow();
    rejects(() => checkJson({ a: [{ b: 'x\u0000' }] }), /NUL/);
    rejects(() => checkJson({ 'k\u0000': 1 }), /NUL/);
    rejects(() => checkJson(['\ud800']), /not valid Unicode/);
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    rejects(() => checkJson(deep), /NUL/);
  });
});
