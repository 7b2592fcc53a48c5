import type { Command } from 'commander';
import { positiveInt } from '../args.js';
import { dataOf, emit, printRows, printLine, printNote } from '../output.js';
import { orgId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';

interface AuditPage {
  data: Array<Record<string, unknown>>;
  total: number;
  nextCursor: string | null;
}

interface ListOptions {
  event?: string;
  category?: string;
  orgId?: string;
  userId?: string;
  actorId?: string;
  actorClient?: string;
  source?: string;
  targetType?: string;
  targetId?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

interface Cleanup {
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  entriesFound: number;
  deleted: number;
}

/** `porta audit list|cleanup` (spec 30 §6). */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log');

  audit
    .command('list')
    .description('audit entries, newest first')
    .option('--event <type>', 'an event type, or a prefix ending in "." (user.login.)')
    .option('--category <category>', 'admin, authentication, security, gdpr or system')
    .option('--org, --org-id <org>', 'organization id or slug')
    .option('--user-id <id>', 'user the entry is about')
    .option('--actor-id <id>', 'admin who acted')
    .option('--actor-client <id>', 'service account that acted (its id)')
    .option('--source <source>', 'the edge: api, cli-direct, bulk, import, seed, bootstrap, login, system')
    .option('--target-type <type>', 'e.g. organization, client, user')
    .option('--target-id <id>', 'the target\'s id')
    .option('--since <iso>', 'from this date-time')
    .option('--until <iso>', 'up to this date-time')
    .option('--limit <n>', 'entries (1-500, default 50)', positiveInt)
    .option('--cursor <cursor>', 'the next page: the cursor printed under the previous one')
    .action(
      apiAction<ListOptions>(async (api, g, _args, o) => {
        const body = await api.get<AuditPage>('/audit', {
          event: o.event,
          category: o.category,
          org: o.orgId === undefined ? undefined : await orgId(api, o.orgId),
          user: o.userId,
          actor: o.actorId,
          actorClient: o.actorClient,
          source: o.source,
          targetType: o.targetType,
          targetId: o.targetId,
          since: o.since,
          until: o.until,
          limit: o.limit,
          cursor: o.cursor,
        });
        emit(g, body, () => {
          printRows(body.data, ['createdAt', 'eventType', 'eventCategory', 'actorType', 'actorId', 'actorName', 'source', 'organizationId', 'userId', 'targetType', 'targetId']);
          printNote(`${body.total} matching${body.nextCursor ? ` · more: add --cursor ${body.nextCursor}` : ''}`);
        });
      }),
    );

  audit
    .command('cleanup')
    .description('delete entries older than the retention period')
    .option('--retention-days <n>', 'keep this many days (default: the audit_retention_days setting)', positiveInt)
    .option('--dry-run', 'count only, delete nothing')
    .action(
      apiAction<{ retentionDays?: number; dryRun?: boolean }>(async (api, g, _args, o) => {
        const body = await api.post('/audit/cleanup', { ...(o.retentionDays ? { retentionDays: o.retentionDays } : {}), dryRun: Boolean(o.dryRun) });
        const r = dataOf<Cleanup>(body);
        const cutoff = r.cutoff.slice(0, 10);
        emit(g, body, () =>
          printLine(
            r.dryRun
              ? `${r.entriesFound} audit entries would be deleted (retention ${r.retentionDays} days, cutoff ${cutoff}); nothing was deleted.`
              : `${r.deleted} audit entries deleted (retention ${r.retentionDays} days, cutoff ${cutoff})`,
          ),
        );
      }),
    );
}
