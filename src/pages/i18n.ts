import fs from 'node:fs';
import path from 'node:path';

export type Messages = Record<string, string>;

/** The languages Porta ships (spec 60 §11); discovery advertises them as `ui_locales_supported`. */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr', 'es', 'nl', 'pt'] as const;

/** What an organization's folder under `locales/` or `templates/` may be called (its slug, 10-oidc §1). */
export const ORG_DIR_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

export interface I18n {
  locales(): string[];
  /**
   * The first supported locale among the candidates, in order: each a BCP 47 tag, a space-separated
   * `ui_locales` list or an `Accept-Language` header (taken by quality); a region falls back to its
   * language (`nl-BE` → `nl`); then the configured `default_locale`; none supported → `en`.
   */
  resolve(candidates: Array<string | undefined | null>): string;
  /**
   * The message in `locale` with `{var}` substitution: the organization's override first (when
   * `orgSlug` is given), then Porta's catalog, then the same two in English.
   */
  t(locale: string, key: string, vars?: Record<string, string | number | undefined>, orgSlug?: string): string;
}

/** A nested JSON object flattened to dotted keys; only string leaves count (no prototype: `constructor` is no message). */
export function flattenMessages(value: unknown, prefix = '', out: Messages = Object.create(null) as Messages): Messages {
  if (typeof value === 'string') {
    if (prefix) out[prefix] = value;
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenMessages(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * An organization's overrides, `locales/{orgSlug}/{locale}/{namespace}.json`: each file's keys (nested
 * or not) are placed under its namespace, so `acme/de/login.json` `{"title": "…"}` overrides `login.title`.
 */
function loadOrgOverrides(dir: string, known: Set<string>): Map<string, Map<string, Messages>> {
  const orgs = new Map<string, Map<string, Messages>>();
  for (const slug of fs.readdirSync(dir)) {
    const orgDir = path.join(dir, slug);
    if (slug === 'default' || !ORG_DIR_PATTERN.test(slug) || !isDir(orgDir)) continue;
    const byLocale = new Map<string, Messages>();
    for (const locale of fs.readdirSync(orgDir)) {
      const localeDir = path.join(orgDir, locale);
      if (!known.has(locale) || !isDir(localeDir)) continue;
      const messages: Messages = Object.create(null) as Messages;
      for (const file of fs.readdirSync(localeDir).filter((f) => f.endsWith('.json')).sort()) {
        flattenMessages(readJson(path.join(localeDir, file)), path.basename(file, '.json'), messages);
      }
      byLocale.set(locale, messages);
    }
    orgs.set(slug, byLocale);
  }
  return orgs;
}

/** `Accept-Language` or `ui_locales` entries, best first (quality, then position); `q=0` and `*` dropped. */
export function preferredTags(value: string): string[] {
  return value
    .split(',')
    .flatMap((part) => {
      const [tags = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return tags.trim().split(/\s+/).map((tag) => ({ tag: tag.toLowerCase(), q: q === undefined ? 1 : Number(q) }));
    })
    .map((e, index) => ({ ...e, index }))
    .filter((e) => e.tag && e.tag !== '*' && e.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((e) => e.tag);
}

/**
 * Loads Porta's catalogs `locales/{locale}.json` and the organizations' overrides under
 * `locales/{orgSlug}/`, once: a change takes a restart. English is the fallback for any missing message.
 */
export function loadI18n(dir: string, options: { fallback?: string; configuredDefault?: () => unknown } = {}): I18n {
  const fallback = options.fallback ?? 'en';
  const catalogs = new Map<string, Messages>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    catalogs.set(path.basename(file, '.json').toLowerCase(), flattenMessages(readJson(path.join(dir, file))));
  }
  if (!catalogs.has(fallback)) throw new Error(`locale ${fallback} missing in ${dir}`);
  const overrides = loadOrgOverrides(dir, new Set(catalogs.keys()));
  const rank = (locale: string) => (locale === fallback ? -1 : (SUPPORTED_LOCALES as readonly string[]).indexOf(locale) + 1 || SUPPORTED_LOCALES.length + 1);
  const lookup = (locale: string, key: string, orgSlug?: string) =>
    (orgSlug ? overrides.get(orgSlug)?.get(locale)?.[key] : undefined) ?? catalogs.get(locale)?.[key];
  return {
    locales: () => [...catalogs.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
    resolve(candidates) {
      // The configured `default_locale` (system_config) comes after the request's and organization's choices.
      const configured = options.configuredDefault?.();
      for (const c of [...candidates, typeof configured === 'string' ? configured : undefined]) {
        if (!c) continue;
        for (const tag of preferredTags(c)) {
          if (catalogs.has(tag)) return tag;
          const base = tag.split('-')[0]!;
          if (catalogs.has(base)) return base;
        }
      }
      return fallback;
    },
    t(locale, key, vars = {}, orgSlug) {
      const text = lookup(locale, key, orgSlug) ?? lookup(fallback, key, orgSlug) ?? key;
      return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
    },
  };
}
