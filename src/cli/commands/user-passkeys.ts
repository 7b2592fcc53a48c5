import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { dataOf, emit, printNote, printRows, say } from '../output.js';
import { scopedUserPath } from '../api/resolve.js';
import { userAction, userCommand } from './user.js';

interface PasskeyRow {
  id: string;
  name: string | null;
  aaguid: string | null;
  isBackedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

const COLUMNS = ['id', 'name', { header: 'synced', value: (p: PasskeyRow) => p.isBackedUp }, 'aaguid', 'createdAt', 'lastUsedAt'] as const;

/** `porta user passkeys list | delete` (spec 70 §1; `GET`/`DELETE …/users/:userId/passkeys`). */
export function registerUserPasskeys(user: Command): void {
  const passkeys = user.command('passkeys').description('the user\'s passkeys: list, delete');

  userCommand(passkeys, 'list', 'the user\'s passkeys (name, synced or device-bound, authenticator model, created, last used)').action(
    userAction(async (api, g, target) => {
      const body = await api.get(await scopedUserPath(api, target, '/passkeys'));
      emit(g, body, () => {
        const rows = dataOf<PasskeyRow[]>(body);
        if (rows.length === 0) return printNote(`User ${target.userId} has no passkeys.`);
        printRows(rows, COLUMNS);
      });
    }),
  );

  userCommand(passkeys, 'delete', 'remove one passkey; the user is notified by e-mail (asks first)')
    .requiredOption('--passkey <id>', 'the passkey (an id from `porta user passkeys list`)')
    .action(
      userAction<{ passkey: string; orgId?: string; userId?: string }>(async (api, g, target, o) => {
        await confirm(g, `Delete passkey ${o.passkey} of user ${target.userId}? It can no longer be used to sign in.`);
        await api.delete(await scopedUserPath(api, target, `/passkeys/${encodeURIComponent(o.passkey)}`));
        say(g, `Deleted passkey ${o.passkey} of user ${target.userId}. They were notified by e-mail.`);
      }),
    );
}
