import { AppError } from '../platform/errors.js';
import { coerceConfigValue } from '../system-config/index.js';
import type { ImportManifest } from './manifest.js';
import type { RunContext, Target } from './run-context.js';

/**
 * The RBAC part of a manifest, through the RBAC service. `definitions` (roles, permissions, claim
 * definitions, role-permission mappings) run before users; `assignments` (user roles, claim values)
 * and config after them.
 */
export async function runRbac(run: RunContext, m: ImportManifest, phase: 'definitions' | 'assignments'): Promise<void> {
  if (phase === 'definitions') {
    await roles(run, m);
    await permissions(run, m);
    await claimDefinitions(run, m);
    await mappings(run, m);
  } else {
    await userRoles(run, m);
    await claimValues(run, m);
    await config(run, m);
  }
}

/** Only what the manifest gives and differs; `changes` names the manifest's fields. */
function differences<T extends object>(fields: Array<[field: string, key: keyof T, wanted: unknown, current: unknown]>): { patch: Partial<T>; changes: string[] } {
  const patch: Partial<T> = {};
  const changes: string[] = [];
  for (const [field, key, wanted, current] of fields) {
    if (wanted === undefined || wanted === current) continue;
    patch[key] = wanted as T[keyof T];
    changes.push(field);
  }
  return { patch, changes };
}

const unchanged = { patch: {}, changes: [] as string[] };

async function roles(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac } = run.s;
  for (const [i, r] of m.roles.entries()) {
    const t: Target = { type: 'role', key: r.slug, name: r.name, path: `roles[${i}]`, applicationSlug: r.application_slug };
    await run.step(t, async () => {
      const app = await run.application(r.application_slug);
      const current = (await rbac.listRoles(app.id)).find((x) => x.slug === r.slug);
      if (!current) return run.created(t, (await rbac.createRole(run.actor, app.id, { name: r.name, slug: r.slug, description: r.description })).id);
      const { patch, changes } = run.mode === 'overwrite'
        ? differences<{ name: string; description: string | null }>([['name', 'name', r.name, current.name], ['description', 'description', r.description, current.description]])
        : unchanged;
      if (changes.length > 0) await rbac.updateRole(run.actor, app.id, current.id, patch);
      run.kept(t, current.id, changes);
    });
  }
}

/** A permission's module is set when it is created (the RBAC service keeps it fixed). */
async function permissions(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac, applications } = run.s;
  for (const [i, p] of m.permissions.entries()) {
    const t: Target = { type: 'permission', key: p.slug, name: p.name, path: `permissions[${i}]`, applicationSlug: p.application_slug };
    await run.step(t, async () => {
      const app = await run.application(p.application_slug);
      const current = (await rbac.listPermissions(app.id)).find((x) => x.slug === p.slug);
      if (!current) {
        let moduleId: string | null = null;
        if (p.module_slug) {
          const mod = await applications.findModuleBySlug(app.id, p.module_slug);
          if (!mod) throw new AppError('not_found', 'module_not_found', `Application "${app.slug}" has no module "${p.module_slug}".`);
          moduleId = mod.id;
        }
        return run.created(t, (await rbac.createPermission(run.actor, app.id, { name: p.name, slug: p.slug, description: p.description, moduleId })).id);
      }
      const { patch, changes } = run.mode === 'overwrite'
        ? differences<{ name: string; description: string | null }>([['name', 'name', p.name, current.name], ['description', 'description', p.description, current.description]])
        : unchanged;
      if (changes.length > 0) await rbac.updatePermission(run.actor, app.id, current.id, patch);
      run.kept(t, current.id, changes);
    });
  }
}

async function claimDefinitions(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac } = run.s;
  for (const [i, c] of m.claim_definitions.entries()) {
    const t: Target = { type: 'claim_definition', key: c.claim_name, name: c.claim_name, path: `claim_definitions[${i}]`, applicationSlug: c.application_slug };
    await run.step(t, async () => {
      const app = await run.application(c.application_slug);
      const current = (await rbac.listClaims(app.id)).find((x) => x.claimName === c.claim_name);
      if (!current) {
        const made = await rbac.createClaim(run.actor, app.id, {
          claimName: c.claim_name, claimType: c.claim_type, description: c.description,
          includeInIdToken: c.include_in_id_token, includeInAccessToken: c.include_in_access_token, includeInUserinfo: c.include_in_userinfo,
        });
        return run.created(t, made.id);
      }
      if (run.mode === 'merge') return run.kept(t, current.id, []);
      if (current.claimType !== c.claim_type) {
        throw new AppError('conflict', 'claim_type_fixed', `Claim "${c.claim_name}" is of type ${current.claimType}; its type cannot change.`);
      }
      const { patch, changes } = differences<{ description: string | null; includeInIdToken: boolean; includeInAccessToken: boolean; includeInUserinfo: boolean }>([
        ['description', 'description', c.description, current.description],
        ['include_in_id_token', 'includeInIdToken', c.include_in_id_token, current.includeInIdToken],
        ['include_in_access_token', 'includeInAccessToken', c.include_in_access_token, current.includeInAccessToken],
        ['include_in_userinfo', 'includeInUserinfo', c.include_in_userinfo, current.includeInUserinfo],
      ]);
      if (changes.length > 0) await rbac.updateClaim(run.actor, app.id, current.id, patch);
      run.kept(t, current.id, changes);
    });
  }
}

/** `merge` adds the missing links; `overwrite` makes the role's permissions exactly the list. */
async function mappings(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac } = run.s;
  for (const [i, x] of m.role_permission_mappings.entries()) {
    const t: Target = { type: 'role_permission_mapping', key: x.role_slug, name: x.role_slug, path: `role_permission_mappings[${i}]`, applicationSlug: x.application_slug };
    await run.step(t, async () => {
      const app = await run.application(x.application_slug);
      const role = await run.role(app, x.role_slug);
      const bySlug = new Map((await rbac.listPermissions(app.id)).map((p) => [p.slug, p.id]));
      const unknown = x.permission_slugs.filter((slug) => !bySlug.has(slug));
      if (unknown.length > 0) throw new AppError('not_found', 'permission_not_found', `Application "${app.slug}" has no permission ${unknown.map((u) => `"${u}"`).join(', ')}.`);
      const wanted = new Set(x.permission_slugs);
      const current = await rbac.listRolePermissions(app.id, role.id);
      const held = new Set(current.map((p) => p.slug));
      const toAdd = [...wanted].filter((slug) => !held.has(slug));
      const toRemove = run.mode === 'overwrite' ? current.filter((p) => !wanted.has(p.slug)) : [];
      if (toAdd.length > 0) await rbac.addRolePermissions(run.actor, app.id, role.id, { permissionIds: toAdd.map((slug) => bySlug.get(slug) as string) });
      if (toRemove.length > 0) await rbac.removeRolePermissions(run.actor, app.id, role.id, { permissionIds: toRemove.map((p) => p.id) });
      const target = { ...t, name: role.name };
      if (current.length === 0 && toAdd.length > 0) return run.created(target, role.id);
      run.kept(target, role.id, [...toAdd.map((slug) => `+${slug}`), ...toRemove.map((p) => `-${p.slug}`)]);
    });
  }
}

async function userRoles(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac } = run.s;
  for (const [i, a] of m.user_role_assignments.entries()) {
    const t: Target = { type: 'user_role_assignment', key: a.role_slug, name: a.email, path: `user_role_assignments[${i}]`, organizationSlug: a.organization_slug, applicationSlug: a.application_slug };
    await run.step(t, async () => {
      const org = await run.organization(a.organization_slug);
      const user = await run.user(org, a.email);
      const app = await run.application(a.application_slug);
      const role = await run.role(app, a.role_slug);
      const held = await rbac.listUserRoles(org.id, user.id, { applicationId: app.id });
      if (held.some((r) => r.id === role.id)) return run.kept(t, role.id, []);
      await rbac.assignRoles(run.actor, org.id, user.id, { roleIds: [role.id] });
      run.created(t, role.id);
    });
  }
}

async function claimValues(run: RunContext, m: ImportManifest): Promise<void> {
  const { rbac } = run.s;
  for (const [i, v] of m.user_claim_values.entries()) {
    const t: Target = { type: 'user_claim_value', key: v.claim_name, name: v.email, path: `user_claim_values[${i}]`, organizationSlug: v.organization_slug, applicationSlug: v.application_slug };
    await run.step(t, async () => {
      const user = await run.user(await run.organization(v.organization_slug), v.email);
      const app = await run.application(v.application_slug);
      const claim = (await rbac.listClaims(app.id)).find((c) => c.claimName === v.claim_name);
      if (!claim) throw new AppError('not_found', 'claim_not_found', `Application "${app.slug}" has no claim "${v.claim_name}".`);
      const current = (await rbac.listUserClaimValues(app.id, user.id)).find((x) => x.claimId === claim.id);
      if (!current) return run.created(t, (await rbac.setClaimValue(run.actor, app.id, claim.id, user.id, { value: v.value })).id);
      const changes = run.mode === 'overwrite' && canonical(current.value) !== canonical(v.value) ? ['value'] : [];
      if (changes.length > 0) await rbac.setClaimValue(run.actor, app.id, claim.id, user.id, { value: v.value });
      run.kept(t, current.id, changes);
    });
  }
}

/** Config keys are settings, not objects: both modes set the manifest's value (existing keys only, §5.8 rules). */
async function config(run: RunContext, m: ImportManifest): Promise<void> {
  const { systemConfig } = run.s;
  for (const [key, value] of Object.entries(m.config)) {
    const t: Target = { type: 'config', key, name: key, path: `config.${key}` };
    await run.step(t, async () => {
      const entry = await systemConfig.getEntry(key);
      // A read-only key is refused by the use case whatever the value (spec 20 §3.3).
      const isSame = !entry.isReadonly && !entry.isSensitive && canonical(entry.value) === canonical(coerceConfigValue(entry, value));
      if (!isSame) await systemConfig.set(run.actor, key, value);
      run.kept(t, key, isSame ? [] : ['value']);
    });
  }
}

/** JSON text with sorted keys, so jsonb values compare regardless of key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}
