import fs from 'node:fs';
import path from 'node:path';

export type Messages = Record<string, string>;

export interface I18n {
  locales(): string[];
  /** Picks the first supported locale from the candidates (BCP 47 tags; base language as fallback). */
  resolve(candidates: Array<string | undefined | null>): string;
  t(locale: string, key: string, vars?: Record<string, string | number | undefined>): string;
}

/** Loads `locales/*.json`; English is the fallback for any missing message. */
export function loadI18n(dir: string, fallback = 'en'): I18n {
  const catalogs = new Map<string, Messages>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    catalogs.set(path.basename(file, '.json').toLowerCase(), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Messages);
  }
  if (!catalogs.has(fallback)) throw new Error(`locale ${fallback} missing in ${dir}`);
  return {
    locales: () => [...catalogs.keys()],
    resolve(candidates) {
      for (const c of candidates) {
        if (!c) continue;
        for (const tag of c.split(/[\s,]+/)) {
          const clean = tag.split(';')[0]!.trim().toLowerCase();
          if (!clean) continue;
          if (catalogs.has(clean)) return clean;
          const base = clean.split('-')[0]!;
          if (catalogs.has(base)) return base;
        }
      }
      return fallback;
    },
    t(locale, key, vars = {}) {
      const text = catalogs.get(locale)?.[key] ?? catalogs.get(fallback)?.[key] ?? key;
      return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
    },
  };
}
