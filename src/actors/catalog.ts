/**
 * The admin application's permissions and built-in roles (spec 20 §3.1–§3.2). Stored slugs carry the
 * `admin:` prefix. Admin authorization uses these sets, not rows an operator could edit.
 */
const RESOURCE_ACTIONS = {
  org: ['create', 'read', 'update', 'suspend', 'archive'],
  app: ['create', 'read', 'update', 'archive'],
  client: ['create', 'read', 'update', 'revoke'],
  user: ['create', 'read', 'update', 'suspend', 'archive', 'invite', '2fa'],
  role: ['create', 'read', 'update', 'archive', 'assign'],
  permission: ['create', 'read', 'archive'],
  claim: ['create', 'read', 'update', 'archive'],
  config: ['read', 'update'],
  key: ['read', 'generate', 'rotate'],
  audit: ['read'],
  session: ['read', 'revoke'],
  stats: ['read'],
  export: ['read'],
  import: ['write'],
} as const;

type Resource = keyof typeof RESOURCE_ACTIONS;
type ActionOf<R extends Resource> = (typeof RESOURCE_ACTIONS)[R][number];
/** `resource:action` as written in spec 20 route tables. */
export type AdminPermissionName = { [R in Resource]: `${R}:${ActionOf<R>}` }[Resource];
/** The stored slug. */
export type AdminPermission = `admin:${AdminPermissionName}`;

/** The application whose roles make an admin (spec 20 §2). */
export const ADMIN_APPLICATION_SLUG = 'porta-admin';
export const ADMIN_CLI_CLIENT_ID = 'porta-admin-cli';
export const ADMIN_CLI_CLIENT_NAME = 'Porta Admin CLI';
export const ADMIN_CONSOLE_CLIENT_ID = 'porta-admin-console';

/**
 * Clients whose user tokens the Admin API accepts (spec 70 §4). Any other client of the admin
 * organization, even one an admin could sign in with, is refused; service accounts use their own tokens.
 */
export const BUILT_IN_ADMIN_CLIENT_IDS: ReadonlySet<string> = new Set([ADMIN_CLI_CLIENT_ID, ADMIN_CONSOLE_CLIENT_ID]);
export const SUPER_ADMIN_ROLE = 'porta-super-admin';

export const ADMIN_PERMISSIONS: readonly AdminPermission[] = Object.entries(RESOURCE_ACTIONS).flatMap(([resource, actions]) =>
  actions.map((action) => `admin:${resource}:${action}` as AdminPermission),
);

const all = (resource: Resource): AdminPermission[] =>
  RESOURCE_ACTIONS[resource].map((action) => `admin:${resource}:${action}` as AdminPermission);
const p = (...names: AdminPermissionName[]): AdminPermission[] => names.map((n) => `admin:${n}` as const);

export interface BuiltInRole {
  slug: string;
  name: string;
  description: string;
  permissions: readonly AdminPermission[];
}

export const ADMIN_ROLES: readonly BuiltInRole[] = [
  { slug: SUPER_ADMIN_ROLE, name: 'Super Admin', description: 'Every admin permission.', permissions: ADMIN_PERMISSIONS },
  { slug: 'porta-org-admin', name: 'Organization Admin', description: 'Manages organizations.', permissions: [...all('org'), ...p('stats:read')] },
  {
    slug: 'porta-user-admin',
    name: 'User Admin',
    description: 'Manages users, their roles and sessions.',
    permissions: [...all('user'), ...p('role:assign', 'role:read', 'claim:read', 'session:read', 'session:revoke')],
  },
  {
    slug: 'porta-app-admin',
    name: 'Application Admin',
    description: 'Manages applications, clients, roles, permissions and claims.',
    permissions: [...all('app'), ...all('client'), ...p('role:create', 'role:read', 'role:update', 'role:archive'), ...all('permission'), ...all('claim')],
  },
  {
    slug: 'porta-auditor',
    name: 'Auditor',
    description: 'Reads everything.',
    permissions: p(
      'org:read', 'app:read', 'client:read', 'user:read', 'role:read', 'permission:read', 'claim:read',
      'config:read', 'key:read', 'audit:read', 'session:read', 'stats:read', 'export:read',
    ),
  },
];

const BY_SLUG = new Map(ADMIN_ROLES.map((r) => [r.slug, r]));

export const isBuiltInAdminRole = (slug: string): boolean => BY_SLUG.has(slug);

/** Union of the built-in permission sets of the given role slugs (unknown slugs add nothing). */
export function adminPermissionsOf(roleSlugs: Iterable<string>): Set<AdminPermission> {
  const result = new Set<AdminPermission>();
  for (const slug of roleSlugs) for (const perm of BY_SLUG.get(slug)?.permissions ?? []) result.add(perm);
  return result;
}

/** The stored permission's name, e.g. `admin:org:create` → "create org". */
export function permissionDisplayName(perm: AdminPermission): string {
  const [, resource, action] = perm.split(':');
  return `${action} ${resource}`;
}
