import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError, EXIT, type GlobalOptions } from './context.js';

/** `a, b,c` → `['a', 'b', 'c']`. */
export function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** Commander parser for repeatable options: `--role a --role b` (and comma lists). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...list(value)];
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

/** `true`/`false`/`yes`/`no`/`on`/`off` for options that take an explicit boolean. */
export function bool(value: string): boolean {
  if (/^(true|yes|on|1)$/i.test(value)) return true;
  if (/^(false|no|off|0)$/i.test(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

/**
 * `--expires-in 24h|90d|6m|1y` (m = months) or `--expires-at ISO` → an ISO expiry; neither → undefined.
 */
export async function expiryOf(options: { expiresAt?: string; expiresIn?: string }, now: number): Promise<string | undefined> {
  if (options.expiresAt !== undefined && options.expiresIn !== undefined) throw new CliError('Give --expires-at or --expires-in, not both.', EXIT.usage);
  if (options.expiresAt !== undefined) {
    if (Number.isNaN(Date.parse(options.expiresAt))) throw new CliError(`--expires-at must be an ISO-8601 date-time, not "${options.expiresAt}"`, EXIT.usage);
    return new Date(options.expiresAt).toISOString();
  }
  if (options.expiresIn === undefined) return undefined;
  // The provisioning domain owns the duration format; loaded only when a duration is given.
  const { durationSeconds } = await import('../provisioning/index.js');
  const seconds = durationSeconds(options.expiresIn);
  if (!(seconds > 0)) throw new CliError(`--expires-in must be a duration such as 24h, 90d, 6m or 1y, not "${options.expiresIn}"`, EXIT.usage);
  return new Date(now + seconds * 1000).toISOString();
}

/** A claim value from the command line, read per the claim's type (spec 20 §5.4: null is never a value). */
export function claimValue(type: string, raw: string): unknown {
  switch (type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`This claim takes a number, not "${raw}".`, EXIT.usage);
      return n;
    }
    case 'boolean':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new CliError(`This claim takes true or false, not "${raw}".`, EXIT.usage);
    case 'json':
      try {
        const value: unknown = JSON.parse(raw);
        if (value === null) throw new Error('null');
        return value;
      } catch {
        throw new CliError(`This claim takes JSON (an object, array, string, number or boolean), not ${raw}.`, EXIT.usage);
      }
    default:
      return raw;
  }
}

/** Keeps only the keys whose value was given, so an update sends just what changed. */
export function defined<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An update with nothing to change is a usage error, not an empty request. */
export function requireSome(input: Record<string, unknown>, flags: string): void {
  if (Object.keys(input).length === 0) throw new CliError(`Nothing to change: pass at least one of ${flags}.`, EXIT.usage);
}

export function readTextFile(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The command's options merged with the program's global ones. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}
