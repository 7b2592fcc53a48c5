/** Spec 10 §1: these would shadow routes at the issuer root. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin', 'api', 'health', 'ready', 'metrics', 'static', '.well-known', 'login', 'logout', 'callback',
  'register', 'signup', 'auth', 'oauth', 'oidc', 'token', 'jwks', 'interaction', 'branding', 'portal',
  'dashboard', 'settings', 'account', 'default', 'favicon.ico', 'robots.txt', 'sitemap.xml',
]);

export const SLUG_MIN_LENGTH = 3;
export const SLUG_MAX_LENGTH = 100;

const SLUG_FORMAT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export type SlugCheck = { isValid: true } | { isValid: false; reason: 'format' | 'reserved' };

export interface ValidateSlugOptions {
  /** Applications and modules live under no URL root, so the reserved list does not apply to them. */
  allowReserved?: boolean;
}

export function validateSlug(slug: string, options: ValidateSlugOptions = {}): SlugCheck {
  if (slug.length < SLUG_MIN_LENGTH || slug.length > SLUG_MAX_LENGTH || !SLUG_FORMAT.test(slug)) {
    return { isValid: false, reason: 'format' };
  }
  if (!options.allowReserved && RESERVED_SLUGS.has(slug)) return { isValid: false, reason: 'reserved' };
  return { isValid: true };
}

/** Lowercase ASCII with runs of anything else turned into one `-`; may be too short to be valid. */
export function slugify(name: string): string {
  return trimDashes(
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-'),
  ).slice(0, SLUG_MAX_LENGTH).replace(/-+$/, '');
}

/**
 * Candidates for a slug derived from `name`: the base, then base-2, base-3, … (base shortened to fit 100
 * characters), skipping any that fail validation, e.g. a too-short or reserved base.
 */
export function* slugCandidates(name: string, fallback: string, options: ValidateSlugOptions = {}): Generator<string> {
  const base = slugify(name) || fallback;
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const candidate = trimDashes(base.slice(0, SLUG_MAX_LENGTH - suffix.length)) + suffix;
    if (validateSlug(candidate, options).isValid) yield candidate;
  }
}

function trimDashes(value: string): string {
  return value.replace(/^-+|-+$/g, '');
}
