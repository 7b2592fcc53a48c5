import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { LOCALES_DIR, TEMPLATES_DIR } from '../../src/pages/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Spec 60 §9 and §11 through the real server: the page language (Accept-Language, the organization's
 * default_locale, the system default_locale) and one organization's own template and messages, which
 * reach messages the server picks (here: the expired-interaction error) as well as template text.
 */
describe('E2E: page languages and organization overrides', () => {
  let s: TestServer;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-page-locales-'));

  beforeAll(async () => {
    fs.cpSync(TEMPLATES_DIR, path.join(root, 'templates'), { recursive: true });
    fs.cpSync(LOCALES_DIR, path.join(root, 'locales'), { recursive: true });
    fs.mkdirSync(path.join(root, 'templates', 'eigen-co', 'pages'), { recursive: true });
    fs.writeFileSync(path.join(root, 'templates', 'eigen-co', 'pages', 'error.hbs'), '<h1 id="own">{{t "errors.title"}}</h1><p>{{errorMessage}}</p>');
    fs.mkdirSync(path.join(root, 'locales', 'eigen-co', 'de'), { recursive: true });
    fs.writeFileSync(path.join(root, 'locales', 'eigen-co', 'de', 'errors.json'), JSON.stringify({ interaction_expired: 'Eigen: Bitte starten Sie neu.' }));
    s = await startTestServer({ backends: 'embedded', pages: { templates: path.join(root, 'templates'), locales: path.join(root, 'locales') } });
    const actor = systemActor();
    await s.porta.services.organizations.create(actor, { name: 'Eigen', slug: 'eigen-co' });
    await s.porta.services.organizations.create(actor, { name: 'Ander', slug: 'ander-co' });
    await s.porta.services.organizations.create(actor, { name: 'Neder', slug: 'neder-co', defaultLocale: 'nl' });
    await s.porta.services.organizations.create(actor, { name: 'Italo', slug: 'italo-co', defaultLocale: 'it' });
  });
  afterAll(async () => {
    await s?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const expiredPage = async (slug: string, acceptLanguage?: string) => {
    const res = await fetch(`${s.url}/${slug}/interaction/not-a-real-uid`, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
    return { status: res.status, html: await res.text() };
  };

  it('answers in the browser’s language', async () => {
    const page = await expiredPage('ander-co', 'es-MX,es;q=0.9,en;q=0.5');
    expect(page.status).toBe(400);
    expect(page.html).toContain('<html lang="es">');
    expect(page.html).toContain('Esta solicitud de inicio de sesión ha caducado.');
  });

  it('uses one organization’s own page and wording, and only for that organization', async () => {
    const own = await expiredPage('eigen-co', 'de-DE');
    expect(own.html).toContain('<h1 id="own">Etwas ist schiefgelaufen</h1>');
    expect(own.html).toContain('<p>Eigen: Bitte starten Sie neu.</p>');
    const other = await expiredPage('ander-co', 'de-DE');
    expect(other.html).not.toContain('id="own"');
    expect(other.html).toContain('Diese Anmeldeanfrage ist abgelaufen.');
    // The organization's German wording is not used for its English pages.
    expect((await expiredPage('eigen-co', 'en')).html).toContain('This sign-in request has expired.');
  });

  it('falls back to the organization’s default_locale, then the system default_locale, then English', async () => {
    // `*` names no language.
    expect((await expiredPage('neder-co', '*')).html).toContain('<html lang="nl">');
    expect((await expiredPage('italo-co', 'ja')).html).toContain('<html lang="en">');
    await s.porta.services.systemConfig.set(systemActor(), 'default_locale', 'fr');
    await s.porta.services.systemConfig.getMany();
    expect((await expiredPage('italo-co', 'ja')).html).toContain('<html lang="fr">');
    expect((await expiredPage('neder-co', 'ja')).html).toContain('<html lang="nl">');
    await s.porta.services.systemConfig.set(systemActor(), 'default_locale', 'en');
  });
});
