import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { defined, positiveInt, requireSome } from '../args.js';
import { dataOf, emit, printRecord, printRows, say, printNote } from '../output.js';
import { appId, orgId, permissionIds, roleId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import type { AdminApi } from '../api/client.js';

const ROLE_COLUMNS = ['id', 'slug', 'name', 'description', 'createdAt'];
export const PERMISSION_COLUMNS = ['id', 'slug', 'name', 'moduleId', 'description', 'createdAt'];

async function rolePath(api: AdminApi, appRef: string, roleRef?: string, suffix = ''): Promise<string> {
  const application = await appId(api, appRef);
  return roleRef === undefined ? `/applications/${application}/roles` : `/applications/${application}/roles/${await roleId(api, application, roleRef)}${suffix}`;
}

/** `porta app role …` (spec 30 §4); <role> is an id or a slug of the application. */
export function registerAppRoles(app: Command): void {
  const role = app.command('role').description('roles of an application; <role> is an id or a slug');

  role
    .command('create <app>')
    .description('create a role')
    .requiredOption('--name <name>', 'display name')
    .option('--slug <slug>', 'lowercase letters, digits, hyphens; unique in the application')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name: string; slug?: string; description?: string }>(async (api, g, [appRef], o) => {
        const body = await api.post(await rolePath(api, appRef!), defined({ name: o.name, slug: o.slug, description: o.description }));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  role
    .command('list <app>')
    .description('roles of the application')
    .action(
      apiAction(async (api, g, [appRef]) => {
        const body = await api.get(await rolePath(api, appRef!));
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), ROLE_COLUMNS));
      }),
    );

  role
    .command('show <app> <role>')
    .description('one role')
    .action(
      apiAction(async (api, g, [appRef, roleRef]) => {
        const body = await api.get(await rolePath(api, appRef!, roleRef!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  role
    .command('update <app> <role>')
    .description('change name, slug or description')
    .option('--name <name>', 'display name')
    .option('--slug <slug>', 'new slug')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name?: string; slug?: string; description?: string }>(async (api, g, [appRef, roleRef], o) => {
        const input = defined({ name: o.name, slug: o.slug, description: o.description });
        requireSome(input, '--name, --slug, --description');
        const body = await api.put(await rolePath(api, appRef!, roleRef!), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  role
    .command('delete <app> <role>')
    .description('delete a role (asks first); --force also removes it from the users who hold it')
    .action(
      apiAction(async (api, g, [appRef, roleRef]) => {
        const path = await rolePath(api, appRef!, roleRef!);
        await confirm(g, `Delete role ${roleRef} of application ${appRef}?`);
        await api.delete(path, { query: { force: g.force ? 'true' : undefined } });
        say(g, `Deleted role ${roleRef}.`);
      }),
    );

  role
    .command('permissions <app> <role>')
    .description('the permissions the role grants')
    .action(
      apiAction(async (api, g, [appRef, roleRef]) => {
        const body = await api.get(await rolePath(api, appRef!, roleRef!, '/permissions'));
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), PERMISSION_COLUMNS));
      }),
    );

  role
    .command('users <app> <role>')
    .description('users of one organization holding the role')
    .requiredOption('--org, --org-id <org>', 'organization id or slug')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ orgId: string; page?: number; pageSize?: number }>(async (api, g, [appRef, roleRef], o) => {
        const path = await rolePath(api, appRef!, roleRef!, '/users');
        const body = await api.get<{ data: Array<Record<string, unknown>>; total: number }>(path, { orgId: await orgId(api, o.orgId), page: o.page, pageSize: o.pageSize });
        emit(g, body, () => {
          printRows(body.data, ['userId', 'roleId', 'assignedBy', 'createdAt']);
          printNote(`${body.total} total`);
        });
      }),
    );

  for (const [name, method, verb] of [
    ['assign-perm', 'PUT', 'Granted'],
    ['remove-perm', 'DELETE', 'Removed'],
  ] as const) {
    role
      .command(`${name} <app> <role> <permission...>`)
      .description(name === 'assign-perm' ? 'grant permissions (ids or slugs) to the role' : 'take permissions (ids or slugs) from the role')
      .action(
        apiAction(async (api, g, args) => {
          const [appRef, roleRef] = args;
          const refs = args[2] as unknown as string[];
          const application = await appId(api, appRef!);
          const path = `/applications/${application}/roles/${await roleId(api, application, roleRef!)}/permissions`;
          await api.request(method, path, { body: { permissionIds: await permissionIds(api, application, refs) } });
          say(g, `${verb} ${refs.length} permission(s) ${name === 'assign-perm' ? 'to' : 'from'} role ${roleRef}.`);
        }),
      );
  }
}
