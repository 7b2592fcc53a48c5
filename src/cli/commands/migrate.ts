import type { Command } from 'commander';
import { cliConfig } from '../server-config.js';
import { printJson, printTable, printLine } from '../output.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectDb } from '../database.js';

export function registerMigrate(program: Command): void {
  const migrate = program.command('migrate').description('apply, roll back or list database migrations (direct mode)');

  migrate
    .command('up')
    .description('apply every pending migration, each in its own transaction')
    .action(async (_opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const applied = await withDirectDb(cliConfig(g), (_db, m) => m.up());
      if (g.json) return printJson({ applied });
      printLine(applied.length === 0 ? 'No pending migrations.' : `Applied ${applied.length}: ${applied.join(', ')}`);
    });

  migrate
    .command('down')
    .description('roll back the newest applied migrations')
    .option('--count <n>', 'how many to roll back', '1')
    .action(async (opts: { count: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1) throw new CliError('--count must be a positive whole number', EXIT.usage);
      const rolledBack = await withDirectDb(cliConfig(g), (_db, m) => m.down(count));
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
