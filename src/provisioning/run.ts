import type { Application } from '../applications/index.js';
import type { Client } from '../clients/index.js';
import type { Organization } from '../organizations/index.js';
import { AppError } from '../platform/errors.js';
import { applicationPatch, brandingInput, clientPatch, clientSettings, modulePatch, organizationPatch, resourceInput, resourcePatch, userPatch } from './diff.js';
import { importFailed } from './errors.js';
import type { ImportManifest, ManifestClient } from './manifest.js';
import { createRunContext, protectedResource, type ProvisioningServices, type RunContext, type RunOptions, type Target } from './run-context.js';
import { runRbac } from './run-rbac.js';
import type { ProvisionCredential, ProvisionResult } from './types.js';

export type { ProvisioningServices, RunOptions } from './run-context.js';

/** As many as libuv's thread pool runs at once (4 by default). */
const SECRETS_HASHED_AHEAD = 4;

/**
 * Applies the manifest in the order of 40-data-model §7. Every entry runs; when any failed, the run
 * ends with `import_failed` listing them all (the caller's transaction then rolls everything back).
 */
export async function runManifest(s: ProvisioningServices, m: ImportManifest, options: RunOptions): Promise<ProvisionResult> {
  const run = createRunContext(s, options);
  await organizations(run, m);
  await applications(run, m);
  await modules(run, m);
  await resources(run, m);
  // Secrets hashed ahead: each client's Argon2id work overlaps the database work of the ones before it.
  await s.clients.hashingSecretsAhead(Math.min(SECRETS_HASHED_AHEAD, m.clients.length), async () => {
    for (const [i, c] of m.clients.entries()) {
      const t: Target = { type: 'client', key: c.client_id ?? c.client_name, name: c.client_name, path: `clients[${i}]`, organizationSlug: c.organization_slug, applicationSlug: c.application_slug };
      const credential = await run.step(t, () => provisionClient(run, t, c));
      if (credential) run.credentials.push(credential);
    }
  });
  await runRbac(run, m, 'definitions');
  await users(run, m);
  await runRbac(run, m, 'assignments');
  if (run.failures.length > 0) throw importFailed(run.failures);
  return { mode: options.mode, isDryRun: options.isDryRun, entries: run.entries, credentials: run.credentials };
}

async function organizations({ s, mode, ...run }: RunContext, m: ImportManifest): Promise<void> {
  for (const [i, o] of m.organizations.entries()) {
    const t: Target = { type: 'organization', key: o.slug, name: o.name, path: `organizations[${i}]` };
    const org = await run.step(t, async () => {
      const current = await s.organizations.findBySlug(o.slug);
      if (current?.isSuperAdmin) throw protectedResource('The super-admin organization is out of reach of imports.');
      if (!current) {
        const made = await s.organizations.create(run.actor, {
          name: o.name, slug: o.slug, defaultLocale: o.default_locale, defaultLoginMethods: o.default_login_methods,
          twoFactorPolicy: o.two_factor_policy, dynamicRegistration: o.dynamic_registration, passkeyEnrolmentPrompt: o.passkey_enrolment_prompt,
          accountPortalEnabled: o.account_portal_enabled,
          branding: brandingInput(o),
        });
        run.created(t, made.id);
        return made;
      }
      const { patch, changes } = mode === 'overwrite' ? organizationPatch(o, current) : { patch: {}, changes: [] };
      const kept = changes.length > 0 ? await s.organizations.update(run.actor, current.id, patch) : current;
      run.kept(t, kept.id, changes);
      return kept;
    });
    if (org) run.remember.organization(org);
  }
}

async function applications({ s, mode, ...run }: RunContext, m: ImportManifest): Promise<void> {
  for (const [i, a] of m.applications.entries()) {
    const t: Target = { type: 'application', key: a.slug, name: a.name, path: `applications[${i}]` };
    const app = await run.step(t, async () => {
      const current = await run.application(a.slug).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'application_not_found') return null;
        throw err;
      });
      if (!current) {
        const made = await s.applications.create(run.actor, { name: a.name, slug: a.slug, description: a.description });
        run.created(t, made.id);
        return made;
      }
      const { patch, changes } = mode === 'overwrite' ? applicationPatch(a, current) : { patch: {}, changes: [] };
      const kept = changes.length > 0 ? await s.applications.update(run.actor, current.id, patch) : current;
      run.kept(t, kept.id, changes);
      return kept;
    });
    if (app) run.remember.application(app);
  }
}

async function modules({ s, mode, ...run }: RunContext, m: ImportManifest): Promise<void> {
  for (const [i, x] of m.application_modules.entries()) {
    const t: Target = { type: 'module', key: x.slug, name: x.name, path: `application_modules[${i}]`, applicationSlug: x.application_slug };
    await run.step(t, async () => {
      const app = await run.application(x.application_slug);
      const current = await s.applications.findModuleBySlug(app.id, x.slug);
      if (!current) {
        const made = await s.applications.createModule(run.actor, app.id, { name: x.name, slug: x.slug, description: x.description });
        if (x.status === 'inactive') await s.applications.updateModule(run.actor, app.id, made.id, { status: 'inactive' });
        return run.created(t, made.id);
      }
      const { patch, changes } = mode === 'overwrite' ? modulePatch(x, current) : { patch: {}, changes: [] };
      if (changes.length > 0) await s.applications.updateModule(run.actor, app.id, current.id, patch);
      run.kept(t, current.id, changes);
    });
  }
}

async function resources({ s, mode, ...run }: RunContext, m: ImportManifest): Promise<void> {
  for (const [i, r] of m.api_resources.entries()) {
    const t: Target = { type: 'api_resource', key: r.indicator, name: r.name, path: `api_resources[${i}]`, applicationSlug: r.application_slug };
    await run.step(t, async () => {
      const app = await run.application(r.application_slug);
      const current = await s.applications.findResourceByIndicator(app.id, r.indicator);
      if (!current) {
        const made = await s.applications.createResource(run.actor, app.id, { indicator: r.indicator, ...resourceInput(r) });
        return run.created(t, made.id);
      }
      const { patch, changes } = mode === 'overwrite' ? resourcePatch(r, current) : { patch: {}, changes: [] };
      if (changes.length > 0) await s.applications.updateResource(run.actor, app.id, current.id, patch);
      run.kept(t, current.id, changes);
    });
  }
}

async function provisionClient(run: RunContext, t: Target, c: ManifestClient): Promise<ProvisionCredential> {
  const { s, mode, isDryRun } = run;
  const org = await run.organization(c.organization_slug);
  const app = await run.application(c.application_slug);
  const credential = { path: t.path, organizationSlug: org.slug, applicationSlug: app.slug, clientName: c.client_name, clientType: c.client_type };
  const current = await findClient(run, org, app, c);
  // A private_key_jwt client authenticates with its keys and has no secret.
  const secret = c.client_type === 'confidential' && c.token_endpoint_auth_method !== 'private_key_jwt'
    ? { label: c.secret_label, expiresAt: c.secret_expires_at === undefined ? undefined : new Date(c.secret_expires_at), value: c.secret_value }
    : undefined;
  if (!current) {
    const made = await s.clients.create(run.actor, org.id, { applicationId: app.id, clientType: c.client_type, clientName: c.client_name, clientId: c.client_id, ...clientSettings(c), secret });
    const isIdKnown = !isDryRun || c.client_id !== undefined;
    run.created({ ...t, key: isIdKnown ? made.client.clientId : c.client_name }, made.client.id);
    const stored = made.secret;
    return {
      ...credential,
      clientId: isIdKnown ? made.client.clientId : null,
      ...(stored
        ? {
            isNewSecret: true,
            // A dry run's generated value is never stored: only the manifest's own value is worth echoing.
            ...(!isDryRun || c.secret_value !== undefined ? { secretPlaintext: stored.plaintext } : {}),
            ...(isDryRun ? {} : { secretId: stored.id }),
            secretLabel: stored.label,
            secretExpiresAt: stored.expiresAt,
          }
        : {}),
    };
  }
  const key = { ...t, key: current.clientId };
  const fileSecret = c.secret_value !== undefined ? { secretPlaintext: c.secret_value } : {};
  if (mode === 'merge') {
    run.kept(key, current.id, []);
    return { ...credential, clientId: current.clientId, ...fileSecret };
  }
  if (current.clientType !== c.client_type) {
    throw new AppError('conflict', 'client_type_fixed', `The client is ${current.clientType}; its type cannot change.`);
  }
  const { patch, changes } = clientPatch(c, current);
  if (changes.length > 0) await s.clients.update(run.actor, org.id, current.id, patch);
  // 30-cli §7: a given value becomes an extra active secret only when no active secret has it already.
  let added: Partial<ProvisionCredential> = {};
  if (secret?.value !== undefined && !(await s.clients.hasActiveSecret(current.id, secret.value))) {
    const stored = await s.clients.generateSecret(run.actor, org.id, current.id, secret);
    changes.push('secret');
    added = { isNewSecret: true, ...(isDryRun ? {} : { secretId: stored.id }), secretLabel: stored.label, secretExpiresAt: stored.expiresAt };
  }
  run.kept(key, current.id, changes);
  return { ...credential, clientId: current.clientId, ...fileSecret, ...added };
}

/** By client_id when given (unique in Porta), else by name within the organization and application. */
async function findClient({ s }: RunContext, org: Organization, app: Application, c: ManifestClient): Promise<Client | null> {
  if (c.client_id !== undefined) {
    // One lookup across organizations: the client_id is unique in Porta.
    const any = await s.clients.findInAnyOrg(c.client_id);
    const found = any?.clientId === c.client_id ? any : null;
    if (found && (found.organizationId !== org.id || found.applicationId !== app.id)) {
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

async function users(run: RunContext, m: ImportManifest): Promise<void> {
  const { s, mode } = run;
  for (const [i, u] of m.users.entries()) {
    const name = [u.given_name, u.family_name].filter(Boolean).join(' ') || u.email;
    const t: Target = { type: 'user', key: u.email, name, path: `users[${i}]`, organizationSlug: u.organization_slug };
    await run.step(t, async () => {
      const org = await run.organization(u.organization_slug);
      const current = await s.users.findByEmail(org.id, u.email);
      if (!current && u.invite && u.password === undefined) {
        const invited = await s.users.invite(run.actor, org.id, {
          email: u.email, givenName: u.given_name || undefined, familyName: u.family_name || undefined, locale: u.locale || undefined, personalMessage: u.invite_message,
        });
        return run.created(t, invited.userId);
      }
      if (!current) {
        const user = await s.users.create(run.actor, org.id, {
          email: u.email, password: u.password, status: u.status, givenName: u.given_name, familyName: u.family_name, locale: u.locale, emailVerified: u.email_verified,
        });
        return run.created(t, user.id);
      }
      const { patch, changes } = mode === 'overwrite' ? userPatch(u, current) : { patch: {}, changes: [] };
      if (changes.length > 0) await s.users.update(run.actor, org.id, current.id, patch);
      if (mode === 'overwrite' && u.status !== undefined && u.status !== current.status) {
        await s.users.setStatus(run.actor, org.id, current.id, u.status === 'active' ? 'activate' : 'deactivate');
        changes.push('status');
      }
      // A password cannot be compared with its hash without a login attempt: overwrite always sets it.
      if (mode === 'overwrite' && u.password !== undefined) {
        await s.users.setPassword(run.actor, org.id, current.id, u.password);
        changes.push('password');
      }
      run.kept(t, current.id, changes);
    });
  }
}
