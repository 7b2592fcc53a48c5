import type { Command } from 'commander';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { confirm, ask } from '../prompt.js';
import { collect, defined, positiveInt, readStdin, requireSome } from '../args.js';
import { dataOf, emit, printHistory, printPage, printRecord, printText, say, type HistoryPage, type Page, printLine } from '../output.js';
import { orgId, userPath, userTarget, type UserTarget } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import type { AdminApi } from '../api/client.js';
import { historyQuery, withHistoryOptions } from './org.js';
import { registerUserAccess } from './user-access.js';
import { registerUserTwoFactor } from './user-two-factor.js';
import { registerUserPasskeys } from './user-passkeys.js';
import { registerUserSessions } from './sessions.js';

export interface TargetOptions {
  orgId?: string;
  userId?: string;
}

/** A user command: `<name> [user-id]` with `--org-id` (alias `--org`) and `--user-id` (spec 30 §1 Targets). */
export function userCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(`${name} [user-id]`)
    .description(description)
    .option('--org, --org-id <org>', 'organization id or slug (optional: the user\'s own is found)')
    .option('--user-id <id>', 'the user (instead of the argument)');
}

/** Runs `fn` with the resolved user target. */
export function userAction<O extends TargetOptions>(fn: (api: AdminApi, g: GlobalOptions, target: UserTarget, opts: O) => Promise<void>) {
  return apiAction<O>(async (api, g, [positional], opts) => fn(api, g, await userTarget(api, opts, positional), opts));
}

const PROFILE_FLAGS: ReadonlyArray<[flag: string, field: string, help: string]> = [
  ['given-name', 'givenName', 'given name'],
  ['family-name', 'familyName', 'family name'],
  ['middle-name', 'middleName', 'middle name'],
  ['nickname', 'nickname', 'nickname'],
  ['preferred-username', 'preferredUsername', 'preferred username'],
  ['locale', 'locale', 'locale, e.g. en'],
  ['zoneinfo', 'zoneinfo', 'time zone, e.g. Europe/Paris'],
  ['phone-number', 'phoneNumber', 'phone number'],
  ['gender', 'gender', 'gender'],
  ['birthdate', 'birthdate', 'YYYY-MM-DD'],
  ['profile-url', 'profileUrl', 'profile page URL'],
  ['picture-url', 'pictureUrl', 'picture URL'],
  ['website-url', 'websiteUrl', 'website URL'],
];

/** `--password`, `--password-stdin`, or a hidden prompt (twice) on a terminal. */
async function passwordOf(o: { password?: string; passwordStdin?: boolean }, isRequired: boolean): Promise<string | undefined> {
  if (o.password !== undefined && o.passwordStdin) throw new CliError('Give --password or --password-stdin, not both.', EXIT.usage);
  if (o.password !== undefined) return o.password;
  if (o.passwordStdin) return (await readStdin()).replace(/\r?\n$/, '');
  if (!isRequired) return undefined;
  if (!process.stdin.isTTY) throw new CliError('Pass --password or --password-stdin: there is no terminal to ask.', EXIT.usage);
  const password = await ask('New password (8-128 characters): ', { isHidden: true });
  if ((await ask('Repeat the password: ', { isHidden: true })) !== password) throw new CliError('The passwords differ.', EXIT.usage);
  return password;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `--role app:role`: the role by id, or by slug among the application's roles. */
async function roleReference(api: AdminApi, spec: string): Promise<{ applicationId: string; roleId: string }> {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || at === spec.length - 1) throw new CliError(`--role ${spec}: expected <application>:<role>.`, EXIT.usage);
  const applicationId = spec.slice(0, at);
  const role = spec.slice(at + 1);
  if (UUID.test(role)) return { applicationId, roleId: role };
  const body = await api.get<{ data: Array<{ id: string; slug: string }> }>(`/applications/${encodeURIComponent(applicationId)}/roles`);
  const found = body.data.find((r) => r.slug === role);
  if (!found) throw new CliError(`--role ${spec}: no role ${role} in application ${applicationId}.`, EXIT.usage);
  return { applicationId, roleId: found.id };
}

/** `porta user …` (spec 30 §5). */
export function registerUser(program: Command): void {
  const user = program.command('user').description('users of an organization; a user is named by id (with --org-id, or found)');

  user
    .command('create')
    .description('create a user')
    .requiredOption('--org, --org-id <org>', 'organization id or slug')
    .requiredOption('--email <email>', 'e-mail address (unique in the organization)')
    .option('--given-name <name>', 'given name')
    .option('--family-name <name>', 'family name')
    .option('--password <password>', 'initial password (8-128 characters); without one the user is passwordless')
    .option('--password-stdin', 'read the password from standard input')
    .option('--locale <locale>', 'locale, e.g. en')
    .action(
      apiAction<{ orgId: string; email: string; givenName?: string; familyName?: string; password?: string; passwordStdin?: boolean; locale?: string }>(async (api, g, _args, o) => {
        const password = await passwordOf(o, false);
        const body = await api.post(`/organizations/${await orgId(api, o.orgId)}/users`, defined({ email: o.email, givenName: o.givenName, familyName: o.familyName, password, locale: o.locale }));
        emit(g, body, () => {
          printLine('Created user:');
          printRecord(dataOf(body));
        });
      }),
    );

  user
    .command('invite')
    .description('invite someone by e-mail: they choose a password from the link (spec 60 §6)')
    .requiredOption('--org, --org-id <org>', 'organization id or slug')
    .requiredOption('--email <email>', 'e-mail address')
    .option('--given-name <name>', 'given name')
    .option('--family-name <name>', 'family name')
    .option('--message <text>', 'personal message in the e-mail (up to 500 characters)')
    .option('--role <app:role>', 'role to hold once accepted: application id or slug, role id or slug (repeatable)', collect)
    .option('--locale <locale>', 'language of the e-mail, e.g. de')
    .option('--preview', 'print the e-mail (subject, then the text part) instead of sending it; nothing is stored')
    .action(
      apiAction<{ orgId: string; email: string; givenName?: string; familyName?: string; message?: string; role?: string[]; locale?: string; preview?: boolean }>(async (api, g, _args, o) => {
        const email = { email: o.email, givenName: o.givenName, familyName: o.familyName, personalMessage: o.message, locale: o.locale };
        if (o.preview) {
          if (o.role) throw new CliError('--preview shows the e-mail only, which names no roles: leave out --role.', EXIT.usage);
          const body = await api.post(`/organizations/${await orgId(api, o.orgId)}/users/invite/preview`, defined(email));
          emit(g, body, () => {
            const mail = dataOf<{ subject: string; text: string }>(body);
            printText(`Subject: ${mail.subject}\n\n${mail.text}`);
          });
          return;
        }
        const roles = await Promise.all((o.role ?? []).map((spec) => roleReference(api, spec)));
        const body = await api.post(`/organizations/${await orgId(api, o.orgId)}/users/invite`, defined({ ...email, roles: roles.length > 0 ? roles : undefined }));
        emit(g, body, () => {
          printLine('Invitation sent:');
          printRecord(dataOf(body));
        });
      }),
    );

  user
    .command('list')
    .description('users of an organization')
    .requiredOption('--org, --org-id <org>', 'organization id or slug')
    .option('--status <status>', 'active, inactive, suspended or locked')
    .option('--search <text>', 'e-mail, given or family name contains')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ orgId: string; status?: string; search?: string; page?: number; pageSize?: number }>(async (api, g, _args, o) => {
        const body = await api.get<Page<Record<string, unknown>>>(`/organizations/${await orgId(api, o.orgId)}/users`, { status: o.status, search: o.search, page: o.page, pageSize: o.pageSize });
        emit(g, body, () => printPage(body, ['id', 'email', 'status', 'givenName', 'familyName', 'lastLoginAt', 'createdAt']));
      }),
    );

  userCommand(user, 'show', 'one user').action(
    userAction(async (api, g, target) => {
      const body = await api.get(userPath(target));
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  withHistoryOptions(userCommand(user, 'history', 'audit history of the user, newest first')).action(
    userAction<TargetOptions & { limit?: number; eventType?: string; after?: string }>(async (api, g, target, o) => {
      const body = await api.get<HistoryPage>(userPath(target, '/history'), historyQuery(o));
      emit(g, body, () => printHistory(body));
    }),
  );

  const update = userCommand(user, 'update', 'change profile fields (an empty value clears one; the e-mail is fixed)');
  for (const [flag, , help] of PROFILE_FLAGS) update.option(`--${flag} <value>`, help);
  update.action(
    userAction<TargetOptions & Record<string, string | undefined>>(async (api, g, target, o) => {
      const input = defined(Object.fromEntries(PROFILE_FLAGS.map(([, field]) => [field, o[field] === '' ? null : o[field]])));
      requireSome(input, 'a profile flag (see --help)');
      const body = await api.put(userPath(target), input);
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  registerStatusCommands(user);

  userCommand(user, 'set-password', 'set a new password (prompts on a terminal)')
    .option('--password <password>', 'the password (8-128 characters)')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      userAction<TargetOptions & { password?: string; passwordStdin?: boolean }>(async (api, g, target, o) => {
        await api.post(userPath(target, '/password'), { password: await passwordOf(o, true) });
        say(g, `Set a new password for user ${target.userId}.`);
      }),
    );

  userCommand(user, 'clear-password', 'remove the password: the user signs in without one (asks first)').action(
    userAction(async (api, g, target) => {
      await confirm(g, `Remove the password of user ${target.userId}? They can then sign in only by e-mail link.`);
      await api.delete(userPath(target, '/password'));
      say(g, `Removed the password of user ${target.userId}.`);
    }),
  );

  registerUserAccess(user);
  registerUserTwoFactor(user);
  registerUserPasskeys(user);
  registerUserSessions(user);
}

function registerStatusCommands(user: Command): void {
  const actions: ReadonlyArray<[name: string, done: string, description: string, hasReason: boolean]> = [
    ['suspend', 'Suspended', 'suspend: no sign-in until unsuspended', true],
    ['unsuspend', 'Unsuspended', 'make a suspended user active again', false],
    ['reactivate', 'Reactivated', 'make a deactivated user active again', false],
    ['lock', 'Locked', 'lock the account', true],
    ['unlock', 'Unlocked', 'unlock the account and reset the failed-login counter', false],
    ['verify-email', 'Marked the e-mail verified of', 'mark the e-mail address verified', false],
  ];
  for (const [name, done, description, hasReason] of actions) {
    const cmd = userCommand(user, name, description);
    if (hasReason) cmd.option('--reason <text>', 'kept in the audit log');
    cmd.action(
      userAction<TargetOptions & { reason?: string }>(async (api, g, target, o) => {
        await api.post(userPath(target, `/${name}`), hasReason ? defined({ reason: o.reason }) : undefined);
        say(g, `${done} user ${target.userId}.`);
      }),
    );
  }

  userCommand(user, 'deactivate', 'deactivate: no sign-in until reactivated (asks first)').action(
    userAction(async (api, g, target) => {
      await confirm(g, `Deactivate user ${target.userId}? They cannot sign in until reactivated.`);
      await api.post(userPath(target, '/deactivate'));
      say(g, `Deactivated user ${target.userId}.`);
    }),
  );
}
