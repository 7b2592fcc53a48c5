import fs from 'node:fs';
import path from 'node:path';

export type Messages = Record<string, string>;

/** The languages Porta ships (spec 60 §11); discovery advertises them as `ui_locales_supported`. */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr', 'es', 'nl', 'pt'] as const;

/**
 * The message namespaces, one file each (`{namespace}.json`): spec 60 §11's, plus `device` for the
 * device-flow pages and `passkeys` for the passkey pages (spec 70 §1). A key names its namespace first:
 * `login.title` is `title` in `login.json`.
 */
export const NAMESPACES = [
  'common', 'login', 'consent', 'errors', 'forgot-password', 'reset-password', 'magic-link', 'two-factor', 'invitation', 'logout', 'emails', 'device',
  'passkeys', 'account',
] as const;

/** What an organization's folder under `locales/` or `templates/` may be called (its slug, 10-oidc §1). */
export const ORG_DIR_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

/** A locale folder: a lower-case BCP 47 tag (`en`, `pt-br`). */
const LOCALE_DIR_PATTERN = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/;
const NAMESPACE_FILE_PATTERN = /^([a-z0-9][a-z0-9-]*)\.json$/;

/** A file Porta starts with but partly ignores, or that nothing may use; logged at start-up. */
export interface PagesWarning {
  /** Relative to `locales/` or `templates/`. */
  file: string;
  problem: string;
}
export type WarnPages = (warning: PagesWarning) => void;

export interface I18n {
  locales(): string[];
  /**
   * The first supported locale among the candidates, in order: each a BCP 47 tag, a space-separated
   * `ui_locales` list or an `Accept-Language` header (taken by quality); a region falls back to its
   * language (`nl-BE` → `nl`); then the configured `default_locale`; none supported → `en`.
   */
  resolve(candidates: Array<string | undefined | null>): string;
  /**
   * The message `key` (`namespace.path`, such as `login.title` or `emails.magic_link.subject`) in
   * `locale` with `{var}` substitution: the organization's override first (when `orgSlug` is given),
   * then Porta's catalog, then the same two in English. A key English lacks too is shown as itself.
   */
  t(locale: string, key: string, vars?: Record<string, string | number | undefined>, orgSlug?: string): string;
}

/** A nested JSON object flattened to dotted keys; only string leaves count (no prototype: `constructor` is no message). */
export function flattenMessages(value: unknown, prefix = '', out: Messages = Object.create(null) as Messages, onIgnored?: (key: string) => void): Messages {
  if (typeof value === 'string') {
    if (prefix) out[prefix] = value;
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) flattenMessages(v, prefix ? `${prefix}.${k}` : k, out, onIgnored);
  } else {
    onIgnored?.(prefix);
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * One `{locale}/` folder: each `{namespace}.json` file's messages placed under its namespace. A file
 * that is not a JSON object stops the start-up, naming the file; a value that is not text is skipped.
 */
function readLocaleDir(root: string, rel: string, warn: WarnPages): { messages: Messages; namespaces: string[] } {
  const messages: Messages = Object.create(null) as Messages;
  const namespaces: string[] = [];
  for (const file of fs.readdirSync(path.join(root, rel)).sort()) {
    if (!file.endsWith('.json')) continue;
    const fileRel = `${rel}/${file}`;
    const namespace = NAMESPACE_FILE_PATTERN.exec(file)?.[1];
    if (!namespace) {
      warn({ file: fileRel, problem: 'not a namespace file name (lower-case letters, digits and dashes): ignored' });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(path.join(root, fileRel), 'utf8'));
    } catch (err) {
      throw new Error(`locales: ${fileRel} is not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (!isObject(value)) throw new Error(`locales: ${fileRel} must hold a JSON object of messages`);
    flattenMessages(value, namespace, messages, (key) => warn({ file: fileRel, problem: `${key} is not text: ignored` }));
    namespaces.push(namespace);
  }
  return { messages, namespaces };
}

/** Porta's catalogs, `locales/default/{locale}/{namespace}.json`; a new locale is a new folder. */
function loadDefaults(dir: string, fallback: string, warn: WarnPages): Map<string, Messages> {
  const defaultDir = path.join(dir, 'default');
  if (!isDir(path.join(defaultDir, fallback))) {
    const isOldLayout = fs.existsSync(path.join(dir, `${fallback}.json`));
    throw new Error(
      `locales: ${defaultDir}/${fallback}/ is missing; messages live in locales/default/{locale}/{namespace}.json` +
        (isOldLayout ? ` (flat locales/{locale}.json files are no longer read: move each key to its namespace file)` : ''),
    );
  }
  const catalogs = new Map<string, Messages>();
  for (const entry of fs.readdirSync(defaultDir).sort()) {
    if (!isDir(path.join(defaultDir, entry))) continue;
    if (!LOCALE_DIR_PATTERN.test(entry)) {
      warn({ file: `default/${entry}`, problem: 'not a lower-case language tag (such as de or pt-br): ignored' });
      continue;
    }
    catalogs.set(entry, readLocaleDir(dir, `default/${entry}`, warn).messages);
  }
  return catalogs;
}

/**
 * The organizations' overrides, `locales/{orgSlug}/{locale}/{namespace}.json`, deep-merged over the
 * defaults: a file holds only the messages it changes, at any depth, so overriding `login.json`
 * `{"submit": "…"}` keeps every other `login.*` message. Kept apart from the defaults; `t` looks here first.
 */
function loadOrgOverrides(dir: string, catalogs: Map<string, Messages>, knownNamespaces: Set<string>, warn: WarnPages): Map<string, Map<string, Messages>> {
  const orgs = new Map<string, Map<string, Messages>>();
  for (const slug of fs.readdirSync(dir).sort()) {
    if (slug === 'default' || !isDir(path.join(dir, slug))) continue;
    if (!ORG_DIR_PATTERN.test(slug)) {
      warn({ file: slug, problem: 'not an organization slug: ignored' });
      continue;
    }
    const byLocale = new Map<string, Messages>();
    for (const locale of fs.readdirSync(path.join(dir, slug)).sort()) {
      if (!isDir(path.join(dir, slug, locale))) continue;
      if (!catalogs.has(locale)) {
        warn({ file: `${slug}/${locale}`, problem: `no such language in locales/default (${[...catalogs.keys()].join(', ')}): ignored` });
        continue;
      }
      const { messages, namespaces } = readLocaleDir(dir, `${slug}/${locale}`, warn);
      for (const namespace of namespaces.filter((n) => !knownNamespaces.has(n))) {
        warn({ file: `${slug}/${locale}/${namespace}.json`, problem: `"${namespace}" is not a namespace of Porta's messages (${[...knownNamespaces].join(', ')}); only this organization's own templates can use it` });
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

export interface I18nOptions {
  fallback?: string;
  /** The system_config `default_locale`, read on each resolution. */
  configuredDefault?: () => unknown;
  /** Told about files loaded only in part or not at all (an unknown language, a misnamed folder…). */
  warn?: WarnPages;
}

/**
 * Loads Porta's catalogs under `locales/default/` and the organizations' overrides under
 * `locales/{orgSlug}/`, once: a change takes a restart. English is the fallback for any missing message.
 */
export function loadI18n(dir: string, options: I18nOptions = {}): I18n {
  const fallback = options.fallback ?? 'en';
  const warn = options.warn ?? (() => {});
  const catalogs = loadDefaults(dir, fallback, warn);
  const knownNamespaces = new Set<string>([...NAMESPACES, ...Object.keys(catalogs.get(fallback)!).map((key) => key.split('.')[0]!)]);
  const overrides = loadOrgOverrides(dir, catalogs, knownNamespaces, warn);
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
