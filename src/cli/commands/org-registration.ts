import type { Command } from 'commander';
import { seg } from '../api/client.js';
import { apiAction } from '../api/session.js';
import { defined, expiryOf, positiveInt } from '../args.js';
import { dataOf, emit, printLine, printPage, say, type Page } from '../output.js';
import { confirm } from '../prompt.js';
import { orgPath } from './org.js';

interface RegistrationToken {
  id: string;
  applicationId: string;
  label: string | null;
  status: string;
  expiresAt: string;
  maxUses: number | null;
  useCount: number;
  token?: string;
}

const COLUMNS = ['id', 'applicationId', 'label', 'status', 'useCount', 'maxUses', 'expiresAt', 'lastUsedAt', 'createdAt'] as const;
const tokensPath = (org: string, suffix = '') => orgPath(org, `/registration-tokens${suffix}`);

interface CreateOptions {
  org: string;
  app: string;
  expiresIn?: string;
  expiresAt?: string;
  maxUses?: number;
  label?: string;
}

/** `porta org registration-token …` (spec 70 §5): initial access tokens for dynamic client registration. */
export function registerOrgRegistration(org: Command): void {
  const tokens = org
    .command('registration-token')
    .description('initial access tokens for dynamic client registration (RFC 7591); turn it on with org update --dynamic-registration true');

  tokens
    .command('create')
    .description('a token that registers clients of one application in one organization; printed once')
    .requiredOption('--org <org>', 'organization id or slug')
    .requiredOption('--app <app>', 'application id or slug the registered clients join')
    .option('--expires-in <duration>', 'lifetime: 24h, 30d, 6m (months), 1y (default 30d, at most a year)')
    .option('--expires-at <iso>', 'expiry as an ISO-8601 date-time with offset')
    .option('--max-uses <n>', 'registrations allowed (default: any number until it expires)', positiveInt)
    .option('--label <text>', 'a note for people, e.g. "MCP clients of the sales team"')
    .action(
      apiAction<CreateOptions>(async (api, g, _args, o) => {
        const expiresAt = await expiryOf(o, Date.now());
        const body = await api.post(tokensPath(o.org), defined({ applicationId: o.app, expiresAt, maxUses: o.maxUses, label: o.label }));
        const created = dataOf<RegistrationToken>(body);
        emit(g, body, () =>
          printLine(
            `Created registration token ${created.id} (expires ${created.expiresAt}${created.maxUses ? `, ${created.maxUses} use(s)` : ''}).\n\n` +
              `  ${created.token}\n\nThis token is shown once — store it now. Porta keeps only its hash.\n` +
              'A relying party registers with it at the registration_endpoint of the organization\'s discovery document:\n' +
              '  Authorization: Bearer <token>',
          ),
        );
      }),
    );

  tokens
    .command('list')
    .description("the organization's registration tokens, newest first (never the tokens)")
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--app <app>', 'only tokens of this application (id or slug)')
    .option('--status <status>', 'active, expired, used_up or revoked')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ org: string; app?: string; status?: string; page?: number; pageSize?: number }>(async (api, g, _args, o) => {
        const body = await api.get<Page<RegistrationToken>>(tokensPath(o.org), { applicationId: o.app, status: o.status, page: o.page, pageSize: o.pageSize });
        emit(g, body, () => printPage(body, COLUMNS));
      }),
    );

  tokens
    .command('revoke <token-id>')
    .description('revoke a token: it registers no more clients (those it registered stay); asks first')
    .requiredOption('--org <org>', 'organization id or slug')
    .action(
      apiAction<{ org: string }>(async (api, g, [id], o) => {
        await confirm(g, `Revoke registration token ${id} of organization ${o.org}? It registers no more clients.`);
        await api.delete(tokensPath(o.org, `/${seg(id!)}`));
        say(g, `Revoked registration token ${id}.`);
      }),
    );
}
