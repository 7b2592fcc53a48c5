import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { isAppError, type AppError } from '../../platform/errors.js';
import { createPasswordHasher } from '../../users/index.js';
import {
  PROVISION_MODES,
  createProvisioningService,
  parseProvisioningText,
  validateProvisioningFile,
  type ProvisioningFormat,
  type ProvisionMode,
  type ProvisionResult,
} from '../../provisioning/index.js';
import { systemClock } from '../../platform/clock.js';
import { cliConfig, printJson, printTable, CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectStores } from '../direct.js';

interface ProvisionOptions {
  file: string;
  mode: string;
  dryRun?: boolean;
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('create or update organizations, applications, clients and users from a YAML or JSON file (direct mode)')
    .requiredOption('-f, --file <file>', 'the file: .yaml, .yml or .json; "-" reads standard input')
    .option('--mode <mode>', 'merge: keep existing objects, create missing ones; overwrite: also update existing ones to the file', 'merge')
    .option('--dry-run', 'report what would change, change nothing')
    .action(async (opts: ProvisionOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (!(PROVISION_MODES as readonly string[]).includes(opts.mode)) throw new CliError(`--mode must be merge or overwrite, not "${opts.mode}"`, EXIT.usage);
      const mode = opts.mode as ProvisionMode;
      const text = await readInput(opts.file);
      const config = cliConfig(g);
      // Validation needs no database: a bad file fails before anything is opened.
      const file = explain(g, () => validateProvisioningFile(parseProvisioningText(text, formatOf(opts.file)), { now: new Date(systemClock.now()) }));
      const result = await withDirectStores(config, ({ db, kv, clock, log }) =>
        explainAsync(g, () => createProvisioningService({ db, kv, clock, log, passwords: createPasswordHasher() }).apply(file, { mode, isDryRun: opts.dryRun ?? false })),
      );
      if (g.json) return printJson(jsonBody(result));
      printHuman(result);
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

/** 30-cli §7 exits: 2 for an unreadable or invalid file, 1 when the import is rejected (rolled back). */
function exitFor(err: AppError): number {
  if (err.code === 'import_failed') return EXIT.runtime;
  return err.kind === 'invalid' ? EXIT.usage : EXIT.runtime;
}

/** Prints the problems (every one, with its path) and turns a domain error into the CLI's exit code. */
function report(g: GlobalOptions, err: unknown): never {
  if (!isAppError(err) || !['unreadable_provisioning_file', 'invalid_provisioning_file', 'import_failed'].includes(err.code)) throw err;
  const body = { error: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  if (g.json) throw new CliError(err.message, exitFor(err), body);
  const lines = [`porta: ${err.message}`];
  for (const d of (Array.isArray(err.details) ? err.details : []) as Array<{ path: string; message: string; error?: string }>) {
    lines.push(`  ${d.path}: ${d.message}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  throw new CliError(err.message, exitFor(err), null);
}

function explain<T>(g: GlobalOptions, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    report(g, err);
  }
}

async function explainAsync<T>(g: GlobalOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    report(g, err);
  }
}

function counts(result: ProvisionResult) {
  const c = { created: 0, updated: 0, skipped: 0 };
  for (const e of result.entries) c[e.action]++;
  return c;
}

/** 30-cli §7 shape, plus `mode` and `items` (every object with its id). */
function jsonBody(result: ProvisionResult) {
  return {
    dryRun: result.isDryRun,
    mode: result.mode,
    ...counts(result),
    clients: result.credentials.map((c) => ({
      organizationSlug: c.organizationSlug,
      applicationSlug: c.applicationSlug,
      clientName: c.clientName,
      clientId: c.clientId,
      ...(c.secretPlaintext === undefined ? {} : { clientSecret: c.secretPlaintext }),
    })),
    items: result.entries.map(({ action, type, key, name, id, path: at, organizationSlug, applicationSlug, changes, reason }) => ({
      action, type, key, name, id, path: at, organizationSlug, applicationSlug, changes, reason,
    })),
  };
}

const DRY_RUN_ACTIONS = { created: 'create', updated: 'update', skipped: 'keep' } as const;

function printHuman(result: ProvisionResult): void {
  const c = counts(result);
  const out = process.stdout;
  out.write(
    result.isDryRun
      ? `Dry run (${result.mode}): would create ${c.created}, update ${c.updated}, keep ${c.skipped}. Nothing was changed.\n\n`
      : `Provisioned (${result.mode}): ${c.created} created, ${c.updated} updated, ${c.skipped} unchanged.\n\n`,
  );
  printTable(
    result.entries.map((e) => ({
      action: result.isDryRun ? DRY_RUN_ACTIONS[e.action] : e.action,
      type: e.type,
      key: e.organizationSlug && e.type !== 'organization' ? `${e.organizationSlug}/${e.key}` : e.key,
      name: e.name,
      id: e.id ?? '(new)',
      changes: e.changes?.join(', ') ?? (e.reason === 'exists' ? 'exists, kept' : ''),
    })),
    ['action', 'type', 'key', 'name', 'id', 'changes'],
  );
  if (result.credentials.length === 0) return;
  out.write('\nClients:\n');
  printTable(
    result.credentials.map((cr) => ({
      organization: cr.organizationSlug,
      application: cr.applicationSlug,
      name: cr.clientName,
      client_id: cr.clientId ?? '(generated on apply)',
      secret: cr.secretPlaintext ?? '',
    })),
    ['organization', 'application', 'name', 'client_id', 'secret'],
  );
  if (result.credentials.some((cr) => cr.secretId !== undefined)) {
    out.write('\nSecrets stored by this run are shown once — store them now. Porta keeps only their hashes.\n');
  }
}
