import fs from 'node:fs';
import path from 'node:path';
import { ORG_DIR_PATTERN } from './i18n.js';

/** Folders an organization may override file by file (spec 60 §9); layouts and partials are the default set's. */
const OVERRIDABLE = ['pages', 'emails'] as const;
const TEMPLATE_PATH = /^(layouts|partials|pages|emails)\/[a-z0-9][a-z0-9._-]*\.hbs$/;

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
export function createTemplateFiles(root: string, options: { isCached: boolean }): TemplateFiles {
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
