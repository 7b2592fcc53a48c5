import type { Command } from 'commander';
import { dataOf, emit, printRecord } from '../output.js';
import { orgId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';

/** `porta stats show [--org-id]` (spec 30 §6). */
export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('counts and login activity')
    .command('show')
    .description('the overview, or one organization with --org-id')
    .option('--org, --org-id <org>', 'organization id or slug')
    .action(
      apiAction<{ orgId?: string }>(async (api, g, _args, o) => {
        const body = o.orgId === undefined ? await api.get('/stats/overview') : await api.get(`/stats/organization/${await orgId(api, o.orgId)}`);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );
}
