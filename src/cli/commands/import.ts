import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { readTextFile } from '../args.js';
import { SHOWN_ONCE, dataOf, emit, printRows, printLine } from '../output.js';
import { apiAction } from '../api/session.js';
import { IMPORT_TIMEOUT_MS } from '../api/client.js';

interface Entry {
  type: string;
  slug: string;
  name?: string;
  changes?: string[];
  reason?: string;
}

interface Credential {
  organizationSlug: string;
  applicationSlug: string;
  clientName: string;
  clientId: string | null;
  secretPlaintext?: string;
}

export interface ImportResult {
  mode: string;
  created: Entry[];
  updated: Entry[];
  skipped: Entry[];
  errors: Entry[];
  credentials: Credential[];
}

function parseManifest(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

function printResult(r: ImportResult): void {
  const isDryRun = r.mode === 'dry-run';
  printLine(
    isDryRun
      ? `Dry run: would create ${r.created.length}, update ${r.updated.length}, skip ${r.skipped.length}. Nothing was changed.\n`
      : `Imported (${r.mode}): ${r.created.length} created, ${r.updated.length} updated, ${r.skipped.length} skipped.\n`,
  );
  const rows = [
    ...r.created.map((e) => ({ action: isDryRun ? 'create' : 'created', ...e })),
    ...r.updated.map((e) => ({ action: isDryRun ? 'update' : 'updated', ...e })),
    ...r.skipped.map((e) => ({ action: 'skipped', ...e })),
  ];
  printRows(rows, ['action', 'type', 'slug', 'name', { header: 'detail', value: (e) => e.changes ?? e.reason }]);
  if (r.credentials.length === 0) return;
  printLine('\nClients:');
  printRows(r.credentials, ['organizationSlug', 'applicationSlug', 'clientName', { header: 'client_id', value: (c) => c.clientId ?? '(generated on import)' }, { header: 'secret', value: (c) => c.secretPlaintext }]);
  if (r.credentials.some((c) => c.secretPlaintext)) printLine(`\n${SHOWN_ONCE}`);
}

/** `porta import -f manifest.json` (spec 30 §6): `POST /api/admin/import`, all or nothing. */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('apply an import manifest (40-data-model §7) in one transaction')
    .requiredOption('-f, --file <file>', 'the manifest (JSON); "-" reads standard input')
    .option('--mode <mode>', 'merge: keep existing objects; overwrite: update them to the manifest', 'merge')
    .option('--dry-run', 'report what the run would change, change nothing')
    .action(
      apiAction<{ file: string; mode: string; dryRun?: boolean }>(async (api, g, _args, o) => {
        if (o.mode !== 'merge' && o.mode !== 'overwrite') throw new CliError('--mode is merge or overwrite.', EXIT.usage);
        const manifest = parseManifest(readTextFile(o.file), o.file);
        const body = await api.post('/import', { mode: o.mode, dryRun: o.dryRun === true, manifest }, { timeoutMs: IMPORT_TIMEOUT_MS });
        emit(g, body, () => printResult(dataOf<ImportResult>(body)));
      }),
    );
}
