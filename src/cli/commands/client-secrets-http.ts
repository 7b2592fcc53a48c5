import { confirm } from '../context.js';
import { expiryOf } from '../http/args.js';
import type { CliOptions } from '../http/mode.js';
import { SHOWN_ONCE, dataOf, emit, printRows, say } from '../http/output.js';
import { withApi } from '../http/session.js';
import { clientPath } from './client.js';

interface Secret {
  id: string;
  label: string | null;
  status: string;
  expiresAt: string | null;
  plaintext?: string;
}

/** `porta client secret …` in HTTP mode: the same commands through `/api/admin/clients/:id/secrets`. */
export const clientSecretsOverHttp = {
  generate: (g: CliOptions, ref: string, opts: { label?: string; expiresAt?: string; expiresIn?: string }) =>
    withApi(g, async (api) => {
      const expiresAt = expiryOf(opts, Date.now());
      const body = await api.post(clientPath(ref, '/secrets'), { ...(opts.label ? { label: opts.label } : {}), ...(expiresAt ? { expiresAt } : {}) });
      const secret = dataOf<Secret>(body);
      emit(g, body, () =>
        process.stdout.write(
          `Generated secret ${secret.id} for client ${ref}${secret.expiresAt ? ` (expires ${secret.expiresAt})` : ''}.\n\n  ${secret.plaintext}\n\n${SHOWN_ONCE}\n` +
            `Older secrets stay active until you revoke them: porta client secret revoke ${ref} <old-secret-id>\n`,
        ),
      );
    }),

  list: (g: CliOptions, ref: string) =>
    withApi(g, async (api) => {
      const body = await api.get(clientPath(ref, '/secrets'));
      emit(g, body, () => printRows(dataOf<Secret[]>(body), ['id', 'label', 'status', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt']));
    }),

  revoke: (g: CliOptions, ref: string, secretId: string) =>
    withApi(g, async (api) => {
      await confirm(g, `Revoke secret ${secretId} of client ${ref}? Anything still using it stops authenticating at once.`);
      await api.post(clientPath(ref, `/secrets/${encodeURIComponent(secretId)}/revoke`));
      say(g, `Revoked secret ${secretId} of client ${ref}.`);
    }),
};
