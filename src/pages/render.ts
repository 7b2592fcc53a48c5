import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { loadI18n, type I18n } from './i18n.js';

export interface Branding {
  companyName: string;
  primaryColor: string;
  logoUrl?: string | null;
  faviconUrl?: string | null;
  customCss?: string | null;
}

export interface PageContext {
  locale: string;
  branding: Branding;
  [key: string]: unknown;
}

export interface Renderer {
  /** Renders `pages/{name}.hbs` inside the default layout. */
  render(name: string, data: PageContext): string;
}

/**
 * Handlebars over `templates/default/{layouts,pages,partials}`. Templates escape by default; the `t`
 * helper translates with `{var}` substitution from hash arguments.
 */
export function createRenderer(templatesDir: string, i18n: I18n): Renderer {
  const hb = Handlebars.create();
  const read = (rel: string) => fs.readFileSync(path.join(templatesDir, rel), 'utf8');
  const partialsDir = path.join(templatesDir, 'partials');
  if (fs.existsSync(partialsDir)) {
    for (const f of fs.readdirSync(partialsDir).filter((x) => x.endsWith('.hbs'))) hb.registerPartial(path.basename(f, '.hbs'), read(`partials/${f}`));
  }
  hb.registerHelper('t', function (this: PageContext, key: string, options: Handlebars.HelperOptions) {
    const root = (options.data as { root: PageContext }).root;
    return i18n.t(root.locale, key, options.hash as Record<string, string>);
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const layout = hb.compile(read('layouts/main.hbs'), { strict: false });
  const pages = new Map<string, HandlebarsTemplateDelegate>();
  const page = (name: string) => {
    let tpl = pages.get(name);
    if (!tpl) {
      tpl = hb.compile(read(`pages/${name}.hbs`));
      pages.set(name, tpl);
    }
    return tpl;
  };
  return {
    render(name, data) {
      const body = page(name)(data);
      return layout({ ...data, body: new Handlebars.SafeString(body) });
    },
  };
}

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/default', import.meta.url));
export const LOCALES_DIR = fileURLToPath(new URL('../../locales', import.meta.url));

export interface Pages {
  renderer: Renderer;
  i18n: I18n;
}

/** Porta's page renderer and messages, read once at start-up (`templates/default/`, `locales/`). */
export function createPages(dirs: { templates: string; locales: string } = { templates: TEMPLATES_DIR, locales: LOCALES_DIR }): Pages {
  const i18n = loadI18n(dirs.locales);
  return { renderer: createRenderer(dirs.templates, i18n), i18n };
}
