import { describe, expect, it } from 'vitest';
import { createPages } from '../pages/index.js';
import { createMailRenderer } from './render.js';
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
