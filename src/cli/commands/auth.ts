import type { Command } from 'commander';
import { PORTA_VERSION } from '../../version.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { printJson, printLine, printNote, printRecord } from '../output.js';
import { AdminApi } from '../api/client.js';
import { globals } from '../args.js';
import { credentialsPath, deleteCredentials, readCredentials } from '../auth/credentials.js';
import { isContainer, login } from '../auth/login.js';
import { fetchDiscovery, fetchMetadata, fetchUserinfo, normalizeServer, revokeToken } from '../auth/oauth.js';
import { DEFAULT_SERVER, applyInsecure } from '../api/session.js';
import { openStoredLogin, type StoredLogin } from '../auth/stored-login.js';
import { registerDoctor } from './doctor.js';

/** `porta login`, `logout`, `whoami`, `version`, `doctor` (spec 30 §2). */
export function registerAuth(program: Command): void {
  program
    .command('login')
    .description(`sign in to a Porta server (default ${DEFAULT_SERVER}) and store the tokens in ~/.porta/credentials.json`)
    .option('--client-id <id>', 'the admin CLI client (default: the one the server announces)')
    .option('--no-browser', 'print the URL and paste the callback URL instead of opening a browser (automatic in containers)')
    .action(async (opts: { clientId?: string; browser: boolean }, cmd: Command) => {
      const g = globals(cmd);
      applyInsecure(g);
      const server = normalizeServer(g.server ?? (process.env.PORTA_SERVER || undefined) ?? DEFAULT_SERVER);
      const { credentials, roles } = await login({ server, clientId: opts.clientId, isManual: !opts.browser || isContainer(), file: credentialsPath() });
      if (!credentials.refreshToken) printNote('Warning: the server returned no refresh token; run `porta login` again when the access token expires.');
      const { accessToken: _a, refreshToken: _r, idToken: _i, ...visible } = credentials;
      if (g.json) return printJson({ ...visible, roles });
      printLine(
        `Logged in to ${credentials.server} as ${credentials.user.email ?? credentials.user.sub} (organization ${credentials.orgSlug}).\n` +
          `Admin roles: ${roles.length > 0 ? roles.join(', ') : '(none)'}. Token valid until ${credentials.expiresAt}.`,
      );
    });

  program
    .command('logout')
    .description('revoke the stored refresh token (best effort) and delete the credentials file')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      applyInsecure(g);
      const file = credentialsPath();
      const credentials = readCredentials(file);
      if (!credentials) {
        if (g.json) printJson({ loggedOut: false });
        else printLine('Not logged in.');
        return;
      }
      const isRevoked = await revokeStored(credentials.server, credentials.clientId, credentials.refreshToken, credentials.accessToken);
      deleteCredentials(file);
      if (g.json) return printJson({ loggedOut: true, server: credentials.server, revoked: isRevoked });
      printLine(`Logged out of ${credentials.server}.${isRevoked ? '' : ' The server could not be asked to revoke the tokens; they expire on their own.'}`);
    });

  program
    .command('whoami')
    .description('the logged-in admin: user id, e-mail, organization, admin roles, server, token expiry')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      applyInsecure(g);
      const session = openStoredLogin(g.server ?? (process.env.PORTA_SERVER || undefined) ?? null);
      const info = await userinfoOf(session);
      const c = session.credentials;
      const body = {
        server: c.server,
        orgSlug: c.orgSlug,
        user: { sub: c.user.sub, email: typeof info.email === 'string' ? info.email : c.user.email, name: typeof info.name === 'string' ? info.name : c.user.name },
        roles: Array.isArray(info.roles) ? info.roles.map(String) : [],
        expiresAt: c.expiresAt,
      };
      if (g.json) return printJson(body);
      printRecord({
        user_id: body.user.sub,
        email: body.user.email,
        name: body.user.name,
        organization: body.orgSlug,
        admin_roles: body.roles.length > 0 ? body.roles : '(none)',
        server: body.server,
        token_expires: body.expiresAt,
      });
    });

  program
    .command('version')
    .description('the CLI version and, when logged in, the server version')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      applyInsecure(g);
      const server = readCredentials() ? await serverVersion(g) : null;
      if (g.json) return printJson({ cli: PORTA_VERSION, server });
      printLine(`porta CLI ${PORTA_VERSION}`);
      if (server) printLine(`server ${server.version ?? 'unknown'} (${server.url})`);
    });

  registerDoctor(program);
}

async function revokeStored(server: string, clientId: string, refreshToken: string | null, accessToken: string): Promise<boolean> {
  try {
    const metadata = await fetchMetadata(server);
    const endpoint = (await fetchDiscovery(metadata.issuer)).revocation_endpoint;
    if (typeof endpoint !== 'string') return false;
    const results = await Promise.all([
      refreshToken ? revokeToken(endpoint, clientId, refreshToken, 'refresh_token') : Promise.resolve(true),
      revokeToken(endpoint, clientId, accessToken, 'access_token'),
    ]);
    return results.every(Boolean);
  } catch {
    return false;
  }
}

/** userinfo of the stored login (roles of the admin application come as the `roles` claim). */
export async function userinfoOf(session: StoredLogin): Promise<Record<string, unknown>> {
  const metadata = await fetchMetadata(session.credentials.server);
  const endpoint = (await fetchDiscovery(metadata.issuer)).userinfo_endpoint;
  if (typeof endpoint !== 'string') throw new CliError(`${metadata.issuer} offers no userinfo endpoint.`, EXIT.runtime);
  try {
    return await fetchUserinfo(endpoint, await session.token());
  } catch (err) {
    const fresh = err instanceof CliError && err.exitCode === EXIT.auth ? await session.refresh() : null;
    if (!fresh) throw err;
    return fetchUserinfo(endpoint, fresh);
  }
}

/**
 * `X-Porta-Version` comes only with authenticated admin answers: ask a read route each built-in
 * admin role may use until one answers with it.
 */
async function serverVersion(g: GlobalOptions): Promise<{ url: string; version: string | null }> {
  const session = openStoredLogin(g.server ?? (process.env.PORTA_SERVER || undefined) ?? null);
  const api = new AdminApi(session.credentials.server, session, 'http');
  for (const path of [`/users/${session.credentials.user.sub}`, '/organizations?pageSize=1', '/applications?pageSize=1']) {
    const res = await api.raw('GET', path);
    await res.body?.cancel();
    const version = res.headers.get('x-porta-version');
    if (version) return { url: session.credentials.server, version };
    if (res.status === 401) break;
  }
  return { url: session.credentials.server, version: null };
}
