import { createInterface } from 'node:readline/promises';
import { loadConfig, ConfigError, type Config } from '../config/index.js';
import { AppError } from '../platform/errors.js';

/** Spec 30 §1 exit codes. */
export const EXIT = { ok: 0, runtime: 1, usage: 2, auth: 3, permission: 4, notFound: 5, conflict: 6 } as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.runtime, readonly body?: unknown) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  force?: boolean;
  server?: string;
  direct?: boolean;
  databaseUrl?: string;
  redisUrl?: string;
}

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

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof AppError) {
    switch (err.kind) {
      case 'unauthorized':
        return EXIT.auth;
      case 'forbidden':
        return EXIT.permission;
      case 'not_found':
        return EXIT.notFound;
      case 'conflict':
        return EXIT.conflict;
      case 'invalid':
      case 'unprocessable':
        return EXIT.usage;
      default:
        return EXIT.runtime;
    }
  }
  return EXIT.runtime;
}

/** Prints rows as an aligned table on stdout; never truncates values. */
export function printTable(rows: Array<Record<string, string>>, columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => r[c] ?? ''))}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Asks y/N on a terminal (spec 30 §1); `--force` skips it; without a terminal it refuses (exit 2). */
export async function confirm(g: GlobalOptions, question: string): Promise<void> {
  if (g.force) return;
  if (!process.stdin.isTTY) throw new CliError(`${question}\nRefusing without a terminal to confirm: pass --force.`, EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question}\nContinue? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Cancelled.', EXIT.usage);
  } finally {
    rl.close();
  }
}
