import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { positiveInt } from '../args.js';
import { seg } from '../api/client.js';
import { dataOf, emit, printPage, printRecord, say, type Page, printLine } from '../output.js';
import { orgId, userTarget } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { userCommand, type TargetOptions } from './user.js';

interface TrackedSession extends Record<string, unknown> {
  sessionId: string;
  userId: string;
  clientId: string | null;
  organizationId: string;
  ipAddress: string | null;
  lastActivityAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

interface ListOptions {
  userId?: string;
  orgId?: string;
  clientId?: string;
  all?: boolean;
  page?: number;
  pageSize?: number;
}

const COLUMNS = ['sessionId', 'userId', 'organizationId', 'clientId', 'ipAddress', 'lastActivityAt', 'expiresAt', 'revokedAt'];

/** `porta sessions list|show|revoke|revoke-user` (spec 30 §6, seed 002); `session` is an alias. */
export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').alias('session').description('tracked OIDC sessions: list, show, revoke');

  sessions
    .command('list')
    .description('sessions, newest activity first (active ones unless --all)')
    .option('--user-id <id>', 'only this user\'s sessions')
    .option('--org, --org-id <org>', 'organization id or slug')
    .option('--client-id <id>', 'the client\'s internal id')
    .option('--all', 'include revoked and expired sessions')
    .option('--page <n>', 'page (default 1)', positiveInt)
    .option('--page-size <n>', 'per page (1-100, default 20)', positiveInt)
    .action(
      apiAction<ListOptions>(async (api, g, _args, o) => {
        const body = await api.get<Page<TrackedSession>>('/sessions', {
          userId: o.userId,
          organizationId: o.orgId === undefined ? undefined : await orgId(api, o.orgId),
          clientId: o.clientId,
          activeOnly: o.all ? 'false' : undefined,
          page: o.page,
          pageSize: o.pageSize,
        });
        emit(g, body, () => printPage(body, COLUMNS));
      }),
    );

  sessions
    .command('show <session-id>')
    .description('one tracked session')
    .action(
      apiAction(async (api, g, [id]) => {
        const body = await api.get(`/sessions/${seg(id!)}`);
        emit(g, body, () => printRecord(dataOf<TrackedSession>(body)));
      }),
    );

  sessions
    .command('revoke <session-id>')
    .description('end a session now: it is signed out and its grants and tokens are deleted')
    .action(
      apiAction(async (api, g, [id]) => {
        await confirm(g, `Revoke session ${id}? The user is signed out and every token of the session stops working.`);
        await api.delete(`/sessions/${seg(id!)}`);
        say(g, `Session ${id} revoked.`);
      }),
    );

  sessions
    .command('revoke-user <user-id>')
    .description('end every active session of a user')
    .action(
      apiAction(async (api, g, [userId]) => {
        await revokeAll(api, g, userId!);
      }),
    );
}

async function revokeAll(api: Parameters<Parameters<typeof apiAction>[0]>[0], g: Parameters<Parameters<typeof apiAction>[0]>[1], userId: string) {
  await confirm(g, `Sign user ${userId} out everywhere? Every active session and its tokens end now.`);
  const body = await api.delete<{ revoked: number }>(`/users/${seg(userId)}/sessions`);
  emit(g, body, () => printLine(`${body.revoked} session(s) revoked.`));
}

/** `porta user sessions <user> [--revoke-all]` (spec 30 §5). */
export function registerUserSessions(user: Command): void {
  userCommand(user, 'sessions', 'list a user\'s active sessions, or end them all with --revoke-all')
    .option('--revoke-all', 'sign the user out everywhere')
    .option('--all', 'include revoked and expired sessions')
    .action(
      apiAction<TargetOptions & { revokeAll?: boolean; all?: boolean }>(async (api, g, [positional], o) => {
        const target = await userTarget(api, o, positional);
        if (o.revokeAll) return revokeAll(api, g, target.userId);
        const body = await api.get<Page<TrackedSession>>('/sessions', { userId: target.userId, activeOnly: o.all ? 'false' : undefined, pageSize: 100 });
        emit(g, body, () => printPage(body, COLUMNS));
      }),
    );
}
