import { createHash } from 'node:crypto';

/** Spec 50 §8: what an API answer may load (nothing). */
export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Spec 50 §8: Porta's pages run only their own scripts and post forms only to themselves. */
export const HTML_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; " +
  "font-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The page policy, widened for one page: `formTargets` join form-action (a form whose answer redirects
 * to a client, which browsers check against form-action too) and `scriptHashes` join script-src;
 * `canFetchSelf` lets the page's own script call Porta (the passkey pages fetch their WebAuthn options).
 */
export function htmlCsp(formTargets: string[], scriptHashes: string[] = [], options: { canFetchSelf?: boolean } = {}): string {
  let csp = HTML_CSP;
  if (formTargets.length > 0) csp = csp.replace("form-action 'self'", `form-action 'self' ${formTargets.join(' ')}`);
  if (scriptHashes.length > 0) csp = csp.replace("script-src 'self'", `script-src 'self' ${scriptHashes.join(' ')}`);
  if (options.canFetchSelf) csp = csp.replace("default-src 'none';", "default-src 'none'; connect-src 'self';");
  return csp;
}

/**
 * `policy` with `origins` added to its form-action, every other directive (and any script hash added to
 * it since) kept as it is.
 */
export function withFormActions(policy: string, origins: string[]): string {
  return policy
    .split(';')
    .map((directive) => directive.trim())
    .filter(Boolean)
    .map((directive) => {
      const [name, ...sources] = directive.split(/\s+/);
      if (name !== 'form-action') return directive;
      return [...new Set([name, ...sources, ...origins])].join(' ');
    })
    .join('; ');
}

/** CSP `'sha256-…'` source of an inline script a page embeds (the logout auto-submit). */
export function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
}

/** Distinct origins of a list of URIs, in order; entries that are not URLs are skipped. */
export function originsOf(uris: unknown): string[] {
  if (!Array.isArray(uris)) return [];
  const out = new Set<string>();
  for (const u of uris) {
    try {
      out.add(new URL(String(u)).origin);
    } catch {
      // not a URL: nothing to allow
    }
  }
  return [...out];
}
