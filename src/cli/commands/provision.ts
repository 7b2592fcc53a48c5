import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { isAppError } from '../../platform/errors.js';
import {
  PROVISION_MODES,
  manifestOfFile,
  parseProvisioningText,
  validateProvisioningFile,
  type ConvertedFile,
  type ProvisioningFormat,
  type ProvisioningProblem,
} from '../../provisioning/index.js';
import { IMPORT_TIMEOUT_MS } from '../api/client.js';
import { withApi } from '../api/session.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { dataOf, printError, printJson } from '../output.js';
import { printProvisioned, provisionedJson, type ImportReply } from './provision-report.js';

interface ProvisionOptions {
  file: string;
  mode: string;
  dryRun?: boolean;
}

/**
 * `porta provision` (spec 30 §7): the nested YAML/JSON file becomes an import manifest, run by
 * `POST /api/admin/import` in either mode; the file is checked here first, so a bad one sends nothing.
 */
export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('create or update organizations, applications, clients and users from a YAML or JSON file')
    .requiredOption('-f, --file <file>', 'the file: .yaml, .yml or .json; "-" reads standard input')
    .option('--mode <mode>', 'merge: keep existing objects, create missing ones; overwrite: also update existing ones to the file', 'merge')
    .option('--dry-run', 'report what the run would change, change nothing')
    .action(async (opts: ProvisionOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (!(PROVISION_MODES as readonly string[]).includes(opts.mode)) throw new CliError(`--mode must be merge or overwrite, not "${opts.mode}"`, EXIT.usage);
      const text = await readInput(opts.file);
      const converted = explained(g, () => {
        const file = validateProvisioningFile(parseProvisioningText(text, formatOf(opts.file)), { now: new Date() });
        return manifestOfFile(file, Date.now());
      });
      const manifest = { mode: opts.mode, dryRun: opts.dryRun === true, manifest: converted.manifest };
      const body = await withApi(g, (api) => api.post('/import', manifest, { timeoutMs: IMPORT_TIMEOUT_MS })).catch((err: unknown) => {
        throw inFileTerms(g, err, converted);
      });
      const reply = dataOf<ImportReply>(body);
      const mode = opts.mode as 'merge' | 'overwrite';
      if (g.json) return printJson(provisionedJson(reply, converted, mode));
      printProvisioned(reply, converted, mode);
    });
}

async function readInput(file: string): Promise<string> {
  try {
    if (file !== '-') return await fs.readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`, EXIT.usage);
  }
}

function formatOf(file: string): ProvisioningFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return undefined;
}

/** An unreadable or invalid file: every problem with its path in the file, exit 2, nothing sent. */
function explained<T>(g: GlobalOptions, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isAppError(err) || !['unreadable_provisioning_file', 'invalid_provisioning_file'].includes(err.code)) throw err;
    const problems = Array.isArray(err.details) ? (err.details as ProvisioningProblem[]) : [];
    throw explain(g, { error: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) }, problems, EXIT.usage);
  }
}

/**
 * A refused import (`import_failed`, exit 1) or manifest (`validation_failed`, exit 2), with the manifest's
 * places (`clients[1]`, `manifest.clients[1].x`) given as the file's (`organizations[0].applications[0].clients[1]`).
 */
function inFileTerms(g: GlobalOptions, err: unknown, converted: ConvertedFile): unknown {
  const body = err instanceof CliError ? (err.body as { error?: string; message?: string; details?: unknown } | undefined) : undefined;
  if (!body || (body.error !== 'import_failed' && body.error !== 'validation_failed')) return err;
  const inFile = (at: string) => at.replace(/^(?:manifest\.)?([a-z_]+\[\d+\])/, (whole: string, entry: string) => converted.filePaths.get(entry) ?? whole);
  const given = (Array.isArray(body.details) ? body.details : []) as Array<Record<string, string>>;
  const details: Array<Record<string, string>> = given.map((d) => (d.path !== undefined ? { ...d, path: inFile(d.path) } : { path: placeOf(converted, d.type ?? '', d.slug ?? ''), ...d }));
  const problems = details.map((d) => ({ path: d.path ?? '', message: d.message ?? d.error ?? '' }));
  const exitCode = body.error === 'import_failed' ? EXIT.runtime : EXIT.usage;
  return explain(g, { ...body, message: inFile(body.message ?? 'The import failed.'), details }, problems, exitCode);
}

/** The file's place of a manifest entry named by type and key, for an error entry `{type, slug, error}`. */
function placeOf(converted: ConvertedFile, type: string, key: string): string {
  const lists: Record<string, string> = { organization: 'organizations', application: 'applications', module: 'application_modules', client: 'clients', user: 'users' };
  const list = lists[type];
  const entries = list ? (converted.manifest[list as 'organizations'] as Array<Record<string, unknown>>) : [];
  const i = entries.findIndex((e) => [e.slug, e.client_id, e.client_name, e.email].includes(key));
  return i >= 0 ? (converted.filePaths.get(`${list}[${i}]`) ?? `${list}[${i}]`) : `${type} ${key}`;
}

/** `--json`: the error body on stderr; otherwise the message and one line per problem. Either way `exitCode`. */
function explain(g: GlobalOptions, body: { error?: string; message?: string; details?: unknown }, problems: ProvisioningProblem[], exitCode: number): CliError {
  const message = body.message ?? 'The provisioning failed.';
  if (g.json) return new CliError(message, exitCode, body);
  const lines = [message, ...problems.map((p) => `  ${p.path}: ${p.message}`)];
  printError(g, new CliError(lines.join('\n'), exitCode));
  return new CliError(message, exitCode, null);
}
