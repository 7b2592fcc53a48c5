import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { loadI18n, type I18n, type WarnPages } from './i18n.js';
import { createTemplateFiles, type TemplateFiles } from './templates.js';

export interface Branding {
  companyName: string;
  primaryColor: string;
  logoUrl?: string | null;
  faviconUrl?: string | null;
  customCss?: string | null;
}

/**
 * What every page gets (spec 60 §9), besides the `t` helper; each page adds its own variables
 * (docs/branding.md lists them).
 */
export interface PageContext {
  locale: string;
  branding: Branding;
  /** The organization whose template and message overrides apply (spec 60 §9, §11). */
  orgSlug?: string;
  /** The `<title>` (before the company name). */
  pageTitle?: string;
  /** The double-submit token for the `_csrf` field, on pages with a form Porta checks. */
  csrfToken?: string;
  flash?: { error?: string; success?: string; info?: string };
  /** The sign-in request the page belongs to, when there is one. */
  interaction?: { uid: string; prompt: string; clientName: string };
  [key: string]: unknown;
}

export interface Renderer {
  /** Renders `pages/{name}.hbs` (the organization's own when it has one) inside the layout. */
  render(name: string, data: PageContext): string;
}

/** A Handlebars instance with Porta's helpers: `t` translates with `{var}` substitution from hash arguments. */
export function createHandlebars(i18n: I18n): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('t', function (this: PageContext, key: string, options: Handlebars.HelperOptions) {
    const root = (options.data as { root: PageContext }).root;
    return i18n.t(root.locale, key, options.hash as Record<string, string>, root.orgSlug);
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return hb;
}

/**
 * Handlebars over `templates/default/{layouts,partials,pages}` and the per-organization page overrides
 * (`templates.ts`). Templates escape by default; only the layout's body slot is inserted raw.
 */
export function createRenderer(files: TemplateFiles, i18n: I18n): Renderer {
  const hb = createHandlebars(i18n);
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const compile = (rel: string, orgSlug?: string) => {
    const file = files.resolve(rel, orgSlug);
    let tpl = files.isCached ? compiled.get(file) : undefined;
    if (!tpl) {
      tpl = hb.compile(files.read(file));
      if (files.isCached) compiled.set(file, tpl);
    }
    return tpl;
  };
  const registerPartials = () => {
    for (const [name, source] of files.partials()) hb.registerPartial(name, source);
  };
  registerPartials();
  if (files.isCached) for (const { rel, orgSlug } of files.all()) compile(rel, orgSlug);
  return {
    render(name, data) {
      if (!files.isCached) registerPartials();
      const body = compile(`pages/${name}.hbs`, data.orgSlug)(data);
      return compile('layouts/main.hbs')({ ...data, body: new Handlebars.SafeString(body) });
    },
  };
}

/** The built-in set; a volume mounted over it replaces it wholesale (spec 50 §7). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
export const LOCALES_DIR = fileURLToPath(new URL('../../locales', import.meta.url));

export interface Pages {
  renderer: Renderer;
  i18n: I18n;
  templates: TemplateFiles;
}

export interface PagesOptions {
  /** The `templates/` root holding `default/` and the `{orgSlug}/` overrides. */
  templates?: string;
  /** The `locales/` root holding `default/{locale}/` and the `{orgSlug}/{locale}/` overrides. */
  locales?: string;
  /** Re-read templates on every render (development); otherwise read and compiled once at start-up. */
  isReloading?: boolean;
  /** The system_config `default_locale`, read synchronously (a snapshot), tried before `en`. */
  configuredLocale?: () => unknown;
  /** Told at start-up about override files that are ignored or can never be used. */
  warn?: WarnPages;
}

/** Porta's page renderer and messages (`templates/`, `locales/`). */
export function createPages(options: PagesOptions = {}): Pages {
  const i18n = loadI18n(options.locales ?? LOCALES_DIR, { configuredDefault: options.configuredLocale, warn: options.warn });
  const templates = createTemplateFiles(options.templates ?? TEMPLATES_DIR, { isCached: !options.isReloading, warn: options.warn });
  return { renderer: createRenderer(templates, i18n), i18n, templates };
}
