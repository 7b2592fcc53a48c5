import type { Command } from 'commander';
import { cliConfig } from '../server-config.js';
import { printJson, printLine } from '../output.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectDb } from '../database.js';
import { describeMissing } from '../../platform/db/index.js';
import { appRoleOf, printGrant } from './migrate.js';

/** `porta db grant|check`: the application role's privileges, apart from migrating (after a restore). */
export function registerDb(program: Command): void {
  const db = program.command('db').description('database roles and privileges (direct mode)');

  db.command('grant')
    .description('grant the application role SELECT/INSERT/UPDATE/DELETE on every table and USAGE/SELECT on every sequence, now and for tables this role makes later; run it as the tables\' owner (the migration role)')
    .option('--app-role <role>', 'the role the server connects as (default PORTA_APP_ROLE)')
    .action(async (opts: { appRole?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const config = cliConfig(g);
      const role = appRoleOf(config, opts.appRole);
      if (!role) throw new CliError('name the application role: --app-role <role> or PORTA_APP_ROLE', EXIT.usage);
      const grant = await withDirectDb(config, (_db, migrator) => migrator.grantAppRole(role));
      if (g.json) return printJson(grant);
      printGrant(grant);
    });

  db.command('check')
    .description('list the privileges the connected role lacks on Porta\'s schema, tables and sequences (exit 1 when any)')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const missing = describeMissing(await withDirectDb(cliConfig(g), (_db, migrator) => migrator.missingPrivileges()));
      if (g.json) printJson({ missingPrivileges: missing });
      else printLine(missing.length === 0 ? 'The connected role holds every privilege Porta needs.' : `Missing: ${missing.join('; ')}`);
      if (missing.length > 0) throw new CliError('', EXIT.runtime, null);
    });
}
