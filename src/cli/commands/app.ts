import type { Command } from 'commander';
import { seg } from '../api/client.js';
import { defined, positiveInt, requireSome } from '../args.js';
import { dataOf, emit, printHistory, printPage, printRecord, printRows, say, type HistoryPage, type Page, printLine } from '../output.js';
import { appId, moduleId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { historyQuery, withHistoryOptions } from './org.js';
import { registerAppRoles } from './app-roles.js';
import { registerAppPermissions } from './app-permissions.js';
import { registerAppClaims } from './app-claims.js';
import { registerAppResources } from './app-resources.js';

export const appPath = (ref: string, suffix = '') => `/applications/${seg(ref)}${suffix}`;

interface Application {
  id: string;
  slug: string;
  name: string;
  status: string;
  createdAt: string;
}

const MODULE_COLUMNS = ['id', 'slug', 'name', 'status', 'description', 'createdAt'];

/** `porta app …` (spec 30 §4); <app> is an id or a slug. */
export function registerApp(program: Command): void {
  const app = program.command('app').description('applications, their modules, roles, permissions and claims; <app> is an id or a slug');

  app
    .command('create')
    .description('create an application')
    .requiredOption('--name <name>', 'display name')
    .option('--slug <slug>', 'slug (default: derived from the name)')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name: string; slug?: string; description?: string }>(async (api, g, _args, o) => {
        const body = await api.post('/applications', defined({ name: o.name, slug: o.slug, description: o.description }));
        emit(g, body, () => {
          printLine('Created application:');
          printRecord(dataOf(body));
        });
      }),
    );

  app
    .command('list')
    .description('list applications')
    .option('--status <status>', 'active, inactive or archived')
    .option('--search <text>', 'name or slug contains')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ status?: string; search?: string; page?: number; pageSize?: number }>(async (api, g, _args, o) => {
        const body = await api.get<Page<Application>>('/applications', { status: o.status, search: o.search, page: o.page, pageSize: o.pageSize });
        emit(g, body, () => printPage(body, ['id', 'slug', 'name', 'status', 'createdAt']));
      }),
    );

  app
    .command('show <app>')
    .description('one application')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(appPath(ref!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  app
    .command('update <app>')
    .description('change name or description')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name?: string; description?: string }>(async (api, g, [ref], o) => {
        const input = defined({ name: o.name, description: o.description });
        requireSome(input, '--name, --description');
        const body = await api.put(appPath(ref!), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  for (const [name, done, description] of [
    ['archive', 'Archived', 'archive: no new clients, its clients stop authorizing'],
    ['activate', 'Activated', 'make an inactive or archived application active'],
    ['deactivate', 'Deactivated', 'deactivate: its clients stop authorizing until activated'],
  ] as const) {
    app
      .command(`${name} <app>`)
      .description(description)
      .action(
        apiAction(async (api, g, [ref]) => {
          await api.post(appPath(ref!, `/${name}`));
          say(g, `${done} application ${ref}.`);
        }),
      );
  }

  withHistoryOptions(app.command('history <app>').description('audit history of the application, newest first')).action(
    apiAction<{ limit?: number; eventType?: string; after?: string }>(async (api, g, [ref], o) => {
      const body = await api.get<HistoryPage>(appPath(ref!, '/history'), historyQuery(o));
      emit(g, body, () => printHistory(body));
    }),
  );

  registerModules(app);
  registerAppRoles(app);
  registerAppPermissions(app);
  registerAppClaims(app);
  registerAppResources(app);
}

function registerModules(app: Command): void {
  const mod = app.command('module').description('modules of an application; <module> is an id or a slug');

  mod
    .command('add <app>')
    .description('add a module')
    .requiredOption('--name <name>', 'display name')
    .option('--slug <slug>', 'slug, unique in the application')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name: string; slug?: string; description?: string }>(async (api, g, [ref], o) => {
        const body = await api.post(appPath(await appId(api, ref!), '/modules'), defined({ name: o.name, slug: o.slug, description: o.description }));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  mod
    .command('list <app>')
    .description('modules of the application')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(appPath(await appId(api, ref!), '/modules'));
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), MODULE_COLUMNS));
      }),
    );

  mod
    .command('update <app> <module>')
    .description('change name or description')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description')
    .action(
      apiAction<{ name?: string; description?: string }>(async (api, g, [ref, moduleRef], o) => {
        const input = defined({ name: o.name, description: o.description });
        requireSome(input, '--name, --description');
        const application = await appId(api, ref!);
        const body = await api.put(appPath(application, `/modules/${await moduleId(api, application, moduleRef!)}`), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  mod
    .command('deactivate <app> <module>')
    .description('deactivate a module')
    .action(
      apiAction(async (api, g, [ref, moduleRef]) => {
        const application = await appId(api, ref!);
        await api.post(appPath(application, `/modules/${await moduleId(api, application, moduleRef!)}/deactivate`));
        say(g, `Deactivated module ${moduleRef} of application ${ref}.`);
      }),
    );
}
