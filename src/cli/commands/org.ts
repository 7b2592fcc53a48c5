import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { seg } from '../api/client.js';
import { bool, defined, list, positiveInt, readTextFile, requireSome } from '../args.js';
import { dataOf, emit, printHistory, printPage, printRecord, say, type HistoryPage, type Page, printLine } from '../output.js';
import { apiAction } from '../api/session.js';
import { registerOrgExtras } from './org-extras.js';
import { registerOrgRegistration } from './org-registration.js';

export interface Organization {
  id: string;
  name: string;
  slug: string;
  status: string;
  defaultLocale: string;
  defaultLoginMethods: string[];
  twoFactorPolicy: string;
  dynamicRegistration?: boolean;
  passkeyEnrolmentPrompt?: boolean;
  accountPortalEnabled?: boolean;
  branding: Record<string, unknown>;
  createdAt: string;
}

export const ORG_COLUMNS = ['id', 'slug', 'name', 'status', 'defaultLocale', 'twoFactorPolicy', 'createdAt'] as const;

export const orgPath = (ref: string, suffix = '') => `/organizations/${seg(ref)}${suffix}`;

/** `--limit`, `--event-type`, `--after` of every `history` command (spec 20 HistoryPage). */
export function withHistoryOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'entries per page (1-100, default 20)', positiveInt)
    .option('--event-type <prefix>', 'only event types starting with this, e.g. organization.suspended')
    .option('--after <cursor>', 'the next page: the cursor printed under the previous one');
}

export const historyQuery = (opts: { limit?: number; eventType?: string; after?: string }) => ({ limit: opts.limit, event_type: opts.eventType, after: opts.after });

interface CreateOptions {
  name: string;
  slug?: string;
  locale?: string;
  loginMethods?: string;
  twoFactorPolicy?: string;
  passkeyEnrolmentPrompt?: boolean;
  accountPortal?: boolean;
}

/** `porta org …` (spec 30 §4). */
export function registerOrg(program: Command): void {
  const org = program.command('org').description('organizations (tenants); <org> is an id or a slug');

  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .option('--slug <slug>', 'URL slug (default: derived from the name)')
    .option('--locale <locale>', 'default locale, e.g. en')
    .option('--login-methods <list>', 'comma list of password, magic_link, passkey')
    .option('--two-factor-policy <policy>', 'optional, required_email, required_totp, required_any or required_passkey')
    .option('--passkey-enrolment-prompt <bool>', 'true or false: offer to add a passkey after a password sign-in', bool)
    .option('--account-portal <on|off>', 'on (default) or off: the account portal /{org}/account', bool)
    .action(
      apiAction<CreateOptions>(async (api, g, _args, o) => {
        const body = await api.post('/organizations', defined({
          name: o.name,
          slug: o.slug,
          defaultLocale: o.locale,
          defaultLoginMethods: o.loginMethods === undefined ? undefined : list(o.loginMethods),
          twoFactorPolicy: o.twoFactorPolicy,
          passkeyEnrolmentPrompt: o.passkeyEnrolmentPrompt,
          accountPortalEnabled: o.accountPortal,
        }));
        emit(g, body, () => {
          printLine('Created organization:');
          printRecord(dataOf(body));
        });
      }),
    );

  org
    .command('list')
    .description('list organizations')
    .option('--status <status>', 'active, suspended or archived')
    .option('--search <text>', 'name or slug contains')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ status?: string; search?: string; page?: number; pageSize?: number }>(async (api, g, _args, o) => {
        const body = await api.get<Page<Organization>>('/organizations', { status: o.status, search: o.search, page: o.page, pageSize: o.pageSize });
        emit(g, body, () => printPage(body, ORG_COLUMNS));
      }),
    );

  org
    .command('show <org>')
    .description('one organization')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(orgPath(ref!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  org
    .command('update <org>')
    .description('change name, default locale, login methods, dynamic client registration, the passkey enrolment prompt or the account portal')
    .option('--name <name>', 'display name')
    .option('--locale <locale>', 'default locale')
    .option('--login-methods <list>', 'comma list of password, magic_link, passkey')
    .option('--dynamic-registration <bool>', 'true or false: accept RFC 7591 registrations with an initial access token', bool)
    .option('--passkey-enrolment-prompt <bool>', 'true or false: offer to add a passkey after a password sign-in', bool)
    .option('--account-portal <on|off>', 'on or off: the account portal /{org}/account', bool)
    .action(
      apiAction<{ name?: string; locale?: string; loginMethods?: string; dynamicRegistration?: boolean; passkeyEnrolmentPrompt?: boolean; accountPortal?: boolean }>(async (api, g, [ref], o) => {
        const input = defined({
          name: o.name,
          defaultLocale: o.locale,
          defaultLoginMethods: o.loginMethods === undefined ? undefined : list(o.loginMethods),
          dynamicRegistration: o.dynamicRegistration,
          passkeyEnrolmentPrompt: o.passkeyEnrolmentPrompt,
          accountPortalEnabled: o.accountPortal,
        });
        requireSome(input, '--name, --locale, --login-methods, --dynamic-registration, --passkey-enrolment-prompt, --account-portal');
        const body = await api.put(orgPath(ref!), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  org
    .command('suspend <org>')
    .description('suspend: its users cannot sign in until activated (asks first)')
    .option('--reason <text>', 'kept in the audit log')
    .action(
      apiAction<{ reason?: string }>(async (api, g, [ref], o) => {
        await confirm(g, `Suspend organization ${ref}? Its users cannot sign in until it is activated again.`);
        await api.post(orgPath(ref!, '/suspend'), defined({ reason: o.reason }));
        say(g, `Suspended organization ${ref}.`);
      }),
    );

  for (const [name, path, done, description] of [
    ['activate', 'activate', 'Activated', 'reactivate a suspended organization'],
    ['restore', 'restore', 'Restored', 'bring an archived organization back to active'],
  ] as const) {
    org
      .command(`${name} <org>`)
      .description(description)
      .action(
        apiAction(async (api, g, [ref]) => {
          await api.post(orgPath(ref!, `/${path}`));
          say(g, `${done} organization ${ref}.`);
        }),
      );
  }

  org
    .command('archive <org>')
    .description('archive (asks first); restore brings it back')
    .action(
      apiAction(async (api, g, [ref]) => {
        await confirm(g, `Archive organization ${ref}? Its users cannot sign in while it is archived.`);
        await api.post(orgPath(ref!, '/archive'));
        say(g, `Archived organization ${ref}.`);
      }),
    );

  withHistoryOptions(org.command('history <org>').description('audit history of the organization, newest first')).action(
    apiAction<{ limit?: number; eventType?: string; after?: string }>(async (api, g, [ref], o) => {
      const body = await api.get<HistoryPage>(orgPath(ref!, '/history'), historyQuery(o));
      emit(g, body, () => printHistory(body));
    }),
  );

  org
    .command('branding <org>')
    .description('show the branding, or change it with flags (an empty value clears a field)')
    .option('--logo-url <url>', 'logo URL')
    .option('--favicon-url <url>', 'favicon URL')
    .option('--primary-color <hex>', '#RRGGBB')
    .option('--company-name <name>', 'company name shown on pages and e-mails')
    .option('--custom-css <css>', 'custom CSS')
    .option('--custom-css-file <file>', 'custom CSS read from a file ("-" = stdin)')
    .action(
      apiAction<Record<string, string | undefined>>(async (api, g, [ref], o) => {
        const clear = (v: string | undefined) => (v === undefined ? undefined : v === '' ? null : v);
        const input = defined({
          logoUrl: clear(o.logoUrl),
          faviconUrl: clear(o.faviconUrl),
          primaryColor: clear(o.primaryColor),
          companyName: clear(o.companyName),
          customCss: clear(o.customCssFile === undefined ? o.customCss : readTextFile(o.customCssFile)),
        });
        const body = Object.keys(input).length === 0 ? await api.get(orgPath(ref!)) : await api.put(orgPath(ref!, '/branding'), input);
        emit(g, body, () => printRecord(dataOf<Organization>(body).branding));
      }),
    );

  registerOrgExtras(org);
  registerOrgRegistration(org);
}
