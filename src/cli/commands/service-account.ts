import type { Command } from 'commander';
import { seg } from '../api/client.js';
import { apiAction } from '../api/session.js';
import { expiryOf } from '../args.js';
import { SHOWN_ONCE, dataOf, emit, printLine, printRecord, printRows, say } from '../output.js';
import { confirm } from '../prompt.js';

interface ServiceAccount {
  id: string;
  clientId: string;
  name: string;
  description: string | null;
  status: string;
  roles: string[];
  createdAt: string;
}

interface Secret {
  id: string;
  label: string | null;
  plaintext?: string;
  expiresAt: string | null;
}

interface SecretOptions {
  label?: string;
  expiresAt?: string;
  expiresIn?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const path = (ref: string, suffix = '') => `/service-accounts/${seg(ref)}${suffix}`;

/** How to get a token: the super-admin organization's token endpoint, client credentials. */
const usage = (clientId: string) =>
  `Get a token with the client-credentials grant at the admin organization's token endpoint (GET /api/admin/metadata names it):\n` +
  `  curl -u '${clientId}:<secret>' -d grant_type=client_credentials <issuer>/auth/token`;

/** `porta service-account …` (spec 70 §4) through `/api/admin/service-accounts`: super admins only. */
export function registerServiceAccount(program: Command): void {
  const sa = program
    .command('service-account')
    .description('machine access to the Admin API: client-credentials clients holding admin roles; <account> is an id or client_id');

  sa.command('create')
    .description('create a service account with its first secret (printed once)')
    .requiredOption('--name <name>', 'display name, e.g. "CI provisioning"')
    .requiredOption('--role <role>', 'a built-in admin role (porta-org-admin, porta-user-admin, porta-app-admin, porta-auditor, porta-super-admin); repeatable', collect, [])
    .option('--description <text>', 'what it is for')
    .option('--label <label>', "the first secret's label")
    .option('--expires-at <iso>', "the first secret's expiry (ISO-8601 with offset)")
    .option('--expires-in <duration>', "the first secret's expiry from now: 24h, 90d, 6m, 1y")
    .action(
      apiAction<SecretOptions & { name: string; role: string[]; description?: string }>(async (api, g, _args, o) => {
        const expiresAt = await expiryOf(o, Date.now());
        const body = await api.post('/service-accounts', {
          name: o.name, roles: o.role, ...(o.description ? { description: o.description } : {}),
          ...(o.label ? { secretLabel: o.label } : {}), ...(expiresAt ? { secretExpiresAt: expiresAt } : {}),
        });
        const { serviceAccount, secret } = dataOf<{ serviceAccount: ServiceAccount; secret: Secret }>(body);
        emit(g, body, () => {
          printLine(`Created service account ${serviceAccount.name} (${serviceAccount.id}).\n`);
          printRecord({ clientId: serviceAccount.clientId, roles: serviceAccount.roles.join(' '), secret: secret.plaintext });
          printLine(`\n${SHOWN_ONCE}\n${usage(serviceAccount.clientId)}`);
        });
      }),
    );

  sa.command('list')
    .description('every service account with its roles')
    .action(
      apiAction(async (api, g) => {
        const body = await api.get('/service-accounts');
        emit(g, body, () => printRows(dataOf<ServiceAccount[]>(body), ['id', 'clientId', 'name', 'status', { header: 'roles', value: (a: ServiceAccount) => a.roles.join(' ') }, 'createdAt']));
      }),
    );

  sa.command('roles <account>')
    .description("replace the account's roles; its next request carries the new permissions")
    .requiredOption('--role <role>', 'a built-in admin role; repeatable', collect, [])
    .action(
      apiAction<{ role: string[] }>(async (api, g, [ref], o) => {
        const body = await api.put(path(ref!, '/roles'), { roles: o.role });
        emit(g, body, () => say(g, `Service account ${ref} now holds: ${dataOf<ServiceAccount>(body).roles.join(', ')}.`));
      }),
    );

  sa.command('secret <account>')
    .description('add a secret (printed once); with --revoke <secret-id>, revoke one instead')
    .option('--label <label>', 'a note for people, e.g. "2026 rotation"')
    .option('--expires-at <iso>', 'expiry as an ISO-8601 date-time with offset')
    .option('--expires-in <duration>', 'expiry from now: 24h, 90d, 6m, 1y')
    .option('--revoke <secret-id>', 'revoke this secret (asks first)')
    .option('--list', "list the account's secrets (never the values)")
    .action(
      apiAction<SecretOptions & { revoke?: string; list?: boolean }>(async (api, g, [ref], o) => {
        if (o.list) {
          const body = await api.get(path(ref!, '/secrets'));
          return emit(g, body, () => printRows(dataOf<Secret[]>(body), ['id', 'label', 'status', 'expiresAt', 'lastUsedAt', 'createdAt']));
        }
        if (o.revoke) {
          await confirm(g, `Revoke secret ${o.revoke} of service account ${ref}? Anything still using it stops authenticating at once.`);
          await api.post(path(ref!, `/secrets/${seg(o.revoke)}/revoke`));
          return say(g, `Revoked secret ${o.revoke} of service account ${ref}.`);
        }
        const expiresAt = await expiryOf(o, Date.now());
        const body = await api.post(path(ref!, '/secrets'), { ...(o.label ? { label: o.label } : {}), ...(expiresAt ? { expiresAt } : {}) });
        const created = dataOf<Secret>(body);
        emit(g, body, () => printLine(`Generated secret ${created.id} for service account ${ref}.\n\n  ${created.plaintext}\n\n${SHOWN_ONCE}`));
      }),
    );

  sa.command('delete <account>')
    .description('revoke the account for good: its roles and live tokens go (asks first)')
    .action(
      apiAction(async (api, g, [ref]) => {
        await confirm(g, `Delete service account ${ref}? Every token it holds stops working at once.`);
        await api.delete(path(ref!));
        say(g, `Deleted service account ${ref}.`);
      }),
    );
}
