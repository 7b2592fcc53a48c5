import type { Command } from 'commander';
import { confirm } from '../prompt.js';
import { seg } from '../api/client.js';
import { bool, defined, list, positiveInt, readTextFile, requireSome } from '../args.js';
import { CliError, EXIT } from '../context.js';
import { SHOWN_ONCE, dataOf, emit, printHistory, printPage, printRecord, say, type HistoryPage, type Page, printLine } from '../output.js';
import { appId, orgId } from '../api/resolve.js';
import { apiAction } from '../api/session.js';
import { historyQuery, withHistoryOptions } from './org.js';

export const clientPath = (ref: string, suffix = '') => `/clients/${seg(ref)}${suffix}`;

interface Client {
  id: string;
  clientId: string;
  clientName: string;
  loginMethods: string[] | null;
  effectiveLoginMethods: string[];
}

interface ClientFlags {
  name?: string;
  applicationType?: string;
  redirectUris?: string;
  postLogoutUris?: string;
  grantTypes?: string;
  scope?: string;
  corsOrigins?: string;
  authMethod?: string;
  loginMethods?: string;
  requireConsent?: boolean;
  requirePkce?: boolean;
  idTokenAlg?: string;
  idTokenClaims?: string;
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
  jwksFile?: string;
  jwksUri?: string;
}

/** An empty value clears an optional URI (`--jwks-uri ""`). */
const optionalUri = (v: string | undefined) => (v === undefined ? undefined : v.trim() === '' ? null : v);

/** `--jwks-file`: a JWK Set (`{"keys":[…]}`) from a file, `-` for stdin; an empty value clears it. */
function jwksFrom(file: string | undefined): unknown {
  if (file === undefined) return undefined;
  if (file.trim() === '') return null;
  const text = readTextFile(file);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not JSON: give a JWK Set such as {"keys":[{"kty":"EC",…}]}.`, EXIT.usage);
  }
}

const optionalList = (v: string | undefined) => (v === undefined ? undefined : list(v));

/** The fields create and update share (spec 20 §5.5 names). */
function clientFields(o: ClientFlags) {
  return defined({
    clientName: o.name,
    applicationType: o.applicationType,
    redirectUris: optionalList(o.redirectUris),
    postLogoutRedirectUris: optionalList(o.postLogoutUris),
    grantTypes: optionalList(o.grantTypes),
    scope: o.scope,
    allowedOrigins: optionalList(o.corsOrigins),
    tokenEndpointAuthMethod: o.authMethod,
    loginMethods: optionalList(o.loginMethods),
    requireConsent: o.requireConsent,
    requirePkce: o.requirePkce,
    idTokenSignedResponseAlg: o.idTokenAlg,
    idTokenClaims: o.idTokenClaims,
    backchannelLogoutUri: optionalUri(o.backchannelLogoutUri),
    backchannelLogoutSessionRequired: o.backchannelLogoutSessionRequired,
    jwks: jwksFrom(o.jwksFile),
    jwksUri: optionalUri(o.jwksUri),
  });
}

function withClientOptions(cmd: Command, isCreate: boolean): Command {
  const urisHelp = 'comma list of redirect URIs';
  if (isCreate) cmd.requiredOption('--name <name>', 'client name').option('--redirect-uris <uris>', `${urisHelp} (required with the authorization_code grant)`);
  else cmd.option('--name <name>', 'client name').option('--redirect-uris <uris>', urisHelp);
  return cmd
    .option('--application-type <type>', 'web, native or spa (create default: web)')
    .option('--post-logout-uris <uris>', 'comma list of post-logout redirect URIs')
    .option('--grant-types <list>', 'comma list of authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code')
    .option('--scope <scope>', 'space-separated scopes, e.g. "openid profile email"')
    .option('--cors-origins <list>', 'comma list of allowed browser origins')
    .option('--auth-method <method>', 'client_secret_basic, client_secret_post, private_key_jwt or none')
    .option('--jwks-file <file>', 'private_key_jwt: the client\'s public JWK Set as a JSON file (- for stdin; "" clears)')
    .option('--jwks-uri <url>', 'private_key_jwt: where the client publishes its JWK Set ("" clears)')
    .option('--login-methods <list>', 'comma list of password, magic_link, passkey (default: the organization\'s)')
    .option('--require-consent [bool]', 'show the consent page (true or false)', bool)
    .option('--require-pkce [bool]', 'confidential clients: require PKCE (default true; public clients always do)', bool)
    .option('--id-token-alg <alg>', 'ID token signature: RS256 (default), ES256 or PS256')
    .option('--id-token-claims <mode>', 'scopes (default: profile, email… claims in the ID token too) or minimal (userinfo only)')
    .option('--backchannel-logout-uri <url>', 'where logout tokens are POSTed (OIDC Back-Channel Logout; "" clears)')
    .option('--backchannel-logout-session-required [bool]', 'logout tokens carry sid (default true)', bool);
}

/** `porta client …` (spec 30 §4); <client> is the internal id or the OIDC client_id. */
export function registerClient(program: Command): void {
  const client = program.commands.find((c) => c.name() === 'client') ?? program.command('client');
  client.description('OIDC clients; <client> is the internal id or the OIDC client_id');

  withClientOptions(
    client
      .command('create')
      .description('register a client; a confidential client\'s first secret is printed once')
      .requiredOption('--org, --org-id <org>', 'organization id or slug')
      .requiredOption('--app, --app-id <app>', 'application id or slug')
      .requiredOption('--type <type>', 'public or confidential')
      .option('--secret-label <label>', 'label of the first secret'),
    true,
  ).action(
    apiAction<ClientFlags & { orgId: string; appId: string; type: string; secretLabel?: string }>(async (api, g, _args, o) => {
      const body = await api.post<{ data: { client: Client; secret: { plaintext: string } | null }; warning?: string }>('/clients', {
        organizationId: await orgId(api, o.orgId),
        applicationId: await appId(api, o.appId),
        clientType: o.type,
        ...clientFields(o),
        ...defined({ secretLabel: o.secretLabel }),
      });
      emit(g, body, () => {
        printLine('Created client:');
        printRecord(body.data.client as unknown as Record<string, unknown>);
        if (body.data.secret) printLine(`\nClient secret:\n\n  ${body.data.secret.plaintext}\n\n${SHOWN_ONCE}`);
      });
    }),
  );

  client
    .command('list')
    .description('list clients')
    .option('--org, --org-id <org>', 'organization id or slug')
    .option('--app, --app-id <app>', 'application id or slug')
    .option('--status <status>', 'active, inactive or revoked')
    .option('--search <text>', 'name or client_id contains')
    .option('--page <n>', 'page number', positiveInt)
    .option('--page-size <n>', 'rows per page (1-100)', positiveInt)
    .action(
      apiAction<{ orgId?: string; appId?: string; status?: string; search?: string; page?: number; pageSize?: number }>(async (api, g, _args, o) => {
        const body = await api.get<Page<Client>>('/clients', {
          organizationId: o.orgId === undefined ? undefined : await orgId(api, o.orgId),
          applicationId: o.appId === undefined ? undefined : await appId(api, o.appId),
          status: o.status,
          search: o.search,
          page: o.page,
          pageSize: o.pageSize,
        });
        emit(g, body, () => printPage(body, ['id', 'clientId', 'clientName', 'clientType', 'applicationType', 'status', 'organizationId', 'applicationId']));
      }),
    );

  client
    .command('show <client>')
    .description('one client')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(clientPath(ref!));
        emit(g, body, () => printRecord(dataOf(body)));
      }),
    );

  withClientOptions(client.command('update <client>').description('change a client\'s settings'), false).action(
    apiAction<ClientFlags>(async (api, g, [ref], o) => {
      const input = clientFields(o);
      requireSome(input, 'one of the client flags (see --help)');
      const body = await api.put(clientPath(ref!), input);
      emit(g, body, () => printRecord(dataOf(body)));
    }),
  );

  client
    .command('revoke <client>')
    .description('revoke for good: its grants and tokens are deleted (asks first)')
    .action(
      apiAction(async (api, g, [ref]) => {
        await confirm(g, `Revoke client ${ref} for good? Its grants and tokens are deleted and it cannot be activated again.`);
        await api.post(clientPath(ref!, '/revoke'));
        say(g, `Revoked client ${ref}.`);
      }),
    );

  for (const [name, done] of [
    ['activate', 'Activated'],
    ['deactivate', 'Deactivated'],
  ] as const) {
    client
      .command(`${name} <client>`)
      .description(name === 'activate' ? 'activate an inactive client' : 'deactivate: it cannot authorize until activated')
      .action(
        apiAction(async (api, g, [ref]) => {
          await api.post(clientPath(ref!, `/${name}`));
          say(g, `${done} client ${ref}.`);
        }),
      );
  }

  withHistoryOptions(client.command('history <client>').description('audit history of the client, newest first')).action(
    apiAction<{ limit?: number; eventType?: string; after?: string }>(async (api, g, [ref], o) => {
      const body = await api.get<HistoryPage>(clientPath(ref!, '/history'), historyQuery(o));
      emit(g, body, () => printHistory(body));
    }),
  );

  registerLoginMethods(client);
}

function registerLoginMethods(client: Command): void {
  const methods = client.command('login-methods').description('the client\'s own login methods, or inherit the organization\'s');
  const show = (body: unknown) => {
    const c = dataOf<Client>(body);
    printRecord({ override: c.loginMethods ?? '(none: inherits the organization\'s)', effective: c.effectiveLoginMethods });
  };

  methods
    .command('get <client>')
    .description('the override and the effective methods')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.get(clientPath(ref!));
        emit(g, body, () => show(body));
      }),
    );

  methods
    .command('set <client>')
    .description('set the client\'s own methods')
    .requiredOption('--methods <list>', 'comma list of password, magic_link, passkey')
    .action(
      apiAction<{ methods: string }>(async (api, g, [ref], o) => {
        const body = await api.put(clientPath(ref!), { loginMethods: list(o.methods) });
        emit(g, body, () => show(body));
      }),
    );

  methods
    .command('clear <client>')
    .description('inherit the organization\'s methods again')
    .action(
      apiAction(async (api, g, [ref]) => {
        const body = await api.put(clientPath(ref!), { loginMethods: null });
        emit(g, body, () => show(body));
      }),
    );
}
