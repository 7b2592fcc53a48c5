import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { seg } from '../api/client.js';
import { dataOf, emit, printRecord, printRows } from '../output.js';
import { apiAction } from '../api/session.js';

function keyOf(positional: string | undefined, flag: string | undefined): string {
  if (positional !== undefined && flag !== undefined && positional !== flag) throw new CliError('Give the key once: as an argument or with --key.', EXIT.usage);
  const key = positional ?? flag;
  if (!key) throw new CliError('Name the setting: porta config get <key> (see porta config list).', EXIT.usage);
  return key;
}

/** `porta config list|get|set` (spec 30 §6): system settings, validated by the server per type. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('system settings (TTLs, rate limits, retention…)');

  config
    .command('list')
    .description('every setting; sensitive values show as ***')
    .action(
      apiAction(async (api, g) => {
        const body = await api.get('/config');
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), ['key', 'value', 'valueType', 'description', 'updatedAt']));
      }),
    );

  config
    .command('get [key]')
    .description('one setting')
    .option('--key <key>', 'the setting (instead of the argument)')
    .action(
      apiAction<{ key?: string }>(async (api, g, [positional], o) => {
        const body = await api.get(`/config/${seg(keyOf(positional, o.key))}`);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  config
    .command('set [key] [value]')
    .description('change a setting; the server checks the type and bounds (effective within 60 s)')
    .option('--key <key>', 'the setting')
    .option('--value <value>', 'the new value, as text: 3600, true, {"a":1}')
    .action(
      apiAction<{ key?: string; value?: string }>(async (api, g, [positionalKey, positionalValue], o) => {
        const key = keyOf(positionalKey, o.key);
        const value = positionalValue ?? o.value;
        if (value === undefined) throw new CliError('Give the new value: porta config set <key> <value>, or --value.', EXIT.usage);
        const body = await api.put(`/config/${seg(key)}`, { value });
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );
}
