import { loadConfig, ConfigError, type Config } from '../config/index.js';
import { CliError, EXIT, type GlobalOptions } from './context.js';

/** The server configuration as the CLI sees it, with --database-url / --redis-url applied. */
export function cliConfig(options: GlobalOptions): Readonly<Config> {
  const env = { ...process.env };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  // The CLI never writes logs to stdout; it prints its own output.
  env.LOG_LEVEL = options.verbose ? 'debug' : 'warn';
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}
