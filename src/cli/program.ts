import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT } from './context.js';
import { printError } from './output.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

type Register = (program: Command) => void;

/**
 * The top-level commands, in help order, each with the module that registers it. A run loads only
 * the module of the command it names (start-up time is most of a short command's time); help,
 * completion and unknown words load them all.
 */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register[]> }> = [
  { names: ['login', 'logout', 'whoami', 'version', 'doctor'], load: async () => [(await import('./commands/auth.js')).registerAuth] },
  { names: ['init'], load: async () => [(await import('./commands/init.js')).registerInit] },
  { names: ['migrate'], load: async () => [(await import('./commands/migrate.js')).registerMigrate] },
  { names: ['db'], load: async () => [(await import('./commands/db.js')).registerDb] },
  { names: ['health'], load: async () => [(await import('./commands/health.js')).registerHealth] },
  { names: ['keys'], load: async () => [(await import('./commands/keys.js')).registerKeys] },
  { names: ['org'], load: async () => [(await import('./commands/org.js')).registerOrg] },
  { names: ['app'], load: async () => [(await import('./commands/app.js')).registerApp] },
  {
    names: ['client'],
    load: async () => {
      const [client, secrets] = await Promise.all([import('./commands/client.js'), import('./commands/client-secrets.js')]);
      return [client.registerClient, secrets.registerClientSecrets];
    },
  },
  { names: ['user'], load: async () => [(await import('./commands/user.js')).registerUser] },
  { names: ['service-account'], load: async () => [(await import('./commands/service-account.js')).registerServiceAccount] },
  { names: ['config'], load: async () => [(await import('./commands/config.js')).registerConfig] },
  { names: ['audit'], load: async () => [(await import('./commands/audit.js')).registerAudit] },
  { names: ['sessions', 'session'], load: async () => [(await import('./commands/sessions.js')).registerSessions] },
  { names: ['stats'], load: async () => [(await import('./commands/stats.js')).registerStats] },
  { names: ['bulk'], load: async () => [(await import('./commands/bulk.js')).registerBulk] },
  { names: ['export', 'exports'], load: async () => [(await import('./commands/export.js')).registerExport] },
  { names: ['import'], load: async () => [(await import('./commands/import.js')).registerImport] },
  { names: ['provision'], load: async () => [(await import('./commands/provision.js')).registerProvision] },
  { names: ['completion'], load: async () => [(await import('./commands/completion.js')).registerCompletion] },
  { names: ['seed'], load: async () => [(await import('./commands/seed.js')).registerSeed] },
];

/** Global options that take a value: the word after them is not the command. */
const VALUE_OPTIONS = new Set(['--server', '--database-url', '--redis-url']);

/** The first word of `args` (after node and the script) that is not a global option or its value. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('porta')
    .description('Porta — multi-tenant OpenID Connect identity provider')
    .version(pkg.version, '-V, --version', 'print the CLI version')
    .option('--json', 'machine-readable JSON output')
    .option('--verbose', 'debug output and stack traces')
    .option('--force', 'skip confirmations')
    .option('--server <url>', 'Porta server URL (HTTP mode; default PORTA_SERVER or http://localhost:3000)')
    .option('--insecure', 'HTTP mode: accept self-signed TLS certificates')
    .option('--direct', 'serve the Admin API in-process on the database instead of calling a server')
    .option('--database-url <url>', 'direct mode: PostgreSQL URL (overrides DATABASE_URL)')
    .option('--redis-url <url>', 'direct mode: Redis URL (overrides REDIS_URL)')
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({ outputError: (str, write) => write(str) });
  const word = commandWord(argv.slice(2));
  // `completion` describes every command, so it needs them all.
  const named = word === 'completion' ? undefined : COMMANDS.find((c) => c.names.includes(word ?? ''));
  for (const entry of named ? [named] : COMMANDS) {
    for (const register of await entry.load()) register(program);
  }
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return printError(program.opts(), err);
  }
}

