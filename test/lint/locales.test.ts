import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenMessages, type Messages } from '../../src/pages/i18n.js';
import { LOCALES_DIR, SUPPORTED_LOCALES, TEMPLATES_DIR } from '../../src/pages/index.js';

/**
 * The message catalogs stay complete (spec 60 §11: every page string, validation message and e-mail
 * text comes from locale files): every locale has exactly English's keys with the same placeholders, and
 * every key a template or the code asks for exists.
 */

const catalogs = new Map<string, Messages>(
  fs
    .readdirSync(LOCALES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [path.basename(f, '.json'), flattenMessages(JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, f), 'utf8')))]),
);
const en = catalogs.get('en')!;

const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();

function filesUnder(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, ext) : e.name.endsWith(ext) ? [p] : [];
  });
}

/** `{{t "key" …}}`, `{{~t 'key'}}` and the subexpression `(t "key" …)`. */
export function templateKeys(source: string): string[] {
  return [...source.matchAll(/(?:\{\{~?|\()\s*t\s+(["'])(.+?)\1/g)].map((m) => m[2]!);
}

/** Literal keys the code hands to a translator: `t(locale, 'x.y')`, `t('x.y')`, `messageKey: 'x.y'`. */
export function codeKeys(source: string): string[] {
  const calls = [...source.matchAll(/\bt\(\s*(?:[\w.]+\s*,\s*)?'([a-z0-9_-]+\.[a-z0-9_.-]+)'/g)].map((m) => m[1]!);
  const props = [...source.matchAll(/\b(?:messageKey|titleKey)\s*[:=]\s*'([a-z0-9_-]+\.[a-z0-9_.-]+)'/g)].map((m) => m[1]!);
  return [...calls, ...props];
}

describe('locale catalogs', () => {
  it('ships the six languages of spec 60 §11', () => {
    expect([...catalogs.keys()].sort()).toEqual([...SUPPORTED_LOCALES].sort());
  });

  for (const [locale, messages] of catalogs) {
    if (locale === 'en') continue;
    it(`${locale} has every English key and no other`, () => {
      expect(Object.keys(en).filter((k) => !(k in messages)), 'missing').toEqual([]);
      expect(Object.keys(messages).filter((k) => !(k in en)), 'unknown').toEqual([]);
    });

    it(`${locale} keeps each key's placeholders`, () => {
      const differing = Object.keys(en)
        .filter((k) => k in messages && placeholders(en[k]!).join() !== placeholders(messages[k]!).join())
        .map((k) => `${k}: en {${placeholders(en[k]!).join(',')}} ≠ ${locale} {${placeholders(messages[k]!).join(',')}}`);
      expect(differing).toEqual([]);
    });
  }

  it('has no empty message in any locale', () => {
    const empty = [...catalogs].flatMap(([locale, m]) => Object.entries(m).filter(([, v]) => !v.trim()).map(([k]) => `${locale}:${k}`));
    expect(empty).toEqual([]);
  });

  it('has every key the templates use (pages, partials, layouts, e-mails; default set and organization overrides)', () => {
    const files = filesUnder(TEMPLATES_DIR, '.hbs');
    expect(files.length).toBeGreaterThan(0);
    const unknown = files.flatMap((f) => templateKeys(fs.readFileSync(f, 'utf8')).filter((k) => !(k in en)).map((k) => `${path.relative(TEMPLATES_DIR, f)}: ${k}`));
    expect(unknown).toEqual([]);
  });

  it('has every literal key the code translates', () => {
    const src = path.resolve(TEMPLATES_DIR, '..', 'src');
    const files = filesUnder(src, '.ts').filter((f) => !f.endsWith('.test.ts'));
    const unknown = files.flatMap((f) => codeKeys(fs.readFileSync(f, 'utf8')).filter((k) => !(k in en)).map((k) => `${path.relative(src, f)}: ${k}`));
    expect(unknown).toEqual([]);
  });

  it('finds the keys in both forms of helper call and in code', () => {
    expect(templateKeys(`{{t "a.b" x=y}} {{~t 'c.d'}} {{#if (t "e.f")}}{{/if}} {{title}}`)).toEqual(['a.b', 'c.d', 'e.f']);
    expect(codeKeys(`deps.i18n.t(it.locale, 'login.title', {}); t('device.title'); x = { messageKey: 'error.csrf' }; t(key)`)).toEqual([
      'login.title',
      'device.title',
      'error.csrf',
    ]);
  });
});
