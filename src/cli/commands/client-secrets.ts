import type { Command } from 'commander';
import type { Client, ClientSecret } from '../../clients/index.js';
import { AppError } from '../../platform/errors.js';
import { durationSeconds } from '../../provisioning/index.js';
import type { Services } from '../../services.js';
import { cliConfig, confirm, printJson, printTable, CliError, EXIT, type GlobalOptions } from '../context.js';
import { withDirectServices } from '../direct.js';
import { isHttpMode } from '../http/mode.js';
import { clientSecretsOverHttp } from './client-secrets-http.js';

const SHOWN_ONCE = 'Store the secret securely. It will not be shown again.';

interface GenerateOptions {
  label?: string;
  expiresAt?: string;
  expiresIn?: string;
}

/** `porta client secret …` (30-cli §4); joins a `client` command registered elsewhere, or creates it. */
export function registerClientSecrets(program: Command): void {
  const client = program.commands.find((c) => c.name() === 'client') ?? program.command('client').description('OIDC clients');
  const secret = client.command('secret').description('generate, list or revoke client secrets; <client> is a client_id or internal id, in any organization');

  secret
    .command('generate <client>')
    .description('add an active secret; the plaintext is printed once')
    .option('--label <label>', 'a note for people, e.g. "2026 rotation"')
    .option('--expires-at <iso>', 'expiry as an ISO-8601 date-time with offset, e.g. 2027-01-01T00:00:00Z')
    .option('--expires-in <duration>', 'expiry from now: 24h, 90d, 6m (months), 1y')
    .action(async (ref: string, opts: GenerateOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return clientSecretsOverHttp.generate(g, ref, opts);
      const expiresAt = expiryOf(opts);
      const { client: found, created } = await withClient(g, ref, async (services, c) => ({
        client: c,
        created: await services.clients.generateSecret(c.organizationId, c.id, { label: opts.label, expiresAt }),
      }));
      if (g.json) return printJson({ ...created, warning: SHOWN_ONCE });
      process.stdout.write(
        `Generated secret ${created.id} for client ${found.clientId}${created.expiresAt ? ` (expires ${created.expiresAt})` : ''}.\n\n` +
          `  ${created.plaintext}\n\n` +
          'This secret is shown once — store it now. Older secrets stay active until you revoke them:\n' +
          `  porta client secret list ${found.clientId}\n  porta client secret revoke ${found.clientId} <old-secret-id>\n`,
      );
    });

  secret
    .command('list <client>')
    .description('the client\'s secrets, newest first (never the values)')
    .action(async (ref: string, _opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return clientSecretsOverHttp.list(g, ref);
      const list = await withClient(g, ref, (services, c) => services.clients.listSecrets(c.organizationId, c.id));
      if (g.json) return printJson(list);
      printTable(list.map(row), ['id', 'label', 'status', 'created_at', 'expires_at', 'last_used_at', 'revoked_at']);
    });

  secret
    .command('revoke <client> <secret-id>')
    .description('revoke one secret: it stops authenticating at once (asks first)')
    .action(async (ref: string, secretId: string, _opts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (isHttpMode(g)) return clientSecretsOverHttp.revoke(g, ref, secretId);
      const found = await withClient(g, ref, async (services, c) => {
        const target = (await services.clients.listSecrets(c.organizationId, c.id)).find((s) => s.id === secretId);
        if (target && target.status === 'active') {
          await confirm(g, `Revoke secret ${target.id}${target.label ? ` (${target.label})` : ''} of client ${c.clientId}? Anything still using it stops authenticating at once.`);
        }
        await services.clients.revokeSecret(c.organizationId, c.id, secretId);
        return c;
      });
      // The admin API answers 204 without a body: --json prints nothing on success.
      if (!g.json) process.stdout.write(`Revoked secret ${secretId} of client ${found.clientId}.\n`);
    });
}

function expiryOf(opts: GenerateOptions): string | undefined {
  if (opts.expiresAt !== undefined && opts.expiresIn !== undefined) throw new CliError('Give --expires-at or --expires-in, not both.', EXIT.usage);
  if (opts.expiresIn === undefined) return opts.expiresAt;
  const seconds = durationSeconds(opts.expiresIn);
  if (!(seconds > 0)) throw new CliError(`--expires-in must be a duration such as 24h, 90d, 6m or 1y, not "${opts.expiresIn}"`, EXIT.usage);
  return new Date(Date.now() + seconds * 1000).toISOString();
}

async function withClient<T>(g: GlobalOptions, ref: string, fn: (services: Services, client: Client) => Promise<T>): Promise<T> {
  return withDirectServices(cliConfig(g), async (services) => {
    const client = await services.clients.findInAnyOrg(ref);
    if (!client) throw new AppError('not_found', 'client_not_found', `No client ${ref}.`);
    return fn(services, client);
  });
}


function row(s: ClientSecret): Record<string, string> {
  return {
    id: s.id,
    label: s.label ?? '',
    status: s.status,
    created_at: s.createdAt,
    expires_at: s.expiresAt ?? '',
    last_used_at: s.lastUsedAt ?? '',
    revoked_at: s.revokedAt ?? '',
  };
}
