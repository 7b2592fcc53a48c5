import type { Application, ApplicationService } from '../applications/index.js';
import type { Client, ClientService } from '../clients/index.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import type { UserService } from '../users/index.js';
import { applicationPatch, brandingInput, clientPatch, clientSettings, modulePatch, organizationPatch, userPatch } from './diff.js';
import { importFailed } from './errors.js';
import { appSlugOf, orgSlugOf } from './rules.js';
import { durationSeconds, type ProvisionClient, type ProvisioningFile, type ProvisionMode, type ProvisionSecret } from './schema.js';
import type { ProvisionCredential, ProvisionEntry, ProvisionResult } from './service.js';

export interface ProvisioningServices {
  organizations: OrganizationService;
  applications: ApplicationService;
  clients: ClientService;
  /** The same service without writes: checking a secret value must not record a use of it. */
  secretChecks: Pick<ClientService, 'verifySecret'>;
  users: UserService;
}

interface RunOptions {
  mode: ProvisionMode;
  isDryRun: boolean;
  /** ms since the epoch: the base of `expires_in` */
  now: number;
}

type Target = Pick<ProvisionEntry, 'type' | 'key' | 'name' | 'path' | 'organizationSlug' | 'applicationSlug'>;

/** Applies the file in the manifest order (40-data-model §7): organizations, applications, modules, clients, users. */
export async function runProvisioning(s: ProvisioningServices, file: ProvisioningFile, { mode, isDryRun, now }: RunOptions): Promise<ProvisionResult> {
  const entries: ProvisionEntry[] = [];
  const credentials: ProvisionCredential[] = [];
  const orgs: Organization[] = [];
  const apps = new Map<string, Application>();

  /** Runs one object's writes; a refusal names the object and its place in the file. */
  async function step<T>(target: Target, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isAppError(err) || err.code === 'import_failed') throw err;
      throw importFailed({ path: target.path, type: target.type, slug: target.key, error: err.code, message: err.message });
    }
  }
  const created = (t: Target, id: string) => entries.push({ action: 'created', ...t, id: isDryRun ? null : id });
  const kept = (t: Target, id: string, changes: string[]) =>
    entries.push(changes.length > 0 ? { action: 'updated', ...t, id, changes } : { action: 'skipped', ...t, id, reason: mode === 'merge' ? 'exists' : 'unchanged' });

  for (const [i, o] of file.organizations.entries()) {
    const t: Target = { type: 'organization', key: orgSlugOf(o), name: o.name, path: `organizations[${i}]` };
    orgs.push(await step(t, async () => {
      const current = await s.organizations.findBySlug(t.key);
      if (current?.isSuperAdmin) throw new AppError('forbidden', 'protected_resource', 'The super-admin organization cannot be provisioned.');
      if (!current) {
        const org = await s.organizations.create({
          name: o.name, slug: t.key, defaultLocale: o.default_locale, defaultLoginMethods: o.default_login_methods,
          twoFactorPolicy: o.two_factor_policy, branding: brandingInput(o.branding),
        });
        created(t, org.id);
        return org;
      }
      const { patch, changes } = mode === 'overwrite' ? organizationPatch(o, current) : { patch: {}, changes: [] };
      const org = changes.length > 0 ? await s.organizations.update(current.id, patch) : current;
      kept(t, org.id, changes);
      return org;
    }));
  }

  const each = function* () {
    for (const [i, o] of file.organizations.entries()) {
      for (const [j, a] of (o.applications ?? []).entries()) yield { i, o, j, a, at: `organizations[${i}].applications[${j}]`, appSlug: appSlugOf(a) };
    }
  };

  for (const { a, at, appSlug } of each()) {
    if (apps.has(appSlug)) continue;
    const t: Target = { type: 'application', key: appSlug, name: a.name, path: at };
    apps.set(appSlug, await step(t, async () => {
      const current = await s.applications.findBySlug(appSlug);
      if (!current) {
        const app = await s.applications.create({ name: a.name, slug: appSlug, description: a.description });
        created(t, app.id);
        return app;
      }
      const { patch, changes } = mode === 'overwrite' ? applicationPatch(a, current) : { patch: {}, changes: [] };
      const app = changes.length > 0 ? await s.applications.update(current.id, patch) : current;
      kept(t, app.id, changes);
      return app;
    }));
  }

  const modulesDone = new Set<string>();
  for (const { a, at, appSlug } of each()) {
    const app = apps.get(appSlug) as Application;
    for (const [k, m] of (a.modules ?? []).entries()) {
      const slug = appSlugOf(m);
      if (modulesDone.has(`${appSlug}/${slug}`)) continue;
      modulesDone.add(`${appSlug}/${slug}`);
      const t: Target = { type: 'module', key: slug, name: m.name, path: `${at}.modules[${k}]`, applicationSlug: appSlug };
      await step(t, async () => {
        const current = await s.applications.findModuleBySlug(app.id, slug);
        if (!current) {
          const mod = await s.applications.createModule(app.id, { name: m.name, slug, description: m.description });
          if (m.status === 'inactive') await s.applications.updateModule(app.id, mod.id, { status: 'inactive' });
          return created(t, mod.id);
        }
        const { patch, changes } = mode === 'overwrite' ? modulePatch(m, current) : { patch: {}, changes: [] };
        if (changes.length > 0) await s.applications.updateModule(app.id, current.id, patch);
        kept(t, current.id, changes);
      });
    }
  }

  for (const { i, o, a, at, appSlug } of each()) {
    const org = orgs[i] as Organization;
    const app = apps.get(appSlug) as Application;
    for (const [k, c] of (a.clients ?? []).entries()) {
      const t: Target = { type: 'client', key: c.client_id ?? c.client_name, name: c.client_name, path: `${at}.clients[${k}]`, organizationSlug: orgSlugOf(o), applicationSlug: appSlug };
      credentials.push(await step(t, () => provisionClient(t, org, app, c)));
    }
  }

  async function provisionClient(t: Target, org: Organization, app: Application, c: ProvisionClient): Promise<ProvisionCredential> {
    const credential = { path: t.path, organizationSlug: org.slug, applicationSlug: app.slug, clientName: c.client_name, clientType: c.client_type };
    const current = await findClient(org, app, c);
    const secret = c.client_type === 'confidential' ? secretInput(c.secret, now) : undefined;
    if (!current) {
      const made = await s.clients.create(org.id, { applicationId: app.id, clientType: c.client_type, clientName: c.client_name, clientId: c.client_id, ...clientSettings(c), secret });
      created({ ...t, key: isDryRun && c.client_id === undefined ? c.client_name : made.client.clientId }, made.client.id);
      const stored = made.secret;
      return {
        ...credential,
        clientId: isDryRun && c.client_id === undefined ? null : made.client.clientId,
        ...(stored && (!isDryRun || c.secret?.value !== undefined)
          ? { secretPlaintext: stored.plaintext, ...(isDryRun ? {} : { secretId: stored.id }), secretLabel: stored.label, secretExpiresAt: stored.expiresAt }
          : {}),
      };
    }
    const key = { ...t, key: current.clientId };
    const fileSecret = c.secret?.value !== undefined ? { secretPlaintext: c.secret.value } : {};
    if (mode === 'merge') {
      kept(key, current.id, []);
      return { ...credential, clientId: current.clientId, ...fileSecret };
    }
    if (current.clientType !== c.client_type) {
      throw new AppError('conflict', 'client_type_fixed', `The client is ${current.clientType}; its type cannot change.`);
    }
    const { patch, changes } = clientPatch(c, current);
    if (changes.length > 0) await s.clients.update(org.id, current.id, patch);
    // 30-cli §7: a given value becomes an extra active secret only when no active secret has it already.
    let added: { secretId?: string; secretLabel?: string | null; secretExpiresAt?: string | null } = {};
    if (secret?.value !== undefined && !(await s.secretChecks.verifySecret(current.id, secret.value))) {
      const stored = await s.clients.generateSecret(org.id, current.id, secret);
      changes.push('secret');
      added = { ...(isDryRun ? {} : { secretId: stored.id }), secretLabel: stored.label, secretExpiresAt: stored.expiresAt };
    }
    kept(key, current.id, changes);
    return { ...credential, clientId: current.clientId, ...fileSecret, ...added };
  }

  /** By client_id when given (unique in Porta), else by name within the organization and application. */
  async function findClient(org: Organization, app: Application, c: ProvisionClient): Promise<Client | null> {
    if (c.client_id !== undefined) {
      const found = await s.clients.findByClientId(org.id, c.client_id);
      const elsewhere = found ? null : await s.clients.findInAnyOrg(c.client_id);
      if ((found && found.applicationId !== app.id) || elsewhere?.clientId === c.client_id) {
        throw new AppError('conflict', 'client_id_taken', `client_id "${c.client_id}" belongs to a client of another organization or application.`);
      }
      return found;
    }
    const page = await s.clients.list(org.id, { applicationId: app.id, search: c.client_name, pageSize: 100, sortBy: 'created_at', sortOrder: 'asc' });
    const matches = page.data.filter((x) => x.clientName === c.client_name && x.status !== 'revoked');
    if (matches.length > 1) {
      throw new AppError('conflict', 'ambiguous_client', `${matches.length} clients are named "${c.client_name}" here: give the entry a client_id.`);
    }
    return matches[0] ?? null;
  }

  for (const [i, o] of file.organizations.entries()) {
    const org = orgs[i] as Organization;
    for (const [j, u] of (o.users ?? []).entries()) {
      const t: Target = { type: 'user', key: u.email, name: [u.given_name, u.family_name].filter(Boolean).join(' ') || u.email, path: `organizations[${i}].users[${j}]`, organizationSlug: org.slug };
      await step(t, async () => {
        const current = await s.users.findByEmail(org.id, u.email);
        if (!current) {
          const user = await s.users.create(org.id, {
            email: u.email, password: u.password, status: u.status, givenName: u.given_name, familyName: u.family_name, locale: u.locale, emailVerified: u.email_verified,
          });
          return created(t, user.id);
        }
        const { patch, changes } = mode === 'overwrite' ? userPatch(u, current) : { patch: {}, changes: [] };
        if (changes.length > 0) await s.users.update(org.id, current.id, patch);
        if (mode === 'overwrite' && u.status !== undefined && u.status !== current.status) {
          await (u.status === 'active' ? s.users.activate(org.id, current.id) : s.users.deactivate(org.id, current.id));
          changes.push('status');
        }
        // A password cannot be compared with its hash without a login attempt: overwrite always sets it.
        if (mode === 'overwrite' && u.password !== undefined) {
          await s.users.setPassword(org.id, current.id, u.password);
          changes.push('password');
        }
        kept(t, current.id, changes);
      });
    }
  }

  return { mode, isDryRun, entries, credentials };
}

function secretInput(secret: ProvisionSecret | undefined, now: number) {
  const expiresAt =
    secret?.expires_at !== undefined
      ? new Date(secret.expires_at)
      : secret?.expires_in !== undefined
        ? new Date(now + durationSeconds(secret.expires_in) * 1000)
        : undefined;
  return { label: secret?.label, expiresAt, value: secret?.value };
}
