import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import type { AdminApi } from '../api/client.js';
import { defined, requireSome } from '../args.js';
import { dataOf, emit, printRecord, printRows, say } from '../output.js';
import { appId, moduleId, permissionIds } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { PERMISSION_COLUMNS } from './app-roles.js';

async function permissionPath(api: AdminApi, appRef: string, permRef?: string, suffix = ''): Promise<string> {
  const application = await appId(api, appRef);
  if (permRef === undefined) return `/applications/${application}/permissions`;
  const [id] = await permissionIds(api, application, [permRef]);
  return `/applications/${application}/permissions/${id}${suffix}`;
}

/** `porta app permission …` (spec 30 §4); <permission> is an id or a slug such as `billing:invoice:read`. */
export function registerAppPermissions(app: Command): void {
  const permission = app.command('permission').description('permissions of an application; <permission> is an id or a slug');

  permission
    .command('create <app>')
    .description('create a permission')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'module:resource:action (lowercase, ≥ 3 segments)')
    .option('--module-id <module>', 'module id or slug')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name: string; slug: string; moduleId?: string; description?: string }>(async (api, g, [appRef], o) => {
        const application = await appId(api, appRef!);
        const module = o.moduleId === undefined ? undefined : await moduleId(api, application, o.moduleId);
        const body = await api.post(`/applications/${application}/permissions`, defined({ name: o.name, slug: o.slug, moduleId: module, description: o.description }));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  permission
    .command('list <app>')
    .description('permissions of the application')
    .option('--module-id <module>', 'only this module\'s (id or slug)')
    .action(
      apiAction<{ moduleId?: string }>(async (api, g, [appRef], o) => {
        const application = await appId(api, appRef!);
        const module = o.moduleId === undefined ? undefined : await moduleId(api, application, o.moduleId);
        const body = await api.get(`/applications/${application}/permissions`, { moduleId: module });
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), PERMISSION_COLUMNS));
      }),
    );

  permission
    .command('show <app> <permission>')
    .description('one permission')
    .action(
      apiAction(async (api, g, [appRef, permRef]) => {
        const body = await api.get(await permissionPath(api, appRef!, permRef!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  permission
    .command('update <app> <permission>')
    .description('change name or description (the slug is fixed)')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name?: string; description?: string }>(async (api, g, [appRef, permRef], o) => {
        const input = defined({ name: o.name, description: o.description });
        requireSome(input, '--name, --description');
        const body = await api.put(await permissionPath(api, appRef!, permRef!), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  permission
    .command('delete <app> <permission>')
    .description('delete a permission (asks first); --force also removes it from the roles that grant it')
    .action(
      apiAction(async (api, g, [appRef, permRef]) => {
        const path = await permissionPath(api, appRef!, permRef!);
        await confirm(g, `Delete permission ${permRef} of application ${appRef}?`);
        await api.delete(path, { query: { force: g.force ? 'true' : undefined } });
        say(g, `Deleted permission ${permRef}.`);
      }),
    );

  permission
    .command('roles <app> <permission>')
    .description('the roles that grant the permission')
    .action(
      apiAction(async (api, g, [appRef, permRef]) => {
        const body = await api.get(await permissionPath(api, appRef!, permRef!, '/roles'));
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), ['id', 'slug', 'name', 'description']));
      }),
    );
}
