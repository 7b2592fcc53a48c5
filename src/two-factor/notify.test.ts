import { describe, expect, it } from 'vitest';
import { createMailRenderer } from '../mail/index.js';
import { createPages } from '../pages/index.js';
import { FACTOR_CHANGES } from './notify.js';

const pages = createPages();
const renderer = createMailRenderer({ templates: pages.templates, i18n: pages.i18n, issuerBaseUrl: 'https://id.example.com' });
const branding = { companyName: 'Acme', primaryColor: '#123456', logoUrl: null };
const render = (locale: string, data: Record<string, unknown>) =>
  renderer.render('two_factor_changed', { locale, orgSlug: 'acme', branding, data: { changedAt: '2026-03-01T12:00:00Z', userName: 'Ana', ...data } });

describe('the factor-change notice (two_factor_changed)', () => {
  it('names each change in every shipped language, never with a raw key or the generic sentence', () => {
    for (const locale of pages.i18n.locales()) {
      const generic = pages.i18n.t(locale, 'emails.two_factor_changed.changes.other');
      for (const change of FACTOR_CHANGES) {
        const out = render(locale, { change, remaining: 4 });
        const key = `emails.two_factor_changed.changes.${change}`;
        const sentence = pages.i18n.t(locale, key, { remaining: '4' });
        expect(out.text, `${locale} ${change}`).toContain(sentence);
        expect(out.text).not.toContain(generic);
        expect(out.html).toContain('Ana');
        expect(`${out.subject}${out.html}${out.text}`).not.toMatch(/emails\./);
      }
    }
  });

  it('says when the last recovery code is gone, and falls back to a generic sentence', () => {
    expect(render('en', { change: 'recovery_code_used', remaining: 0 }).text).toContain('You have no recovery codes left');
    expect(render('en', { change: 'recovery_code_used', remaining: 3 }).text).toContain('Recovery codes left: 3.');
    expect(render('en', {}).text).toContain('Your two-step verification settings changed.');
    expect(render('de', { change: 'disabled' }).subject).toBe('Die Anmeldesicherheit Ihres Kontos bei Acme wurde geändert');
  });
});
