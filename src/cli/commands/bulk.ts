import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { confirm } from '../prompt.js';
import { list } from '../args.js';
import { dataOf, emit, printRows, printLine } from '../output.js';
import { orgId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';

interface BulkResult {
  total: number;
  succeeded: number;
  failed: number;
  results: Array<{ id: string; success: boolean; error?: string; previousStatus?: string; newStatus?: string }>;
}

const ACTIONS: Record<string, readonly string[]> = {
  organizations: ['activate', 'suspend', 'archive'],
  users: ['activate', 'deactivate', 'suspend', 'lock', 'unlock'],
};
const HARMLESS = new Set(['activate', 'unlock']);

/** `porta bulk execute` (spec 30 §6): one status change for up to 100 organizations or users. */
export function registerBulk(program: Command): void {
  program
    .command('bulk')
    .description('status changes for many organizations or users at once')
    .command('execute')
    .description('run one action on up to 100 ids; each item succeeds or fails on its own (asks first unless activating/unlocking)')
    .requiredOption('--entity-type <type>', 'organizations or users')
    .requiredOption('--action <action>', 'organizations: activate, suspend, archive; users: activate, deactivate, suspend, lock, unlock')
    .requiredOption('--ids <ids>', 'comma list of ids (at most 100)')
    .option('--reason <text>', 'kept in the audit log')
    .option('--org-id, --organization-id <org>', 'users: their organization (id or slug)')
    .action(
      apiAction<{ entityType: string; action: string; ids: string; reason?: string; organizationId?: string }>(async (api, g, _args, o) => {
        const actions = ACTIONS[o.entityType];
        if (!actions) throw new CliError('--entity-type is organizations or users.', EXIT.usage);
        if (!actions.includes(o.action)) throw new CliError(`--action for ${o.entityType} is one of ${actions.join(', ')}.`, EXIT.usage);
        const ids = list(o.ids);
        if (ids.length === 0 || ids.length > 100) throw new CliError('--ids takes 1 to 100 ids.', EXIT.usage);
        if (o.entityType === 'users' && !o.organizationId) throw new CliError('Bulk user changes need --org-id.', EXIT.usage);
        if (!HARMLESS.has(o.action)) await confirm(g, `${o.action} ${ids.length} ${o.entityType}?`);
        const body = await api.post(`/bulk/${o.entityType}/status`, {
          ids,
          action: o.action,
          ...(o.reason ? { reason: o.reason } : {}),
          ...(o.organizationId ? { organizationId: await orgId(api, o.organizationId) } : {}),
        });
        const result = dataOf<BulkResult>(body);
        emit(g, body, () => {
          printRows(result.results, ['id', 'success', 'previousStatus', 'newStatus', 'error']);
          printLine(`${result.succeeded} of ${result.total} succeeded, ${result.failed} failed.`);
        });
        if (result.failed > 0) throw new CliError(`${result.failed} of ${result.total} failed`, EXIT.runtime, null);
      }),
    );
}
