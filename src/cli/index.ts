import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { registerMigrate } from './commands/migrate.js';
import { registerHealth } from './commands/health.js';
import { registerKeys } from './commands/keys.js';
import { registerProvision } from './commands/provision.js';
import { registerSeed } from './commands/seed.js';
import { registerClientSecrets } from './commands/client-secrets.js';
import { registerInit } from './commands/init.js';
import { registerAuth } from './commands/auth.js';
import { registerOrg } from './commands/org.js';
import { registerApp } from './commands/app.js';
import { registerClient } from './commands/client.js';
import { registerUser } from './commands/user.js';
import { registerConfig } from './commands/config.js';
import { registerAudit } from './commands/audit.js';
import { registerStats } from './commands/stats.js';
import { registerBulk } from './commands/bulk.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerCompletion } from './commands/completion.js';
import { registerSessions } from './commands/sessions.js';
import { CliError, EXIT, exitCodeOf } from './context.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('porta')
    .description('Porta — multi-tenant OpenID Connect identity provider')
    .version(pkg.version, '-V, --version', 'print the CLI version')
    .option('--json', 'machine-readable JSON output')
    .option('--verbose', 'debug output and stack traces')
    .option('--force', 'skip confirmations')
    .option('--server <url>', 'Porta server URL (HTTP mode; default PORTA_SERVER or http://localhost:3000)')
    .option('--insecure', 'HTTP mode: accept self-signed TLS certificates')
    .option('--direct', 'use the database directly instead of the Admin API')
    .option('--database-url <url>', 'direct mode: PostgreSQL URL (overrides DATABASE_URL)')
    .option('--redis-url <url>', 'direct mode: Redis URL (overrides REDIS_URL)')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  registerAuth(program);
  registerInit(program);
  registerMigrate(program);
  registerHealth(program);
  registerKeys(program);
  registerOrg(program);
  registerApp(program);
  registerClient(program);
  registerClientSecrets(program);
  registerUser(program);
  registerConfig(program);
  registerAudit(program);
  registerSessions(program);
  registerStats(program);
  registerBulk(program);
  registerExport(program);
  registerImport(program);
  registerProvision(program);
  registerCompletion(program);
  registerSeed(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const isJson = program.opts<{ json?: boolean; verbose?: boolean }>().json;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof CliError && err.body === null) return err.exitCode;
    if (isJson) {
      const body = err instanceof CliError && err.body ? err.body : { error: (err as { code?: string }).code ?? 'cli_error', message };
      process.stderr.write(`${JSON.stringify(body)}\n`);
    } else {
      process.stderr.write(`porta: ${message}\n`);
    }
    if (program.opts<{ verbose?: boolean }>().verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}

process.exitCode = await run(process.argv);
