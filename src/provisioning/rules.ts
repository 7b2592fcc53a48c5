import { ADMIN_APPLICATION_SLUG } from '../applications/index.js';
import {
  originProblem, redirectUriProblem, resolveClientSettings,
  type ApplicationType, type ClientJwks, type ClientType, type GrantType, type IdTokenClaims, type IdTokenSigningAlg, type LoginMethod, type TokenEndpointAuthMethod,
} from '../clients/index.js';
import { slugify, validateSlug } from '../organizations/index.js';
import { isAppError } from '../platform/errors.js';

/** What a refinement needs of zod's context; paths are relative to the checked entry. */
interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path?: PropertyKey[] }): void;
}

/** The seeded super-admin organization; spec 20 §5.9: out of reach of imports. */
export const SUPER_ADMIN_ORG_SLUG = 'porta-admin';

export const orgSlugOf = (o: { slug?: string; name: string }): string => o.slug ?? slugify(o.name);
export const appSlugOf = orgSlugOf;

type SlugKind = 'organization' | 'application' | 'module';

/** Slug rules of the organizations domain for a slug the file gives. */
export function checkSlugValue(value: string, ctx: IssueSink, kind: SlugKind): void {
  const check = validateSlug(value, { allowReserved: kind !== 'organization' });
  if (!check.isValid) {
    const message = check.reason === 'reserved' ? `"${value}" is a reserved slug` : '3–100 characters of a-z, 0-9 and "-", starting and ending with a letter or digit';
    ctx.addIssue({ code: 'custom', message });
  } else if (kind === 'organization' && value === SUPER_ADMIN_ORG_SLUG) {
    ctx.addIssue({ code: 'custom', message: 'the super-admin organization cannot be provisioned' });
  } else if (kind === 'application' && value === ADMIN_APPLICATION_SLUG) {
    ctx.addIssue({ code: 'custom', message: 'the admin application cannot be provisioned' });
  }
}

/** A slug derived from the name (none given) must pass the same rules; reported on `name`. */
export function checkDerivedSlug(entry: { slug?: string; name: string }, ctx: IssueSink, kind: SlugKind): void {
  if (entry.slug !== undefined) return;
  const value = slugify(entry.name);
  let problem: string | undefined;
  checkSlugValue(value, { addIssue: (issue) => (problem = issue.message) }, kind);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `the slug derived from the name ("${value}") is not usable: ${problem}; give a slug`, path: ['name'] });
}

export interface ClientEntry {
  client_type: ClientType;
  application_type?: ApplicationType;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  grant_types?: GrantType[];
  scope?: string | string[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  allowed_origins?: string[];
  require_consent?: boolean;
  login_methods?: LoginMethod[] | null;
  require_pkce?: boolean;
  id_token_signed_response_alg?: IdTokenSigningAlg;
  id_token_claims?: IdTokenClaims;
  backchannel_logout_uri?: string | null;
  backchannel_logout_session_required?: boolean;
  jwks?: ClientJwks | null;
  jwks_uri?: string | null;
  secret?: unknown;
}

export const scopeString = (scope: string | string[] | undefined): string | undefined => (Array.isArray(scope) ? scope.join(' ') : scope);

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A file's client fields, snake_case, as the clients domain names them; undefined where the file is silent. */
export function clientFieldsOf(c: Omit<ClientEntry, 'client_type' | 'secret'>) {
  return {
    applicationType: c.application_type,
    redirectUris: c.redirect_uris,
    postLogoutRedirectUris: c.post_logout_redirect_uris,
    grantTypes: c.grant_types,
    scope: scopeString(c.scope),
    tokenEndpointAuthMethod: c.token_endpoint_auth_method,
    allowedOrigins: c.allowed_origins,
    requireConsent: c.require_consent,
    loginMethods: c.login_methods,
    requirePkce: c.require_pkce,
    idTokenSignedResponseAlg: c.id_token_signed_response_alg,
    idTokenClaims: c.id_token_claims,
    backchannelLogoutUri: c.backchannel_logout_uri,
    backchannelLogoutSessionRequired: c.backchannel_logout_session_required,
    jwks: c.jwks,
    jwksUri: c.jwks_uri,
  };
}

/** The clients domain's registration rules (redirect URIs, grants, auth method, scope), with the file's paths. */
export function checkClient(c: ClientEntry, ctx: IssueSink): void {
  const applicationType = c.application_type ?? 'web';
  let hasUriProblem = false;
  for (const field of ['redirect_uris', 'post_logout_redirect_uris'] as const) {
    (c[field] ?? []).forEach((value, i) => {
      const problem = redirectUriProblem(value, applicationType);
      if (problem) {
        hasUriProblem = true;
        ctx.addIssue({ code: 'custom', message: `${value} ${problem}`, path: [field, i] });
      }
    });
  }
  (c.allowed_origins ?? []).forEach((value, i) => {
    const problem = originProblem(value);
    if (problem) {
      hasUriProblem = true;
      ctx.addIssue({ code: 'custom', message: `${value} ${problem}`, path: ['allowed_origins', i] });
    }
  });
  if (c.secret !== undefined && c.client_type === 'public') {
    ctx.addIssue({ code: 'custom', message: 'public clients have no secrets', path: ['secret'] });
  }
  if (c.secret !== undefined && c.token_endpoint_auth_method === 'private_key_jwt') {
    ctx.addIssue({ code: 'custom', message: 'private_key_jwt clients authenticate with their keys and have no secret', path: ['secret'] });
  }
  // Each URI is reported above with its index; the cross-field rules are checked once they are valid.
  if (hasUriProblem) return;
  try {
    resolveClientSettings({ clientType: c.client_type, ...clientFieldsOf(c) });
  } catch (err) {
    if (!isAppError(err)) throw err;
    const field = (err.details as { path?: string } | undefined)?.path;
    ctx.addIssue({ code: 'custom', message: err.message, path: field ? [snake(field)] : [] });
  }
}

interface FileShape {
  organizations: Array<{
    name: string;
    slug?: string;
    applications?: Array<{
      name: string;
      slug?: string;
      description?: string | null;
      modules?: Array<{ name: string; slug?: string; description?: string | null; status?: string }>;
      clients?: Array<{ client_name: string; client_id?: string }>;
    }>;
    users?: Array<{ email: string }>;
  }>;
}

/**
 * Rules across entries: unique organization slugs, application slugs within an organization, e-mails within
 * an organization, client_ids in the file, client names within organization + application (the match key
 * when no client_id is given), and one definition per global application and module.
 */
export function checkAcrossEntries(file: FileShape, ctx: IssueSink): void {
  const orgs = new Map<string, number>();
  const clientIds = new Map<string, string>();
  const apps = new Map<string, { name: string; description?: string | null; at: string }>();
  const modules = new Map<string, { name: string; description?: string | null; status?: string; at: string }>();
  const duplicate = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', message, path });

  file.organizations.forEach((org, i) => {
    const slug = orgSlugOf(org);
    const seen = orgs.get(slug);
    if (seen !== undefined) duplicate(['organizations', i, org.slug === undefined ? 'name' : 'slug'], `organization "${slug}" is already defined at organizations[${seen}]`);
    else orgs.set(slug, i);

    const appsInOrg = new Set<string>();
    (org.applications ?? []).forEach((app, j) => {
      const at = ['organizations', i, 'applications', j];
      const appSlug = appSlugOf(app);
      if (appsInOrg.has(appSlug)) duplicate([...at, app.slug === undefined ? 'name' : 'slug'], `application "${appSlug}" appears twice in this organization`);
      appsInOrg.add(appSlug);
      const first = apps.get(appSlug);
      if (!first) apps.set(appSlug, { name: app.name, description: app.description, at: formatPath(at) });
      else {
        if (first.name !== app.name) duplicate([...at, 'name'], `application "${appSlug}" is named "${first.name}" at ${first.at}: an application is global, give it one definition`);
        if (app.description !== undefined && first.description !== undefined && app.description !== first.description) {
          duplicate([...at, 'description'], `application "${appSlug}" has another description at ${first.at}`);
        }
      }
      (app.modules ?? []).forEach((mod, k) => {
        const key = `${appSlug}/${appSlugOf(mod)}`;
        const firstModule = modules.get(key);
        const modAt = [...at, 'modules', k];
        if (!firstModule) modules.set(key, { ...mod, at: formatPath(modAt) });
        else if (firstModule.name !== mod.name || (firstModule.description ?? null) !== (mod.description ?? null) || firstModule.status !== mod.status) {
          duplicate(modAt, `module "${key}" is defined differently at ${firstModule.at}`);
        }
      });
      const names = new Set<string>();
      (app.clients ?? []).forEach((client, k) => {
        const clientAt = [...at, 'clients', k];
        if (client.client_id !== undefined) {
          const other = clientIds.get(client.client_id);
          if (other) duplicate([...clientAt, 'client_id'], `client_id "${client.client_id}" is already used at ${other}`);
          else clientIds.set(client.client_id, formatPath(clientAt));
        } else if (names.has(client.client_name)) {
          duplicate([...clientAt, 'client_name'], `two clients named "${client.client_name}" in this application: give them client_ids`);
        }
        if (client.client_id === undefined) names.add(client.client_name);
      });
    });

    const emails = new Set<string>();
    (org.users ?? []).forEach((user, j) => {
      const key = user.email.toLowerCase();
      if (emails.has(key)) duplicate(['organizations', i, 'users', j, 'email'], `${user.email} appears twice in this organization`);
      emails.add(key);
    });
  });
}

/** `organizations[0].applications[1].clients[0].redirect_uris[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
