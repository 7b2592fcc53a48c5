import type { Command } from 'commander';
import { seg } from '../api/client.js';
import { apiAction } from '../api/session.js';
import { expiryOf } from '../args.js';
import { SHOWN_ONCE, dataOf, emit, printLine, printRows, say } from '../output.js';
import { confirm } from '../prompt.js';

interface Secret {
  id: string;
  label: string | null;
  status: string;
  expiresAt: string | null;
  plaintext?: string;
}

interface GenerateOptions {
  label?: string;
  expiresAt?: string;
  expiresIn?: string;
}

/** `/clients/:id/secrets…`; the client is a client_id or internal id, in any organization. */
const secretsPath = (ref: string, suffix = '') => `/clients/${seg(ref)}/secrets${suffix}`;

/** `porta client secret …` (spec 30 §4) through `/api/admin/clients/:id/secrets` (spec 20 §5.5). */
export function registerClientSecrets(program: Command): void {
  const client = program.commands.find((c) => c.name() === 'client') ?? program.command('client').description('OIDC clients');
  const secret = client.command('secret').description('generate, list or revoke client secrets; <client> is a client_id or internal id, in any organization');

  secret
    .command('generate <client>')
    .description('add an active secret; the plaintext is printed once')
    .option('--label <label>', 'a note for people, e.g. "2026 rotation"')
    .option('--expires-at <iso>', 'expiry as an ISO-8601 date-time with offset, e.g. 2027-01-01T00:00:00Z')
    .option('--expires-in <duration>', 'expiry from now: 24h, 90d, 6m (months), 1y')
    .action(
      apiAction<GenerateOptions>(async (api, g, [ref], o) => {
        const expiresAt = await expiryOf(o, Date.now());
        const body = await api.post(secretsPath(ref!), { ...(o.label ? { label: o.label } : {}), ...(expiresAt ? { expiresAt } : {}) });
        const created = dataOf<Secret>(body);
        emit(g, body, () =>
          printLine(
            `Generated secret ${created.id} for client ${ref}${created.expiresAt ? ` (expires ${created.expiresAt})` : ''}.\n\n  ${created.plaintext}\n\n${SHOWN_ONCE}\n` +
              'Older secrets stay active until you revoke them:\n' +
              `  porta client secret list ${ref}\n  porta client secret revoke ${ref} <old-secret-id>`,
          ),
        );
      }),
    );

  secret
    .command('list <client>')
    .description("the client's secrets, newest first (never the values)")
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(secretsPath(ref!));
        emit(g, body, () => printRows(dataOf<Secret[]>(body), ['id', 'label', 'status', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt']));
      }),
    );

  secret
    .command('revoke <client> <secret-id>')
    .description('revoke one secret: it stops authenticating at once (asks first)')
    .action(
      apiAction(async (api, g, [ref, secretId]) => {
        const target = dataOf<Secret[]>(await api.get(secretsPath(ref!))).find((s) => s.id === secretId);
        // Unknown or already revoked: the API answers without a question.
        if (target?.status === 'active') {
          await confirm(g, `Revoke secret ${target.id}${target.label ? ` (${target.label})` : ''} of client ${ref}? Anything still using it stops authenticating at once.`);
        }
        await api.post(secretsPath(ref!, `/${seg(secretId!)}/revoke`));
        say(g, `Revoked secret ${secretId} of client ${ref}.`);
      }),
    );
}
