import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import type { AdminApi } from '../api/client.js';
import { bool, defined, requireSome } from '../args.js';
import { dataOf, emit, printRecord, printRows, say } from '../output.js';
import { appId, claimDefinition } from '../api/resolve.js';
import { apiAction } from '../api/session.js';

export const CLAIM_COLUMNS = ['id', 'claimName', 'claimType', 'includeInIdToken', 'includeInAccessToken', 'includeInUserinfo', 'description'];

async function claimPath(api: AdminApi, appRef: string, claimRef: string): Promise<string> {
  const application = await appId(api, appRef);
  const claim = await claimDefinition(api, application, claimRef);
  return `/applications/${application}/claims/${claim.id}`;
}

interface CreateOptions {
  name: string;
  type: string;
  description?: string;
  idToken?: boolean;
  accessToken: boolean;
  userinfo: boolean;
}

/** `porta app claim …` (spec 30 §4); <claim> is an id or a claim name. */
export function registerAppClaims(app: Command): void {
  const claim = app.command('claim').description('custom claim definitions of an application; <claim> is an id or a claim name');

  claim
    .command('create <app>')
    .description('define a custom claim')
    .requiredOption('--name <claim-name>', 'claim name: lowercase letter, then letters, digits, underscores')
    .requiredOption('--type <type>', 'string, number, boolean or json')
    .option('--description <text>', 'description')
    .option('--id-token', 'also put it in ID tokens')
    .option('--no-access-token', 'leave it out of access tokens')
    .option('--no-userinfo', 'leave it out of userinfo')
    .action(
      apiAction<CreateOptions>(async (api, g, [appRef], o) => {
        const body = await api.post(`/applications/${await appId(api, appRef!)}/claims`, defined({
          claimName: o.name,
          claimType: o.type,
          description: o.description,
          includeInIdToken: Boolean(o.idToken),
          includeInAccessToken: o.accessToken,
          includeInUserinfo: o.userinfo,
        }));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  claim
    .command('list <app>')
    .description('claim definitions of the application')
    .action(
      apiAction(async (api, g, [appRef]) => {
        const body = await api.get(`/applications/${await appId(api, appRef!)}/claims`);
        emit(g, body, () => printRows(dataOf<Array<Record<string, unknown>>>(body), CLAIM_COLUMNS));
      }),
    );

  claim
    .command('show <app> <claim>')
    .description('one claim definition')
    .action(
      apiAction(async (api, g, [appRef, claimRef]) => {
        const body = await api.get(await claimPath(api, appRef!, claimRef!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  claim
    .command('update <app> <claim>')
    .description('change the description or where the claim goes (name and type are fixed)')
    .option('--description <text>', 'description')
    .option('--id-token <bool>', 'in ID tokens: true or false', bool)
    .option('--access-token <bool>', 'in access tokens: true or false', bool)
    .option('--userinfo <bool>', 'in userinfo: true or false', bool)
    .action(
      apiAction<{ description?: string; idToken?: boolean; accessToken?: boolean; userinfo?: boolean }>(async (api, g, [appRef, claimRef], o) => {
        const input = defined({ description: o.description, includeInIdToken: o.idToken, includeInAccessToken: o.accessToken, includeInUserinfo: o.userinfo });
        requireSome(input, '--description, --id-token, --access-token, --userinfo');
        const body = await api.put(await claimPath(api, appRef!, claimRef!), input);
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  claim
    .command('delete <app> <claim>')
    .description('delete a claim definition and every user\'s value of it (asks first)')
    .action(
      apiAction(async (api, g, [appRef, claimRef]) => {
        const path = await claimPath(api, appRef!, claimRef!);
        await confirm(g, `Delete claim ${claimRef} of application ${appRef}? Every user's value of it is deleted too.`);
        await api.delete(path);
        say(g, `Deleted claim ${claimRef}.`);
      }),
    );
}
