import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flattenMessages, loadI18n, preferredTags, type I18n, type PagesWarning, type WarnPages } from './i18n.js';
import { createPages, createRenderer, LOCALES_DIR, TEMPLATES_DIR } from './render.js';
import { createTemplateFiles } from './templates.js';

const branding = { companyName: 'Acme', primaryColor: '#2563eb' };
/** One shipped locale's messages, `namespace.path` keys, read straight from `locales/default/{locale}/`. */
function catalog(locale: string) {
  const dir = path.join(LOCALES_DIR, 'default', locale);
  const messages = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    flattenMessages(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), path.basename(file, '.json'), messages);
  }
  return messages;
}

/** A context that takes every `#if`/`#unless` branch and fills every `#each` of a template. */
function everyBranch(source: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [, block, name] of source.matchAll(/\{\{#(if|unless|each|with)\s+([\w.]+)/g)) {
    const [head, ...rest] = name!.split('.');
    const value = block === 'each' ? ['item-one'] : block === 'unless' ? '' : 'value';
    if (rest.length === 0) data[head!] = value;
    else data[head!] = { ...(data[head!] as object), [rest.join('.')]: value };
  }
  return data;
}

describe('every page in every locale', () => {
  const { i18n, templates } = createPages();
  const pageNames = fs.readdirSync(path.join(TEMPLATES_DIR, 'default', 'pages')).filter((f) => f.endsWith('.hbs')).map((f) => path.basename(f, '.hbs'));

  it('knows the pages', () => {
    expect(pageNames).toEqual(expect.arrayContaining(['login', 'consent', 'error', 'logout', 'logout-success', 'device-code', 'device-confirm', 'device-success']));
  });

  for (const locale of i18n.locales()) {
    it(`renders each page in ${locale} from ${locale} messages only`, () => {
      const messages = catalog(locale);
      const asked: string[] = [];
      const spy: I18n = { ...i18n, t: (l, key, vars, org) => (asked.push(key), i18n.t(l, key, vars, org)) };
      const renderer = createRenderer(templates, spy);
      for (const name of pageNames) {
        const source = ['layouts/main.hbs', `pages/${name}.hbs`, 'partials/header.hbs', 'partials/flash-messages.hbs', 'partials/footer.hbs']
          .map((rel) => path.join(TEMPLATES_DIR, 'default', rel))
          .filter((f) => fs.existsSync(f))
          .map((f) => fs.readFileSync(f, 'utf8'))
          .join('\n');
        asked.length = 0;
        const html = renderer.render(name, { ...everyBranch(source), locale, branding, orgSlug: 'acme' });
        expect(html, name).toContain(`<html lang="${locale}">`);
        expect(asked.filter((k) => !(k in messages)), `${name} in ${locale}: keys without a ${locale} message`).toEqual([]);
        // A missing message would show its raw key.
        expect(asked.filter((k) => html.includes(k)), name).toEqual([]);
      }
    });
  }
});

describe('locale resolution (spec 60 §11)', () => {
  const { i18n } = createPages();

  it('takes ui_locales first, then Accept-Language by quality, then the organization default, then en', () => {
    expect(i18n.resolve(['xx de', 'fr', 'es'])).toBe('de');
    expect(i18n.resolve([undefined, 'it;q=1, fr;q=0.5, nl;q=0.8', 'es'])).toBe('nl');
    expect(i18n.resolve([undefined, 'it, ja', 'es'])).toBe('es');
    expect(i18n.resolve([undefined, '', 'it'])).toBe('en');
    expect(i18n.resolve(['nl-BE'])).toBe('nl');
    expect(i18n.resolve(['pt-BR'])).toBe('pt');
    expect(i18n.resolve(['de;q=0, *'])).toBe('en');
  });

  it('tries the configured default_locale after the organization default, before en', () => {
    let configured: unknown = 'fr';
    const withConfig = loadI18n(LOCALES_DIR, { configuredDefault: () => configured });
    expect(withConfig.resolve([undefined, 'it', 'ja'])).toBe('fr');
    expect(withConfig.resolve([undefined, 'it', 'nl'])).toBe('nl');
    configured = null;
    expect(withConfig.resolve([undefined, 'it', 'ja'])).toBe('en');
  });

  it('orders Accept-Language entries by quality and then position', () => {
    expect(preferredTags('en-US,en;q=0.9, de-CH;q=0.95 , fr;q=0')).toEqual(['en-us', 'de-ch', 'en']);
    expect(preferredTags('da, en-gb;q=0.8, en;q=0.7')).toEqual(['da', 'en-gb', 'en']);
    expect(preferredTags('fr; q=0.5, nl ; q=0.8, de;q=0')).toEqual(['nl', 'fr']);
    expect(preferredTags('xx de  fr')).toEqual(['xx', 'de', 'fr']);
  });

  it('lists English first, then the other shipped languages', () => {
    expect(i18n.locales()).toEqual(['en', 'de', 'fr', 'es', 'nl', 'pt']);
  });

  it('falls back to English per key, and substitutes placeholders', () => {
    expect(i18n.t('de', 'login.title', { client: 'Shop' })).toBe('Bei Shop anmelden');
    expect(i18n.t('xx', 'login.title', { client: 'Shop' })).toBe('Sign in to Shop');
    expect(i18n.t('de', 'constructor')).toBe('constructor');
  });
});

describe('organization overrides', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-overrides-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  fs.cpSync(path.join(TEMPLATES_DIR, 'default'), path.join(root, 'templates', 'default'), { recursive: true });
  write('locales/default/en/login.json', JSON.stringify({ title: 'Sign in to {client}', submit: 'Sign in' }));
  write('locales/default/en/errors.json', JSON.stringify({ title: 'Oops' }));
  write('locales/default/en/emails.json', JSON.stringify({ footer: 'Sent by {company}', magic_link: { subject: 'Your link', intro: 'Use it', action: 'Sign in' } }));
  write('locales/default/de/login.json', JSON.stringify({ title: 'Bei {client} anmelden', submit: 'Anmelden' }));
  write('locales/default/de/emails.json', JSON.stringify({ magic_link: { subject: 'Ihr Link', intro: 'Benutzen Sie ihn', action: 'Anmelden' } }));
  write('locales/acme/de/login.json', JSON.stringify({ submit: 'Los geht’s' }));
  write('locales/acme/de/emails.json', JSON.stringify({ magic_link: { subject: 'Ihr Acme-Link' } }));
  write('locales/acme/en/errors.json', JSON.stringify({ title: 'Acme oops' }));
  write('locales/acme/en/error.json', JSON.stringify({ title: 'old namespace name' }));
  write('locales/acme/it/login.json', JSON.stringify({ submit: 'Avanti' }));
  write('locales/Bad..Slug/de/login.json', JSON.stringify({ submit: 'never' }));
  write('templates/acme/pages/error.hbs', '<h1>ACME ERROR {{t "errors.title"}}</h1>');
  write('templates/acme/layouts/main.hbs', 'org layouts are not overridable {{{body}}}');
  write('templates/acme/emails/magic_link.html.hbs', 'an old file name');
  write('templates/acme/emails/button.partial.hbs', 'partials are the default set’s');
  const pages = (warn?: WarnPages) => createPages({ templates: path.join(root, 'templates'), locales: path.join(root, 'locales'), warn });

  it('deep-merges an organization’s messages over the defaults, and English after its own locale', () => {
    const { i18n } = pages();
    expect(i18n.t('de', 'login.submit', {}, 'acme')).toBe('Los geht’s');
    expect(i18n.t('de', 'login.title', { client: 'X' }, 'acme')).toBe('Bei X anmelden');
    expect(i18n.t('de', 'login.submit', {}, 'other')).toBe('Anmelden');
    expect(i18n.t('de', 'errors.title', {}, 'acme')).toBe('Acme oops');
    expect(i18n.t('de', 'login.submit')).toBe('Anmelden');
    // A nested override replaces one leaf; its siblings keep the defaults.
    expect(i18n.t('de', 'emails.magic_link.subject', {}, 'acme')).toBe('Ihr Acme-Link');
    expect(i18n.t('de', 'emails.magic_link.intro', {}, 'acme')).toBe('Benutzen Sie ihn');
    expect(i18n.t('de', 'emails.magic_link.subject', {}, 'other')).toBe('Ihr Link');
    expect(i18n.t('de', 'emails.footer', { company: 'A' }, 'acme')).toBe('Sent by A');
  });

  it('warns about override files nothing uses, and still starts', () => {
    const warnings: PagesWarning[] = [];
    pages((w) => warnings.push(w));
    expect(warnings.map((w) => w.file).sort()).toEqual([
      'Bad..Slug', 'acme/emails/button.partial.hbs', 'acme/emails/magic_link.html.hbs', 'acme/en/error.json', 'acme/it', 'acme/layouts/main.hbs',
    ]);
    expect(warnings.find((w) => w.file === 'acme/emails/magic_link.html.hbs')?.problem).toMatch(/emails\/magic-link\.hbs \(HTML\) and emails\/magic-link\.txt\.hbs/);
    expect(warnings.find((w) => w.file === 'acme/en/error.json')?.problem).toMatch(/"error" is not a namespace/);
  });

  it('refuses to start on a message file that is not JSON, naming it, and on the old flat layout', () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-locales-'));
    try {
      fs.mkdirSync(path.join(broken, 'default', 'en'), { recursive: true });
      fs.writeFileSync(path.join(broken, 'default', 'en', 'login.json'), '{"title": "Sign in"}');
      fs.mkdirSync(path.join(broken, 'acme', 'en'), { recursive: true });
      fs.writeFileSync(path.join(broken, 'acme', 'en', 'login.json'), '{"title": ');
      expect(() => loadI18n(broken)).toThrow(/locales: acme\/en\/login\.json is not valid JSON/);
      fs.writeFileSync(path.join(broken, 'acme', 'en', 'login.json'), '["title"]');
      expect(() => loadI18n(broken)).toThrow(/acme\/en\/login\.json must hold a JSON object/);
      fs.rmSync(path.join(broken, 'default'), { recursive: true });
      fs.writeFileSync(path.join(broken, 'en.json'), '{}');
      expect(() => loadI18n(broken)).toThrow(/flat locales\/\{locale\}\.json files are no longer read/);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });

  it('replaces a single page for one organization; the layout and other organizations keep the default', () => {
    const { renderer } = pages();
    const acme = renderer.render('error', { locale: 'en', branding, orgSlug: 'acme' });
    expect(acme).toContain('<h1>ACME ERROR Acme oops</h1>');
    expect(acme).toContain('<!doctype html>');
    expect(renderer.render('error', { locale: 'en', branding, orgSlug: 'globex' })).not.toContain('ACME ERROR');
    expect(renderer.render('error', { locale: 'en', branding })).not.toContain('ACME ERROR');
  });

  it('never builds a path from an unchecked name or slug', () => {
    const files = createTemplateFiles(path.join(root, 'templates'), { isCached: true });
    expect(files.resolve('pages/error.hbs', '../acme')).toBe(path.join(root, 'templates', 'default', 'pages', 'error.hbs'));
    expect(files.resolve('pages/error.hbs', '..')).toBe(path.join(root, 'templates', 'default', 'pages', 'error.hbs'));
    expect(() => files.resolve('pages/../../etc/passwd.hbs')).toThrow(/invalid template path/);
    expect(() => pages().renderer.render('../layouts/main', { locale: 'en', branding })).toThrow(/invalid template path/);
  });

  it('reads once when cached, and on every render when reloading (development)', () => {
    const cached = pages();
    const reloading = createPages({ templates: path.join(root, 'templates'), locales: path.join(root, 'locales'), isReloading: true });
    write('templates/acme/pages/error.hbs', '<h1>EDITED</h1>');
    expect(cached.renderer.render('error', { locale: 'en', branding, orgSlug: 'acme' })).toContain('ACME ERROR');
    expect(reloading.renderer.render('error', { locale: 'en', branding, orgSlug: 'acme' })).toContain('EDITED');
  });

  it('fails at start-up when the default set is incomplete', () => {
    expect(() => createTemplateFiles(path.join(root, 'locales'), { isCached: true })).toThrow(/main\.hbs is missing/);
  });

  it('loads the shipped catalogs', () => {
    expect(loadI18n(LOCALES_DIR).locales()).toHaveLength(6);
  });
});
