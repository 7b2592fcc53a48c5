import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flattenMessages, type Messages } from '../../src/pages/i18n.js';
import { LOCALES_DIR, NAMESPACES, SUPPORTED_LOCALES, TEMPLATES_DIR } from '../../src/pages/index.js';
import { MAIL_TEMPLATES } from '../../src/mail/index.js';

/**
 * The message catalogs stay complete (spec 60 §11: every page string, validation message and e-mail
 * subject and body comes from locale files, `locales/default/{locale}/{namespace}.json`): every locale
 * has English's namespace files and exactly English's keys with the same placeholders, and every key a
 * template (page or e-mail) or the code asks for exists.
 */

const DEFAULTS = path.join(LOCALES_DIR, 'default');
const namespaceFiles = (locale: string) => fs.readdirSync(path.join(DEFAULTS, locale)).filter((f) => f.endsWith('.json')).sort();

/** Each locale's messages as `namespace.path` keys, read straight from the files. */
const catalogs = new Map<string, Messages>(
  fs.readdirSync(DEFAULTS).map((locale) => {
    const messages: Messages = Object.create(null) as Messages;
    for (const file of namespaceFiles(locale)) {
      flattenMessages(JSON.parse(fs.readFileSync(path.join(DEFAULTS, locale, file), 'utf8')), path.basename(file, '.json'), messages);
    }
    return [locale, messages];
  }),
);
const en = catalogs.get('en')!;
const namespaces = new Set(namespaceFiles('en').map((f) => path.basename(f, '.json')));

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

/**
 * What the code hands to a translator: every single-quoted literal that starts with a namespace
 * (`'errors.csrf'`, wherever it is passed: `t(…)`, an error's message key, a table of messages), and the
 * fixed start of a built key (`` `consent.scopes.${scope}` `` → `consent.scopes.`).
 */
export function codeKeys(source: string, known: Set<string>): { keys: string[]; prefixes: string[] } {
  const starts = (key: string) => known.has(key.split('.')[0]!);
  const keys = [...source.matchAll(/'([a-z0-9-]+\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)'/g)].map((m) => m[1]!).filter(starts);
  const prefixes = [...source.matchAll(/`([a-z0-9-]+\.(?:[a-z0-9_]+\.)*)\$\{/g)].map((m) => m[1]!).filter(starts);
  return { keys, prefixes };
}

describe('locale catalogs', () => {
  it('ships the six languages of spec 60 §11, one folder each', () => {
    expect([...catalogs.keys()].sort()).toEqual([...SUPPORTED_LOCALES].sort());
  });

  it('uses only the namespaces of spec 60 §11 (and device, passkeys)', () => {
    expect([...namespaces].filter((n) => !(NAMESPACES as readonly string[]).includes(n))).toEqual([]);
  });

  for (const [locale, messages] of catalogs) {
    if (locale === 'en') continue;
    it(`${locale} has English's namespace files, every English key and no other`, () => {
      expect(namespaceFiles(locale)).toEqual(namespaceFiles('en'));
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

  it('has no empty message and no value other than text in any locale', () => {
    const empty = [...catalogs].flatMap(([locale, m]) => Object.entries(m).filter(([, v]) => !v.trim()).map(([k]) => `${locale}:${k}`));
    expect(empty).toEqual([]);
    const ignored: string[] = [];
    for (const locale of catalogs.keys()) {
      for (const file of namespaceFiles(locale)) {
        flattenMessages(JSON.parse(fs.readFileSync(path.join(DEFAULTS, locale, file), 'utf8')), '', undefined, (key) => ignored.push(`${locale}/${file}: ${key}`));
      }
    }
    expect(ignored).toEqual([]);
  });

  it('has every key the templates use (pages, partials, layouts, e-mails; default set and organization overrides)', () => {
    const files = filesUnder(TEMPLATES_DIR, '.hbs');
    expect(files.filter((f) => f.includes(`${path.sep}emails${path.sep}`)).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.includes(`${path.sep}pages${path.sep}`)).length).toBeGreaterThan(0);
    const unknown = files.flatMap((f) => templateKeys(fs.readFileSync(f, 'utf8')).filter((k) => !(k in en)).map((k) => `${path.relative(TEMPLATES_DIR, f)}: ${k}`));
    expect(unknown).toEqual([]);
  });

  it('has the subject of every e-mail (spec 60 §8) and a description of every standard scope (spec 60 §7)', () => {
    const wanted = [
      ...MAIL_TEMPLATES.map((template) => `emails.${template}.subject`),
      'emails.invitation.subject_anonymous',
      ...['openid', 'profile', 'email', 'address', 'phone', 'offline_access'].map((scope) => `consent.scopes.${scope}`),
    ];
    expect(wanted.filter((k) => !(k in en))).toEqual([]);
  });

  it('has every key the code translates', () => {
    const src = path.resolve(TEMPLATES_DIR, '..', 'src');
    const files = filesUnder(src, '.ts').filter((f) => !f.endsWith('.test.ts'));
    const enKeys = Object.keys(en);
    let found = 0;
    const unknown = files.flatMap((f) => {
      const { keys, prefixes } = codeKeys(fs.readFileSync(f, 'utf8'), namespaces);
      found += keys.length;
      return [
        ...keys.filter((k) => !(k in en)),
        ...prefixes.filter((p) => !enKeys.some((k) => k.startsWith(p))).map((p) => `${p}…`),
      ].map((k) => `${path.relative(src, f)}: ${k}`);
    });
    expect(found).toBeGreaterThan(30);
    expect(unknown).toEqual([]);
  });

  it('finds the keys in both forms of helper call and in code', () => {
    expect(templateKeys(`{{t "a.b" x=y}} {{~t 'c.d'}} {{#if (t "e.f")}}{{/if}} {{title}}`)).toEqual(['a.b', 'c.d', 'e.f']);
    const known = new Set(['login', 'errors', 'consent', 'magic-link']);
    expect(
      codeKeys(
        `deps.i18n.t(it.locale, 'login.title', {}); throw new Failed('errors.csrf', 400); const M = { x: 'magic-link.sent' }; t(key); ` +
          `audit('user.login.password'); t(\`consent.scopes.\${s}\`); 'login';`,
        known,
      ),
    ).toEqual({ keys: ['login.title', 'errors.csrf', 'magic-link.sent'], prefixes: ['consent.scopes.'] });
  });
});
