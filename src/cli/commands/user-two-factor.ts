import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { dataOf, emit, printLine, printNote, printRecord, say } from '../output.js';
import { scopedUserPath } from '../api/resolve.js';
import { userAction, userCommand } from './user.js';

/** `porta user 2fa status | disable | reset | regenerate-codes` (spec 30 §5, spec 20 §5.6). */
export function registerUserTwoFactor(user: Command): void {
  const tfa = user.command('2fa').description('the user\'s second factor: status, disable, reset, new recovery codes');

  userCommand(tfa, 'status', 'enrolment: enabled, method, authenticator app, recovery codes left, passkeys, policy').action(
    userAction(async (api, g, target) => {
      const body = await api.get(await scopedUserPath(api, target, '/two-factor/status'));
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  for (const [name, question, done] of [
    ['disable', 'Turn two-factor authentication off for user %s? Their authenticator secret and recovery codes are deleted.', 'Disabled two-factor authentication of'],
    ['reset', 'Reset two-factor authentication of user %s? Their factors are deleted; they enrol again when the policy asks for one.', 'Reset two-factor authentication of'],
  ] as const) {
    userCommand(tfa, name, name === 'disable' ? 'turn two-factor authentication off (asks first)' : 'delete the user\'s factors after a loss (asks first)').action(
      userAction(async (api, g, target) => {
        await confirm(g, question.replace('%s', target.userId));
        await api.post(await scopedUserPath(api, target, `/two-factor/${name}`));
        say(g, `${done} user ${target.userId}. They were notified by e-mail.`);
      }),
    );
  }

  userCommand(tfa, 'regenerate-codes', 'ten new recovery codes replacing the old ones (printed once)').action(
    userAction(async (api, g, target) => {
      const body = await api.post(await scopedUserPath(api, target, '/two-factor/recovery-codes/regenerate'));
      emit(g, body, () => {
        const { recoveryCodes } = dataOf<{ recoveryCodes: string[] }>(body);
        printNote('New recovery codes (shown once; the earlier codes no longer work):');
        for (const code of recoveryCodes) printLine(code);
      });
    }),
  );
}
