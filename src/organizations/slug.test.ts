import { describe, expect, it } from 'vitest';
import { RESERVED_SLUGS, slugCandidates, slugify, validateSlug } from './slug.js';

function take(gen: Generator<string>, n: number): string[] {
  const out: string[] = [];
  for (const value of gen) {
    out.push(value);
    if (out.length === n) break;
  }
  return out;
}

describe('validateSlug', () => {
  it.each(['abc', 'acme-corp', 'a1b2', 'x'.repeat(100), '123'])('accepts %s', (slug) => {
    expect(validateSlug(slug)).toEqual({ isValid: true });
  });

  it.each(['ab', '', '-abc', 'abc-', 'ABC', 'a_c', 'a c', 'café', 'x'.repeat(101)])('rejects %j as format', (slug) => {
    expect(validateSlug(slug)).toEqual({ isValid: false, reason: 'format' });
  });

  it('rejects reserved names unless allowed', () => {
    expect(validateSlug('admin')).toEqual({ isValid: false, reason: 'reserved' });
    expect(validateSlug('jwks')).toEqual({ isValid: false, reason: 'reserved' });
    expect(validateSlug('admin', { allowReserved: true })).toEqual({ isValid: true });
    expect(RESERVED_SLUGS.has('.well-known')).toBe(true);
  });
});

describe('slugify', () => {
  it('lowercases, folds accents and collapses separators', () => {
    expect(slugify('  Acme   Corp!! ')).toBe('acme-corp');
    expect(slugify('Café Crème & Co.')).toBe('cafe-creme-co');
    expect(slugify('--Hello__World--')).toBe('hello-world');
    expect(slugify('日本')).toBe('');
  });

  it('truncates to 100 characters without a trailing dash', () => {
    const slug = slugify(`${'a'.repeat(99)} b`);
    expect(slug).toBe('a'.repeat(99));
    expect(slugify('b'.repeat(150))).toHaveLength(100);
  });
});

describe('slugCandidates', () => {
  it('counts up from the base', () => {
    expect(take(slugCandidates('Acme Corp', 'organization'), 3)).toEqual(['acme-corp', 'acme-corp-2', 'acme-corp-3']);
  });

  it('skips a too-short or reserved base and uses the fallback for an empty one', () => {
    expect(take(slugCandidates('A', 'organization'), 2)).toEqual(['a-2', 'a-3']);
    expect(take(slugCandidates('Admin', 'organization'), 1)).toEqual(['admin-2']);
    expect(take(slugCandidates('Admin', 'application', { allowReserved: true }), 1)).toEqual(['admin']);
    expect(take(slugCandidates('!!!', 'organization'), 1)).toEqual(['organization']);
  });

  it('shortens the base so the suffix fits in 100 characters', () => {
    const [, second] = take(slugCandidates('c'.repeat(120), 'organization'), 2);
    expect(second).toBe(`${'c'.repeat(98)}-2`);
  });
});
