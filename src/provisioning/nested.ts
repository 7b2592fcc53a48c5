import { durationSeconds, type ProvisionClient, type ProvisioningFile } from './schema.js';
import { appSlugOf, orgSlugOf } from './rules.js';
import { emptyManifest, type ImportManifest, type ManifestClient } from './manifest.js';

/** A provisioning file as a manifest, with each manifest entry's place in the file (`clients[2]` → `organizations[0]…`). */
export interface ConvertedFile {
  manifest: ImportManifest;
  filePaths: ReadonlyMap<string, string>;
}

/** Skips undefined fields so the manifest holds only what the file gave. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * 40-data-model §7: the nested file becomes the flat manifest. Slugs missing from the file derive from
 * names, an application (global) or module named under several organizations is defined once, each
 * client belongs to its enclosing organization, and `expires_in` becomes an expiry from `now`.
 */
export function manifestOfFile(file: ProvisioningFile, now: number): ConvertedFile {
  const m = emptyManifest();
  const filePaths = new Map<string, string>();
  const add = <K extends 'organizations' | 'applications' | 'application_modules' | 'api_resources' | 'clients' | 'users'>(list: K, entry: ImportManifest[K][number], at: string) => {
    filePaths.set(`${list}[${m[list].length}]`, at);
    (m[list] as Array<typeof entry>).push(entry);
  };
  if (file.allow_passwords !== undefined) m.allow_passwords = file.allow_passwords;

  const seenApps = new Set<string>();
  const seenModules = new Set<string>();
  const seenResources = new Set<string>();
  for (const [i, o] of file.organizations.entries()) {
    const orgSlug = orgSlugOf(o);
    const b = o.branding;
    add('organizations', defined({
      name: o.name, slug: orgSlug, default_locale: o.default_locale, default_login_methods: o.default_login_methods, two_factor_policy: o.two_factor_policy,
      dynamic_registration: o.dynamic_registration, passkey_enrolment_prompt: o.passkey_enrolment_prompt, account_portal_enabled: o.account_portal_enabled,
      branding_logo_url: b?.logo_url, branding_favicon_url: b?.favicon_url, branding_primary_color: b?.primary_color,
      branding_company_name: b?.company_name, branding_custom_css: b?.custom_css,
    }), `organizations[${i}]`);
    for (const [j, a] of (o.applications ?? []).entries()) {
      const at = `organizations[${i}].applications[${j}]`;
      const appSlug = appSlugOf(a);
      if (!seenApps.has(appSlug)) {
        seenApps.add(appSlug);
        add('applications', defined({ name: a.name, slug: appSlug, description: a.description }), at);
      }
      for (const [k, x] of (a.modules ?? []).entries()) {
        const slug = appSlugOf(x);
        if (seenModules.has(`${appSlug}/${slug}`)) continue;
        seenModules.add(`${appSlug}/${slug}`);
        add('application_modules', defined({ application_slug: appSlug, name: x.name, slug, description: x.description, status: x.status }), `${at}.modules[${k}]`);
      }
      for (const [k, r] of (a.resources ?? []).entries()) {
        if (seenResources.has(`${appSlug} ${r.indicator}`)) continue;
        seenResources.add(`${appSlug} ${r.indicator}`);
        add('api_resources', defined({ application_slug: appSlug, ...r }), `${at}.resources[${k}]`);
      }
    }
  }
  // Clients after every application, as the manifest orders them; file order otherwise.
  for (const [i, o] of file.organizations.entries()) {
    for (const [j, a] of (o.applications ?? []).entries()) {
      for (const [k, c] of (a.clients ?? []).entries()) {
        add('clients', clientEntry(orgSlugOf(o), appSlugOf(a), c, now), `organizations[${i}].applications[${j}].clients[${k}]`);
      }
    }
  }
  for (const [i, o] of file.organizations.entries()) {
    for (const [j, u] of (o.users ?? []).entries()) {
      add('users', defined({ organization_slug: orgSlugOf(o), ...u }), `organizations[${i}].users[${j}]`);
    }
  }
  return { manifest: m, filePaths };
}

function clientEntry(organizationSlug: string, applicationSlug: string, c: ProvisionClient, now: number): ManifestClient {
  const { secret, ...settings } = c;
  const expiresAt = secret?.expires_at ?? (secret?.expires_in !== undefined ? new Date(now + durationSeconds(secret.expires_in) * 1000).toISOString() : undefined);
  return defined({
    organization_slug: organizationSlug,
    application_slug: applicationSlug,
    ...settings,
    secret_label: secret?.label,
    secret_expires_at: expiresAt,
    secret_value: secret?.value,
  });
}

/** Manifest field names in `changes` as the nested file spells them. */
export function fileFieldName(field: string): string {
  return field.startsWith('branding_') ? `branding.${field.slice('branding_'.length)}` : field;
}
