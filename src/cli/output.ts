import { CliError, exitCodeOf, type GlobalOptions } from './context.js';

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

/** Text exactly as given on stdout (scripts, documents). */
export function printText(text: string): void {
  process.stdout.write(text);
}

/** One line for people on stdout. */
export function printLine(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** A notice beside the output (paging, cursors, warnings) on stderr, so stdout stays the answer. */
export function printNote(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** A value as one table cell or record line: never truncated, arrays comma-joined, objects as JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `createdAt` → `created_at` (table headers read like the existing CLI tables). */
export function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export type Column<T> = string | { header: string; value: (item: T) => unknown };

/** Table rows from objects; a column is a property name or a header with a function. */
export function tableOf<T>(items: readonly T[], columns: ReadonlyArray<Column<T>>): { rows: Array<Record<string, string>>; headers: string[] } {
  const headers = columns.map((c) => (typeof c === 'string' ? snake(c) : c.header));
  const rows = items.map((item) => {
    const row: Record<string, string> = {};
    columns.forEach((c, i) => {
      row[headers[i]!] = cell(typeof c === 'string' ? (item as Record<string, unknown>)[c] : c.value(item));
    });
    return row;
  });
  return { rows, headers };
}

export function printRows<T>(items: readonly T[], columns: ReadonlyArray<Column<T>>): void {
  const { rows, headers } = tableOf(items, columns);
  printTable(rows, headers);
}

/** Aligned `field  value` lines for one object; nested objects are flattened (`branding.logoUrl`). */
export function recordLines(record: Record<string, unknown>, fields?: readonly string[]): string[] {
  const entries: Array<[string, unknown]> = [];
  const add = (key: string, value: unknown) => {
    const isNested = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
    if (!isNested) return entries.push([key, value]);
    for (const [sub, v] of Object.entries(value as Record<string, unknown>)) add(`${key}.${sub}`, v);
  };
  for (const key of fields ?? Object.keys(record)) add(key, record[key]);
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`.trimEnd());
}

export function printRecord(record: Record<string, unknown>, fields?: readonly string[]): void {
  process.stdout.write(`${recordLines(record, fields).join('\n')}\n`);
}

export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

/** A list table; the paging line goes to stderr so stdout stays one line per row when piped. */
export function printPage<T>(body: Page<T>, columns: ReadonlyArray<Column<T>>): void {
  printRows(body.data, columns);
  printNote(`${body.total} total · page ${body.page} of ${Math.max(1, body.totalPages)}`);
}

/** `--json` prints the API body unchanged; otherwise the human form. */
export function emit(g: GlobalOptions, body: unknown, human: () => void): void {
  if (g.json) printJson(body);
  else human();
}

/** For 204 answers: `--json` prints nothing (there is no body), humans get a sentence. */
export function say(g: GlobalOptions, message: string): void {
  if (!g.json) printLine(message);
}

export function dataOf<T>(body: unknown): T {
  return (body as { data: T }).data;
}

export const SHOWN_ONCE = 'This secret is shown once — store it now. Porta keeps only its hash.';

export interface HistoryPage {
  data: Array<{ id: string; eventType: string; actorId: string | null; metadata: unknown; createdAt: string }>;
  hasMore: boolean;
  nextCursor: string | null;
}

/** A `…/history` answer (newest first); the cursor for the next page goes to stderr. */
export function printHistory(body: HistoryPage): void {
  printRows(body.data, ['createdAt', 'eventType', { header: 'actor_id', value: (e) => e.actorId ?? '(system or direct)' }, 'metadata']);
  if (body.hasMore && body.nextCursor) printNote(`More entries: add --after ${body.nextCursor}`);
}

/**
 * A failed command on stderr; returns its exit code. `--json` prints the error body (the Admin API's,
 * or one in its shape); people get `porta: <message>`. A CliError with a null body was already explained.
 */
export function printError(g: GlobalOptions, err: unknown): number {
  if (err instanceof CliError && err.body === null) return err.exitCode;
  const message = err instanceof Error ? err.message : String(err);
  if (g.json) {
    const body = err instanceof CliError && err.body ? err.body : { error: (err as { code?: string }).code ?? 'cli_error', message };
    process.stderr.write(`${JSON.stringify(body)}\n`);
  } else {
    process.stderr.write(`porta: ${message}\n`);
  }
  if (g.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeOf(err);
}
