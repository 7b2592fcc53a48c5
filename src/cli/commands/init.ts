import type { Command } from 'commander';
import { AppError } from '../../platform/errors.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { cliConfig } from '../server-config.js';
import { printJson, printTable, printLine } from '../output.js';
import { withDirectServices } from '../database.js';
import { ask } from '../prompt.js';
import type { InitInput, InitResult } from '../../bootstrap/index.js';

interface InitOptions {
  email?: string;
  givenName?: string;
  familyName?: string;
  password?: string;
}

/** `porta init` (spec 30 §3): direct mode only. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('bootstrap the super-admin organization, admin application, CLI and console clients and first admin (direct mode)')
    .option('--email <email>', 'the first admin\'s e-mail (default: prompt, or PORTA_BOOTSTRAP_ADMIN_EMAIL)')
    .option('--given-name <name>', 'given name')
    .option('--family-name <name>', 'family name')
    .option('--password <password>', 'password, 8–128 characters (default: prompt twice, or PORTA_BOOTSTRAP_ADMIN_PASSWORD)')
    .action(async (opts: InitOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const config = cliConfig(g);
      const input = await collectInput(opts, config.bootstrapAdmin);
      const result = await withDirectServices(config, async (services) => {
        try {
          return await services.bootstrap.initialize(input);
        } catch (err) {
          if (err instanceof AppError && err.code === 'already_initialized') throw new CliError(err.message, EXIT.conflict, { error: err.code, message: err.message });
          throw err;
        }
      });
      if (g.json) return printJson(result);
      printResult(result, config.issuerBaseUrl);
    });
}

async function collectInput(opts: InitOptions, env: { email: string; password?: string }): Promise<InitInput> {
  const isTty = Boolean(process.stdin.isTTY);
  const envEmail = process.env.PORTA_BOOTSTRAP_ADMIN_EMAIL ? env.email : undefined;
  let email = opts.email ?? envEmail;
  let password = opts.password ?? env.password;
  if ((email === undefined || password === undefined) && !isTty) {
    throw new CliError('Pass --email and --password (or PORTA_BOOTSTRAP_ADMIN_EMAIL / _PASSWORD): there is no terminal to ask.', EXIT.usage);
  }
  email ??= (await ask('Admin e-mail: ')).trim();
  if (password === undefined) {
    password = await ask('Password (8-128 characters): ', { isHidden: true });
    const again = await ask('Repeat the password: ', { isHidden: true });
    if (again !== password) throw new CliError('The passwords differ.', EXIT.usage);
  }
  return { email, password, givenName: opts.givenName, familyName: opts.familyName };
}

function printResult(result: InitResult, issuerBaseUrl: string): void {
  printLine('Porta is initialised.\n');
  printTable(
    [
      { item: 'organization', value: `${result.organization.slug} (${result.organization.id})` },
      { item: 'admin application', value: `${result.application.slug} (${result.application.id})` },
      { item: 'CLI client id', value: result.clientId },
      { item: 'admin user', value: `${result.user.email} (${result.user.id})` },
      { item: 'roles', value: result.roles.join(', ') },
    ],
    ['item', 'value'],
  );
  printLine(`\nNext: start the server, then sign in to the admin console at ${issuerBaseUrl}/admin or run \`porta login\`.`);
}
