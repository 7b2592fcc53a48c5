import { viaSource, type Actor } from '../actors/index.js';
import { ADMIN_APPLICATION_SLUG, type Application, type ApplicationService } from '../applications/index.js';
import type { ClientService } from '../clients/index.js';
import type { Organization, OrganizationService } from '../organizations/index.js';
import { AppError, isAppError } from '../platform/errors.js';
import type { SystemConfigService } from '../system-config/index.js';
import type { User, UserService } from '../users/index.js';
import type { ProvisioningFailure } from './errors.js';
import type { RbacService, Role } from '../rbac/index.js';
import type { ProvisionCredential, ProvisionEntry, ProvisionMode } from './types.js';

export interface ProvisioningServices {
  organizations: OrganizationService;
  applications: ApplicationService;
  clients: ClientService;
  users: UserService;
  systemConfig: SystemConfigService;
  rbac: RbacService;
}

export interface RunOptions {
  mode: ProvisionMode;
  isDryRun: boolean;
  /** ms since the epoch */
  now: number;
  /** Who imports: every entry is that actor's use case (source `import`), with its permissions and protections. */
  actor: Actor;
  /** Runs one entry's writes so that a failure undoes only them (a savepoint of the import's transaction). */
  isolate<T>(fn: () => Promise<T>): Promise<T>;
}

export type Target = Pick<ProvisionEntry, 'type' | 'key' | 'name' | 'path' | 'organizationSlug' | 'applicationSlug'>;

/** Domain codes of the protections (spec 20 §3.3), reported as the admin API names them. */
const PROTECTED_CODES = new Set(['super_admin_protected', 'admin_application_protected', 'config_readonly']);

export const protectedResource = (message: string) => new AppError('forbidden', 'protected_resource', message);
const missing = (code: string, message: string) => new AppError('not_found', code, message);

/** The state of one import run: what it did, what failed, and the objects it resolved by slug. */
export function createRunContext(s: ProvisioningServices, options: RunOptions) {
  const { mode, isDryRun } = options;
  const entries: ProvisionEntry[] = [];
  const credentials: ProvisionCredential[] = [];
  const failures: ProvisioningFailure[] = [];
  const orgs = new Map<string, Organization>();
  const apps = new Map<string, Application>();
  const users = new Map<string, User>();

  async function cached<T>(map: Map<string, T>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    map.set(key, value);
    return value;
  }

  return {
    s,
    options,
    actor: viaSource(options.actor, 'import'),
    mode,
    isDryRun,
    entries,
    credentials,
    failures,

    /**
     * Runs one entry; a domain refusal is recorded with the entry's place and the run goes on with the
     * next one, so one import reports every error. Returns undefined when the entry failed.
     */
    async step<T>(target: Target, fn: () => Promise<T>): Promise<T | undefined> {
      try {
        return await options.isolate(fn);
      } catch (err) {
        if (!isAppError(err)) throw err;
        const error = PROTECTED_CODES.has(err.code) ? 'protected_resource' : err.code;
        failures.push({ path: target.path, type: target.type, slug: target.key, error, message: err.message });
        return undefined;
      }
    },

    created(t: Target, id: string): void {
      entries.push({ action: 'created', ...t, id: isDryRun ? null : id });
    },

    /** An existing object: `updated` with the fields that changed, else `skipped`. */
    kept(t: Target, id: string, changes: string[]): void {
      entries.push(
        changes.length > 0 ? { action: 'updated', ...t, id, changes } : { action: 'skipped', ...t, id, reason: mode === 'merge' ? 'exists' : 'unchanged' },
      );
    },

    /** An object this run created or updated, for later entries that name it. */
    remember: {
      organization: (org: Organization) => orgs.set(org.slug, org),
      application: (app: Application) => apps.set(app.slug, app),
    },

    organization: (slug: string): Promise<Organization> =>
      cached(orgs, slug, async () => {
        const org = await s.organizations.findBySlug(slug);
        if (!org) throw missing('organization_not_found', `Organization "${slug}" does not exist and is not created by this manifest.`);
        return org;
      }).then((org) => {
        if (org.isSuperAdmin) throw protectedResource('The super-admin organization is out of reach of imports.');
        return org;
      }),

    application: (slug: string): Promise<Application> =>
      cached(apps, slug, async () => {
        if (slug === ADMIN_APPLICATION_SLUG) throw protectedResource('The admin application is out of reach of imports.');
        const app = await s.applications.findBySlug(slug);
        if (!app) throw missing('application_not_found', `Application "${slug}" does not exist and is not created by this manifest.`);
        return app;
      }),

    user: (org: Organization, email: string): Promise<User> =>
      cached(users, `${org.id}/${email.toLowerCase()}`, async () => {
        const user = await s.users.findByEmail(org.id, email);
        if (!user) throw missing('user_not_found', `No user ${email} in organization "${org.slug}".`);
        return user;
      }),

    async role(app: Application, slug: string): Promise<Role> {
      const role = (await s.rbac.listRoles(app.id)).find((r) => r.slug === slug);
      if (!role) throw missing('role_not_found', `Application "${app.slug}" has no role "${slug}".`);
      return role;
    },
  };
}

export type RunContext = ReturnType<typeof createRunContext>;
