import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPages, LOCALES_DIR, TEMPLATES_DIR } from '../pages/index.js';
import { createMailRenderer, mailFileName } from './render.js';
import { MAIL_TEMPLATES } from './schema.js';

const pages = createPages();
const renderer = createMailRenderer({ templates: pages.templates, i18n: pages.i18n, issuerBaseUrl: 'https://id.example.com' });
const branding = { companyName: 'Acme <Ltd>', primaryColor: '#123456', logoUrl: 'https://id.example.com/acme/branding/logo?v=1' };
const data = {
  link: '/acme/x/abc', minutes: 15, userName: 'Ann "<b>"', inviterName: 'Bob & Co', message: 'Line one <i>\nLine two',
  expiresAt: '2026-12-09T10:00:00Z', changedAt: '2026-12-02T10:00:00Z', email: 'ann@example.com', code: '123456',
};

describe('e-mail rendering', () => {
  it.each(MAIL_TEMPLATES)('%s has a subject, an HTML and a text part in every shipped language, with no raw key', (template) => {
    for (const locale of pages.i18n.locales()) {
      const out = renderer.render(template, { locale, orgSlug: 'acme', branding, data });
      expect(out.subject).not.toMatch(/emails\.|\n/);
      expect(out.html).toContain(`lang="${locale}"`);
      expect(out.html).toContain('#123456');
      expect(out.html).not.toMatch(/emails\./);
      expect(out.text).not.toMatch(/emails\./);
      expect(out.text).toContain('Acme <Ltd>');
      expect(out.html).not.toContain('Acme <Ltd>');
    }
  });

  it('escapes what users wrote in the HTML part, keeps it readable in the text part', () => {
    const out = renderer.render('invitation', { locale: 'en', orgSlug: 'acme', branding, data });
    expect(out.subject).toBe('Bob & Co invited you to Acme <Ltd>');
    expect(out.html).toContain('Line one &lt;i&gt;<br>Line two');
    expect(out.html).toContain('Ann &quot;&lt;b&gt;&quot;');
    expect(out.html).not.toMatch(/<i>|<b>/);
    expect(out.text).toContain('Line one <i>\nLine two');
    expect(out.text).toContain('December 9, 2026');
  });

  it('makes links absolute on ISSUER_BASE_URL and refuses links to another origin', () => {
    const out = renderer.render('magic_link', { locale: 'en', orgSlug: 'acme', branding, data });
    expect(out.html).toContain('href="https://id.example.com/acme/x/abc"');
    expect(out.text).toContain('https://id.example.com/acme/x/abc');
    expect(renderer.linksOf({ link: '/a', logoUrl: 'https://id.example.com/l', name: 'x' })).toEqual(['https://id.example.com/a', 'https://id.example.com/l']);
    for (const link of ['https://evil.example/acme/x', '//evil.example/x', 'javascript:alert(1)', 'http://id.example.com/x']) {
      expect(() => renderer.render('magic_link', { locale: 'en', orgSlug: 'acme', branding, data: { ...data, link } })).toThrow(/ISSUER_BASE_URL|URL/);
    }
  });

  it('uses the company name when there is no logo, and removes line breaks from the subject', () => {
    const out = renderer.render('welcome', { locale: 'de', orgSlug: 'acme', branding: { ...branding, companyName: 'Two\r\nLines', logoUrl: null }, data: {} });
    expect(out.subject).toBe('Willkommen bei Two Lines');
    expect(out.html).not.toContain('<img');
  });
});

describe('e-mail files and subjects (spec 60 §8–§9)', () => {
  it('names each file after the e-mail, HTML and text, and takes the subject from the emails messages', () => {
    for (const template of MAIL_TEMPLATES) {
      for (const file of [`${mailFileName(template)}.hbs`, `${mailFileName(template)}.txt.hbs`]) {
        expect(fs.existsSync(path.join(TEMPLATES_DIR, 'default', 'emails', file)), file).toBe(true);
      }
    }
    expect(mailFileName('magic_link')).toBe('magic-link');
    expect(renderer.render('invitation', { locale: 'en', orgSlug: 'acme', branding, data: { ...data, inviterName: undefined } }).subject).toBe('You are invited to Acme <Ltd>');
    expect(renderer.render('otp_code', { locale: 'fr', orgSlug: 'acme', branding, data }).subject).not.toContain('123456');
    expect(renderer.render('password_reset', { locale: 'nl', orgSlug: 'acme', branding, data }).subject).toBe(pages.i18n.t('nl', 'emails.password_reset.subject', { company: 'Acme <Ltd>' }));
  });
});

describe('one organization’s e-mails', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-mail-overrides-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  fs.cpSync(TEMPLATES_DIR, path.join(root, 'templates'), { recursive: true });
  fs.cpSync(LOCALES_DIR, path.join(root, 'locales'), { recursive: true });
  write('templates/acme/emails/magic-link.hbs', '<p id="acme">{{t "emails.magic_link.intro" company=branding.companyName}} <a href="{{data.link}}">{{t "emails.magic_link.action"}}</a></p>');
  write('locales/acme/de/emails.json', JSON.stringify({ magic_link: { subject: 'Ihr Acme-Zugang', action: 'Jetzt zu Acme' } }));
  const own = createPages({ templates: path.join(root, 'templates'), locales: path.join(root, 'locales') });
  const ownRenderer = createMailRenderer({ templates: own.templates, i18n: own.i18n, issuerBaseUrl: 'https://id.example.com' });

  it('uses its own HTML file and wording for it alone; its text part, layout and other e-mails stay the default', () => {
    const acme = ownRenderer.render('magic_link', { locale: 'de', orgSlug: 'acme', branding, data });
    expect(acme.html).toContain('<p id="acme">');
    expect(acme.html).toContain('href="https://id.example.com/acme/x/abc">Jetzt zu Acme</a>');
    expect(acme.html).toContain('lang="de"');
    expect(acme.subject).toBe('Ihr Acme-Zugang');
    // Deep-merged: the messages acme does not override are Porta's German ones.
    expect(acme.text).toContain(own.i18n.t('de', 'emails.magic_link.intro', { company: 'Acme <Ltd>' }));
    expect(acme.text).toContain('Jetzt zu Acme: https://id.example.com/acme/x/abc');

    const globex = ownRenderer.render('magic_link', { locale: 'de', orgSlug: 'globex', branding, data });
    expect(globex.html).not.toContain('id="acme"');
    expect(globex.subject).toBe(own.i18n.t('de', 'emails.magic_link.subject', { company: 'Acme <Ltd>' }));
    expect(ownRenderer.render('password_reset', { locale: 'de', orgSlug: 'acme', branding, data }).html).not.toContain('id="acme"');
  });
});
