import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { confirmIrreversible } from '../prompt.js';
import { printJson, printLine, printNote, dataOf, emit, printRecord, printRows, say } from '../output.js';
import { claimValue, collect } from '../args.js';
import { appId, claimDefinition, roleIdsOf, scopedUserPath, userPath } from '../api/resolve.js';
import { PERMISSION_COLUMNS } from './app-roles.js';
import { userAction, userCommand, type TargetOptions } from './user.js';

const PURGED = ['profile (e-mail anonymized, names and contact data erased)', 'roles', 'claim values', 'two-factor settings and recovery codes', 'tokens and grants', 'sessions', 'audit entries about the user (anonymized)'];

/** `user export`, `user purge`, `user roles …`, `user claims …` (spec 30 §5). */
export function registerUserAccess(user: Command): void {
  userCommand(user, 'export', 'the GDPR export of everything stored about the user (JSON)').action(
    userAction(async (api, _g, target) => {
      // The export is a document of its own (spec 50 §11), not wrapped in `data`: both forms print it.
      printJson(await api.get(await scopedUserPath(api, target, '/export')));
    }),
  );

  userCommand(user, 'purge', 'erase the user for good (GDPR); shows what goes, then asks').action(
    userAction(async (api, g, target) => {
      const shown = dataOf<{ email: string; status: string }>(await api.get(userPath(target)));
      if (!g.json) printNote(`Purging ${shown.email} (${target.userId}, ${shown.status}) erases for good:\n${PURGED.map((p) => `  - ${p}`).join('\n')}`);
      await confirmIrreversible(g, `Purge user ${shown.email}? This cannot be undone.`);
      const body = await api.post(await scopedUserPath(api, target, '/purge'), { confirmPurge: true }, { headers: { 'X-Confirm-Purge': 'true' } });
      emit(g, body, () => {
        printLine(`Purged user ${target.userId}.`);
        printRecord(dataOf(body));
      });
    }),
  );

  const roles = user.command('roles').description('the user\'s roles; --role takes a role id or <app>:<role-slug>');
  userCommand(roles, 'list', 'roles the user holds')
    .option('--app <app>', 'only this application\'s (id or slug)')
    .option('--permissions', 'list the permissions those roles grant instead')
    .action(
      userAction<TargetOptions & { app?: string; permissions?: boolean }>(async (api, g, target, o) => {
        const path = await scopedUserPath(api, target, o.permissions ? '/roles/permissions' : '/roles');
        const body = await api.get(path, { applicationId: o.app === undefined ? undefined : await appId(api, o.app) });
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), o.permissions ? PERMISSION_COLUMNS : ['id', 'slug', 'name', 'applicationId']));
      }),
    );

  for (const [name, method, verb] of [
    ['assign', 'PUT', 'Assigned'],
    ['remove', 'DELETE', 'Removed'],
  ] as const) {
    userCommand(roles, name, name === 'assign' ? 'give the user roles' : 'take roles from the user')
      .option('--role <role>', 'role id or <app>:<role-slug> (repeatable, or a comma list)', collect)
      .action(
        userAction<TargetOptions & { role?: string[] }>(async (api, g, target, o) => {
          if (!o.role?.length) throw new CliError('Name at least one --role.', EXIT.usage);
          const roleIds = await roleIdsOf(api, o.role);
          await api.request(method, await scopedUserPath(api, target, '/roles'), { body: { roleIds } });
          say(g, `${verb} ${roleIds.length} role(s) ${name === 'assign' ? 'to' : 'from'} user ${target.userId}.`);
        }),
      );
  }

  const claims = user.command('claims').description('the user\'s custom claim values in an application');
  const claimOptions = (cmd: Command, hasClaim: boolean) => {
    cmd.requiredOption('--app <app>', 'application id or slug');
    if (hasClaim) cmd.requiredOption('--claim <claim>', 'claim id or name');
    return cmd;
  };

  claimOptions(userCommand(claims, 'list', 'the user\'s values of the application\'s claims'), false).action(
    userAction<TargetOptions & { app: string }>(async (api, g, target, o) => {
      const body = await api.get(`/applications/${await appId(api, o.app)}/claims/users/${target.userId}`);
      emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), ['claimName', 'value', 'claimId', 'updatedAt']));
    }),
  );

  claimOptions(userCommand(claims, 'set', 'set the user\'s value of a claim (read per the claim\'s type)'), true)
    .requiredOption('--value <value>', 'the value: text, a number, true/false, or JSON for json claims')
    .action(
      userAction<TargetOptions & { app: string; claim: string; value: string }>(async (api, g, target, o) => {
        const application = await appId(api, o.app);
        const claim = await claimDefinition(api, application, o.claim);
        const body = await api.put(`/applications/${application}/claims/${claim.id}/users/${target.userId}`, { value: claimValue(claim.claimType, o.value) });
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  claimOptions(userCommand(claims, 'remove', 'delete the user\'s value of a claim'), true).action(
    userAction<TargetOptions & { app: string; claim: string }>(async (api, g, target, o) => {
      const application = await appId(api, o.app);
      const claim = await claimDefinition(api, application, o.claim);
      await api.delete(`/applications/${application}/claims/${claim.id}/users/${target.userId}`);
      say(g, `Removed claim ${claim.claimName} of user ${target.userId}.`);
    }),
  );
}
