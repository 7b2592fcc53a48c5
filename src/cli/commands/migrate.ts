import type { Command } from 'commander';
import { cliConfig } from '../server-config.js';
import { printJson, printTable, printLine } from '../output.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectDb } from '../database.js';
import { confirmIrreversible } from '../prompt.js';
import { createMigrator, type GrantResult } from '../../platform/db/index.js';
import type { Config } from '../../config/index.js';

/** `--app-role`, else PORTA_APP_ROLE; none on the embedded database, which has one role. */
export function appRoleOf(config: Readonly<Config>, option: string | undefined): string | undefined {
  return option ?? (config.database.kind === 'postgres' ? config.database.appRole : undefined);
}

export function printGrant(grant: GrantResult): void {
  printLine(
    grant.granted.length === 0
      ? `${grant.role} already holds every privilege it needs.`
      : `Granted ${grant.role}: ${grant.granted.join('; ')}`,
  );
}

export function registerMigrate(program: Command): void {
  const migrate = program.command('migrate').description('apply, roll back or list database migrations (direct mode)');

  migrate
    .command('up')
    .description('apply every pending migration, each in its own transaction; then grant the application role its privileges')
    .option('--app-role <role>', 'the role the server connects as (default PORTA_APP_ROLE): SELECT/INSERT/UPDATE/DELETE on every table, USAGE/SELECT on every sequence, now and for tables made later')
    .action(async (opts: { appRole?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const config = cliConfig(g);
      const role = appRoleOf(config, opts.appRole);
      const { applied, grant } = await withDirectDb(config, async (db) => {
        const migrator = createMigrator(db);
        const ran = await migrator.up();
        return { applied: ran, grant: role ? await migrator.grantAppRole(role) : undefined };
      });
      if (g.json) return printJson(grant ? { applied, grant } : { applied });
      printLine(applied.length === 0 ? 'No pending migrations.' : `Applied ${applied.length}: ${applied.join(', ')}`);
      if (grant) printGrant(grant);
    });

  migrate
    .command('down')
    .description('roll back the newest applied migrations')
    .option('--count <n>', 'how many to roll back', '1')
    .action(async (opts: { count: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1) throw new CliError('--count must be a positive whole number', EXIT.usage);
      const config = cliConfig(g);
      // Rolling back drops tables and their data: a terminal's yes, or --force.
      const names = await withDirectDb(config, async (_db, m) => (await m.status()).applied.slice(-count).map((a) => a.name).reverse());
      if (names.length > 0) await confirmIrreversible(g, `Roll back ${names.join(', ')}? What those migrations created is dropped, data included.`);
      const rolledBack = await withDirectDb(config, (_db, m) => m.down(count));
      if (g.json) return printJson({ rolledBack });
      printLine(rolledBack.length === 0 ? 'Nothing to roll back.' : `Rolled back ${rolledBack.length}: ${rolledBack.join(', ')}`);
    });

  migrate
    .command('status')
    .description('list applied and pending migrations')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const status = await withDirectDb(cliConfig(g), (_db, m) => m.status());
      if (g.json) return printJson(status);
      printTable(
        [
          ...status.applied.map((m) => ({ name: m.name, status: status.unknown.includes(m.name) ? 'applied (no file)' : 'applied', run_on: m.runOn.toISOString() })),
          ...status.pending.map((name) => ({ name, status: 'pending', run_on: '' })),
        ],
        ['name', 'status', 'run_on'],
      );
    });
}
