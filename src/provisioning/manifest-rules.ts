import type { ProvisioningProblem } from './errors.js';

interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[] }): void;
}

interface ManifestShape {
  organizations: Array<{ slug: string }>;
  applications: Array<{ slug: string }>;
  application_modules: Array<{ application_slug: string; slug: string }>;
  clients: Array<{ organization_slug: string; application_slug: string; client_name: string; client_id?: string }>;
  roles: Array<{ application_slug: string; slug: string }>;
  permissions: Array<{ application_slug: string; slug: string }>;
  claim_definitions: Array<{ application_slug: string; claim_name: string }>;
  role_permission_mappings: Array<{ application_slug: string; role_slug: string }>;
  users: Array<{ organization_slug: string; email: string }>;
  user_claim_values: Array<{ organization_slug: string; email: string; application_slug: string; claim_name: string }>;
}

/**
 * Each object once: an entry's key (slug, e-mail, client_id, or client name within organization and
 * application when no client_id is given) may not repeat within its list.
 */
export function checkManifestEntries(m: ManifestShape, ctx: IssueSink): void {
  function unique<T>(list: keyof ManifestShape, entries: T[], keyOf: (e: T) => string | null, field: string, what: (e: T) => string): void {
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
      const key = keyOf(entry);
      if (key === null) return;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.addIssue({ code: 'custom', message: `${what(entry)} is already defined at ${list}[${first}]`, path: [list, i, field] });
    });
  }
  unique('organizations', m.organizations, (o) => o.slug, 'slug', (o) => `organization "${o.slug}"`);
  unique('applications', m.applications, (a) => a.slug, 'slug', (a) => `application "${a.slug}"`);
  unique('application_modules', m.application_modules, (x) => `${x.application_slug}/${x.slug}`, 'slug', (x) => `module "${x.application_slug}/${x.slug}"`);
  unique('clients', m.clients, (c) => c.client_id ?? null, 'client_id', (c) => `client_id "${c.client_id}"`);
  unique(
    'clients',
    m.clients,
    (c) => (c.client_id === undefined ? `${c.organization_slug}/${c.application_slug}/${c.client_name}` : null),
    'client_name',
    (c) => `a client named "${c.client_name}" of ${c.organization_slug}/${c.application_slug} without client_id`,
  );
  unique('roles', m.roles, (r) => `${r.application_slug}/${r.slug}`, 'slug', (r) => `role "${r.application_slug}/${r.slug}"`);
  unique('permissions', m.permissions, (p) => `${p.application_slug}/${p.slug}`, 'slug', (p) => `permission "${p.application_slug}/${p.slug}"`);
  unique('claim_definitions', m.claim_definitions, (c) => `${c.application_slug}/${c.claim_name}`, 'claim_name', (c) => `claim "${c.application_slug}/${c.claim_name}"`);
  unique('role_permission_mappings', m.role_permission_mappings, (r) => `${r.application_slug}/${r.role_slug}`, 'role_slug', (r) => `the mapping of role "${r.application_slug}/${r.role_slug}"`);
  unique('users', m.users, (u) => `${u.organization_slug}/${u.email.toLowerCase()}`, 'email', (u) => `user ${u.email} of ${u.organization_slug}`);
  unique(
    'user_claim_values',
    m.user_claim_values,
    (v) => `${v.organization_slug}/${v.email.toLowerCase()}/${v.application_slug}/${v.claim_name}`,
    'claim_name',
    (v) => `claim "${v.application_slug}/${v.claim_name}" of ${v.email}`,
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Rules reported even beside structural errors: passwords need `allow_passwords: true`; secret expiries lie ahead. */
export function* checkRawManifest(input: unknown, now: Date): Generator<ProvisioningProblem> {
  if (!isRecord(input)) return;
  const arePasswordsAllowed = input.allow_passwords === true;
  for (const [i, user] of list(input.users).entries()) {
    if (isRecord(user) && 'password' in user && !arePasswordsAllowed) {
      yield { path: `users[${i}].password`, message: 'passwords are accepted only with "allow_passwords": true at the top of the manifest' };
    }
  }
  for (const [i, client] of list(input.clients).entries()) {
    const expiresAt = isRecord(client) ? client.secret_expires_at : undefined;
    if (typeof expiresAt === 'string' && Date.parse(expiresAt) <= now.getTime()) {
      yield { path: `clients[${i}].secret_expires_at`, message: 'must be in the future' };
    }
  }
}
