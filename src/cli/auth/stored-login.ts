import { CliError, EXIT } from '../context.js';
import { notLoggedIn, type TokenSource } from '../api/client.js';
import { credentialsPath, readCredentials, writeCredentials, type Credentials } from './credentials.js';
import { fetchMetadata, normalizeServer, refreshTokens } from './oauth.js';

/** Spec 30 §1: the stored token is refreshed when less than this remains. */
export const REFRESH_MARGIN_MS = 60_000;

export function needsRefresh(expiresAt: string, now: number): boolean {
  const at = Date.parse(expiresAt);
  return !Number.isFinite(at) || at - now < REFRESH_MARGIN_MS;
}

const sessionExpired = () =>
  new CliError('Your login has expired: run `porta login` again.', EXIT.auth, { error: 'unauthorized', message: 'Your login has expired: run `porta login` again.' });

/** The stored login as a token source: refreshes ahead of expiry and once after a 401, saving the new tokens. */
export class StoredLogin implements TokenSource {
  private hasRefreshed = false;

  constructor(
    private current: Credentials,
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  get credentials(): Credentials {
    return this.current;
  }

  async token(): Promise<string> {
    if (!needsRefresh(this.current.expiresAt, this.now())) return this.current.accessToken;
    const isExpired = !(Date.parse(this.current.expiresAt) > this.now());
    try {
      const fresh = await this.refresh();
      if (fresh) return fresh;
    } catch (err) {
      if (isExpired) throw err;
      // Still valid for a few seconds: use it rather than fail on a refresh hiccup.
      return this.current.accessToken;
    }
    if (isExpired) throw sessionExpired();
    return this.current.accessToken;
  }

  async refresh(): Promise<string | null> {
    if (this.hasRefreshed || !this.current.refreshToken) return null;
    this.hasRefreshed = true;
    const metadata = await fetchMetadata(this.current.server);
    let set;
    try {
      set = await refreshTokens(metadata.token_endpoint, this.current.clientId, this.current.refreshToken, this.now());
    } catch (err) {
      if (err instanceof CliError && err.exitCode === EXIT.auth) throw sessionExpired();
      throw err;
    }
    this.current = {
      ...this.current,
      accessToken: set.accessToken,
      refreshToken: set.refreshToken ?? this.current.refreshToken,
      idToken: set.idToken ?? this.current.idToken,
      expiresAt: set.expiresAt,
    };
    writeCredentials(this.current, this.file);
    return this.current.accessToken;
  }
}

/** The stored login, checked against `--server`/`PORTA_SERVER` when one is named. */
export function openStoredLogin(server: string | null): StoredLogin {
  const file = credentialsPath();
  const credentials = readCredentials(file);
  const target = server ? normalizeServer(server) : null;
  if (!credentials) throw notLoggedIn(target ? ` to ${target}` : '');
  if (target && target !== credentials.server) throw notLoggedIn(` to ${target} (the stored login is for ${credentials.server})`);
  return new StoredLogin(credentials, file);
}
