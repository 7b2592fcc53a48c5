import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { apiError, seg } from '../api/client.js';
import { appId, orgId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { printNote } from '../output.js';

interface ExportOptions {
  entityType: string;
  format: string;
  orgId?: string;
  appId?: string;
  startDate?: string;
  endDate?: string;
  output?: string;
}

/** `porta export download` (alias `exports`, spec 30 §6): the server's CSV or JSON export, streamed. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .alias('exports')
    .description('download exports')
    .command('download')
    .description('organizations, applications, users, clients, roles, permissions or audit as CSV or JSON')
    .requiredOption('--entity-type <type>', 'organizations, applications, users, clients, roles, permissions or audit')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--org, --org-id <org>', 'organization (users, clients, audit)')
    .option('--app, --app-id <app>', 'application (roles, permissions)')
    .option('--start-date <date>', 'audit: from this date')
    .option('--end-date <date>', 'audit: up to this date')
    .option('-o, --output <file>', 'write to this file (default: standard output)')
    .action(
      apiAction<ExportOptions>(async (api, _g, _args, o) => {
        if (o.format !== 'csv' && o.format !== 'json') throw new CliError('--format is csv or json.', EXIT.usage);
        const res = await api.raw('GET', `/export/${seg(o.entityType)}`, {
          query: {
            format: o.format,
            organizationId: o.orgId === undefined ? undefined : await orgId(api, o.orgId),
            applicationId: o.appId === undefined ? undefined : await appId(api, o.appId),
            startDate: o.startDate,
            endDate: o.endDate,
          },
        });
        if (!res.ok) {
          const text = await res.text();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          throw apiError(res.status, body);
        }
        const source = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
        if (!o.output || o.output === '-') {
          await pipeline(source, process.stdout, { end: false });
          return;
        }
        await pipeline(source, fs.createWriteStream(o.output, { mode: 0o600 }));
        const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
        printNote(`Wrote ${fs.statSync(o.output).size} bytes to ${o.output}${name ? ` (${name})` : ''}.`);
      }),
    );
}
