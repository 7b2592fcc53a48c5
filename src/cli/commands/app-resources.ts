import type { Command } from 'commander';
import { defined, positiveInt, requireSome } from '../args.js';
import { dataOf, emit, printRecord, printRows, say } from '../output.js';
import { appId, resourceId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { appPath } from './app.js';

const RESOURCE_COLUMNS = ['id', 'indicator', 'name', 'scopes', 'accessTokenFormat', 'accessTokenTtl'];

interface ResourceFlags {
  indicator?: string;
  name?: string;
  scopes?: string;
  format?: string;
  ttl?: number;
  defaultTtl?: boolean;
}

const scopeList = (v: string | undefined) => (v === undefined ? undefined : v.split(/[\s,]+/).filter(Boolean));

function resourceFields(o: ResourceFlags) {
  return defined({
    name: o.name,
    scopes: scopeList(o.scopes),
    accessTokenFormat: o.format,
    accessTokenTtl: o.defaultTtl ? null : o.ttl,
  });
}

/**
 * `porta app resource …`: API resources of an application (spec 70 §5, RFC 8707). <resource> is an
 * id or the resource indicator.
 */
export function registerAppResources(app: Command): void {
  const resource = app.command('resource').description('API resources of an application (RFC 8707); <resource> is an id or the indicator');

  const withFields = (cmd: Command) =>
    cmd
      .option('--scopes <list>', 'the API\'s scopes, space or comma separated, e.g. "invoices:read invoices:write"')
      .option('--format <format>', 'access-token format: jwt (RFC 9068, default) or opaque')
      .option('--ttl <seconds>', 'access-token lifetime, 60-86400 (default: the system access_token_ttl)', positiveInt);

  withFields(
    resource
      .command('create <app>')
      .description('declare an API resource')
      .requiredOption('--indicator <uri>', 'resource indicator: an https or urn: URI without a fragment, e.g. https://api.example.com')
      .requiredOption('--name <name>', 'display name'),
  ).action(
    apiAction<ResourceFlags>(async (api, g, [ref], o) => {
      const body = await api.post(appPath(await appId(api, ref!), '/resources'), { indicator: o.indicator, ...resourceFields(o) });
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  resource
    .command('list <app>')
    .description('API resources of the application')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(appPath(await appId(api, ref!), '/resources'));
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), RESOURCE_COLUMNS));
      }),
    );

  resource
    .command('show <app> <resource>')
    .description('one API resource')
    .action(
      apiAction(async (api, g, [ref, resourceRef]) => {
        const application = await appId(api, ref!);
        const body = await api.get(appPath(application, `/resources/${await resourceId(api, application, resourceRef!)}`));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  withFields(
    resource
      .command('update <app> <resource>')
      .description('change the name, scopes, format or lifetime (the indicator is fixed)')
      .option('--name <name>', 'display name')
      .option('--default-ttl', 'use the system access_token_ttl again'),
  ).action(
    apiAction<ResourceFlags>(async (api, g, [ref, resourceRef], o) => {
      const input = resourceFields(o);
      requireSome(input, '--name, --scopes, --format, --ttl, --default-ttl');
      const application = await appId(api, ref!);
      const body = await api.put(appPath(application, `/resources/${await resourceId(api, application, resourceRef!)}`), input);
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  resource
    .command('delete <app> <resource>')
    .description('delete an API resource; tokens already issued for it run out by themselves')
    .action(
      apiAction(async (api, g, [ref, resourceRef]) => {
        const application = await appId(api, ref!);
        await api.delete(appPath(application, `/resources/${await resourceId(api, application, resourceRef!)}`));
        say(g, `Deleted API resource ${resourceRef} of application ${ref}.`);
      }),
    );
}
