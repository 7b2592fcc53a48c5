import { CliError, EXIT } from '../context.js';
import { isUuid, seg, type AdminApi } from './client.js';
import { dataOf } from '../output.js';

/** Spec 30 §1 targets: UUIDs pass through; slugs, client ids and names are looked up. */

const notFound = (what: string) => new CliError(`No ${what}.`, EXIT.notFound, { error: 'not_found', message: `No ${what}.` });

interface Identified {
  id: string;
}

export async function orgId(api: AdminApi, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  return dataOf<Identified>(await api.get(`/organizations/${seg(ref)}`)).id;
}

export async function appId(api: AdminApi, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  return dataOf<Identified>(await api.get(`/applications/${seg(ref)}`)).id;
}

async function findIn<T extends Identified>(api: AdminApi, path: string, ref: string, matches: (item: T) => boolean, what: string): Promise<T> {
  const items = dataOf<T[]>(await api.get(path));
  const found = items.find((item) => item.id === ref || matches(item));
  if (!found) throw notFound(what);
  return found;
}

export async function roleId(api: AdminApi, application: string, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  return (await findIn<Identified & { slug: string }>(api, `/applications/${application}/roles`, ref, (r) => r.slug === ref, `role ${ref} in this application`)).id;
}

export async function moduleId(api: AdminApi, application: string, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  return (await findIn<Identified & { slug: string }>(api, `/applications/${application}/modules`, ref, (m) => m.slug === ref, `module ${ref} in this application`)).id;
}

export async function resourceId(api: AdminApi, application: string, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  return (await findIn<Identified & { indicator: string }>(api, `/applications/${application}/resources`, ref, (r) => r.indicator === ref, `API resource ${ref} in this application`)).id;
}

export async function permissionIds(api: AdminApi, application: string, refs: readonly string[]): Promise<string[]> {
  if (refs.every(isUuid)) return [...refs];
  const all = dataOf<Array<Identified & { slug: string }>>(await api.get(`/applications/${application}/permissions`));
  return refs.map((ref) => {
    const found = all.find((p) => p.id === ref || p.slug === ref);
    if (!found) throw notFound(`permission ${ref} in this application`);
    return found.id;
  });
}

export interface ClaimDefinition extends Identified {
  claimName: string;
  claimType: 'string' | 'number' | 'boolean' | 'json';
}

export async function claimDefinition(api: AdminApi, application: string, ref: string): Promise<ClaimDefinition> {
  if (isUuid(ref)) return dataOf<ClaimDefinition>(await api.get(`/applications/${application}/claims/${ref}`));
  return findIn<ClaimDefinition>(api, `/applications/${application}/claims`, ref, (c) => c.claimName === ref, `claim ${ref} in this application`);
}

/** `--role <id or app:slug>` → role ids. */
export async function roleIdsOf(api: AdminApi, refs: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    if (isUuid(ref)) {
      ids.push(ref);
      continue;
    }
    const colon = ref.indexOf(':');
    if (colon <= 0 || colon === ref.length - 1) throw new CliError(`--role takes a role id or <application>:<role-slug>, not "${ref}"`, EXIT.usage);
    const application = await appId(api, ref.slice(0, colon));
    ids.push(await roleId(api, application, ref.slice(colon + 1)));
  }
  return ids;
}

/** A user target: `--org-id` (slug or id) optional — without it the unscoped `/users/:id` routes answer. */
export interface UserTarget {
  orgId: string | null;
  userId: string;
}

export async function userTarget(api: AdminApi, options: { orgId?: string; userId?: string }, positional: string | undefined): Promise<UserTarget> {
  const userId = positional ?? options.userId;
  if (!userId) throw new CliError('Name the user: porta user <command> <user-id>, or --user-id <id>.', EXIT.usage);
  if (positional && options.userId && positional !== options.userId) throw new CliError('Give the user once: as an argument or with --user-id.', EXIT.usage);
  if (!isUuid(userId)) throw notFound(`user ${userId}`);
  return { orgId: options.orgId ? await orgId(api, options.orgId) : null, userId };
}

export function userPath(target: UserTarget, suffix = ''): string {
  return target.orgId ? `/organizations/${target.orgId}/users/${target.userId}${suffix}` : `/users/${target.userId}${suffix}`;
}

/** For routes that exist only under the organization: the user's own organization when none was given. */
export async function scopedUserPath(api: AdminApi, target: UserTarget, suffix = ''): Promise<string> {
  const org = target.orgId ?? dataOf<{ organizationId: string }>(await api.get(`/users/${target.userId}`)).organizationId;
  return `/organizations/${org}/users/${target.userId}${suffix}`;
}
