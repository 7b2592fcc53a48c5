import fs from 'node:fs';
import path from 'node:path';
import { ORG_DIR_PATTERN, type WarnPages } from './i18n.js';

/** Folders an organization may override file by file (spec 60 §9); layouts and partials are the default set's. */
const OVERRIDABLE = ['pages', 'emails'] as const;
const TEMPLATE_PATH = /^(layouts|partials|pages|emails)\/[a-z0-9][a-z0-9._-]*\.hbs$/;
/** E-mail files named before spec 60 §9's `{name}.hbs` + `{name}.txt.hbs` (subjects now come from the `emails` messages). */
const OLD_EMAIL_FILE = /^[a-z0-9_-]+\.(html|text|subject)\.hbs$/;

export interface TemplateFiles {
  /** Whether files are read once (production) or on every use (development). */
  readonly isCached: boolean;
  /**
   * The file to use for `rel` (such as `pages/login.hbs`): `templates/{orgSlug}/{rel}` when that
   * organization overrides it, else `templates/default/{rel}`.
   */
  resolve(rel: string, orgSlug?: string): string;
  read(file: string): string;
  /** The default set's partials, by name (`partials/header.hbs` → `header`). */
  partials(): Array<[string, string]>;
  /** Every page and layout of the default set and every organization's page override. */
  all(): Array<{ rel: string; orgSlug?: string }>;
}

const listHbs = (dir: string) => (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort() : []);

/**
 * The template files under `root` (`templates/`): `default/` is the complete set (a volume mounted over
 * it replaces it, no merge), and `{orgSlug}/pages|emails/*.hbs` replace single files for one organization.
 * Paths are built only from a checked relative path and a slug-shaped folder name, never from a request.
 */
export function createTemplateFiles(root: string, options: { isCached: boolean; warn?: WarnPages }): TemplateFiles {
  const defaultDir = path.join(root, 'default');
  if (!fs.existsSync(path.join(defaultDir, 'layouts', 'main.hbs'))) throw new Error(`templates: ${defaultDir}/layouts/main.hbs is missing`);
  const scanOverrides = () => {
    const found = new Map<string, Set<string>>();
    for (const slug of fs.readdirSync(root)) {
      if (slug === 'default' || !ORG_DIR_PATTERN.test(slug)) continue;
      const files = new Set(OVERRIDABLE.flatMap((dir) => listHbs(path.join(root, slug, dir)).map((f) => `${dir}/${f}`)));
      if (files.size > 0) found.set(slug, files);
    }
    return found;
  };
  const cachedOverrides = options.isCached ? scanOverrides() : undefined;
  if (options.warn) warnUnused(root, scanOverrides(), options.warn);
  const cachedSources = new Map<string, string>();
  const overrides = () => cachedOverrides ?? scanOverrides();
  const read = (file: string) => {
    let source = options.isCached ? cachedSources.get(file) : undefined;
    if (source === undefined) {
      source = fs.readFileSync(file, 'utf8');
      if (options.isCached) cachedSources.set(file, source);
    }
    return source;
  };

  return {
    isCached: options.isCached,
    resolve(rel, orgSlug) {
      if (!TEMPLATE_PATH.test(rel)) throw new Error(`templates: invalid template path ${JSON.stringify(rel)}`);
      if (orgSlug && overrides().get(orgSlug)?.has(rel)) return path.join(root, orgSlug, rel);
      return path.join(defaultDir, rel);
    },
    read,
    partials() {
      return listHbs(path.join(defaultDir, 'partials')).map((f) => [path.basename(f, '.hbs'), read(path.join(defaultDir, 'partials', f))]);
    },
    all() {
      const defaults = ['layouts', 'pages'].flatMap((dir) => listHbs(path.join(defaultDir, dir)).map((f) => ({ rel: `${dir}/${f}` })));
      const orgPages = [...overrides()].flatMap(([orgSlug, files]) => [...files].filter((rel) => rel.startsWith('pages/')).map((rel) => ({ rel, orgSlug })));
      return [...defaults, ...orgPages];
    },
  };
}

/**
 * Files that can never be used, told once at start-up: e-mails under their old names, and organization
 * files with no default file of the same name to replace (a typo, or a name from an older version).
 */
function warnUnused(root: string, overrides: Map<string, Set<string>>, warn: WarnPages): void {
  const defaultDir = path.join(root, 'default');
  const hint = (file: string) => {
    const old = OLD_EMAIL_FILE.exec(path.basename(file));
    if (!old) return '';
    const name = path.basename(file).split('.')[0]!.replace(/_/g, '-');
    return old[1] === 'subject'
      ? '; subjects are the `emails` messages now (emails.json `<template>.subject`)'
      : `; e-mails are now emails/${name}.hbs (HTML) and emails/${name}.txt.hbs (text)`;
  };
  for (const file of listHbs(path.join(defaultDir, 'emails')).filter((f) => OLD_EMAIL_FILE.test(f))) {
    warn({ file: `default/emails/${file}`, problem: `an old e-mail file name: never read${hint(file)}` });
  }
  for (const slug of fs.readdirSync(root).filter((s) => s !== 'default' && ORG_DIR_PATTERN.test(s))) {
    for (const file of ['layouts', 'partials'].flatMap((dir) => listHbs(path.join(root, slug, dir)).map((f) => `${dir}/${f}`))) {
      warn({ file: `${slug}/${file}`, problem: 'layouts and partials are the default set’s for every organization: never used' });
    }
  }
  for (const [slug, files] of overrides) {
    for (const rel of files) {
      if (rel.endsWith('.partial.hbs')) warn({ file: `${slug}/${rel}`, problem: 'e-mail partials are the default set’s for every organization: never used' });
      else if (!fs.existsSync(path.join(defaultDir, rel))) warn({ file: `${slug}/${rel}`, problem: `replaces no file of templates/default: never used${hint(rel)}` });
    }
  }
}
