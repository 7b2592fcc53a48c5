import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { AdminApi, notLoggedIn, type TokenSource } from './api.js';
import { credentialsPath, readCredentials, writeCredentials, type Credentials } from './credentials.js';
import { openDirectApi } from './direct-server.js';
import { currentMode, type CliOptions } from './mode.js';
import { fetchMetadata, normalizeServer, refreshTokens } from './oauth.js';

export const DEFAULT_SERVER = 'http://localhost:3000';

/** `--insecure`: accept self-signed TLS certificates for this process (Node reads this per connection). */
export function applyInsecure(g: CliOptions): void {
  if (g.insecure) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}

/** The server a command means: `--server`, `PORTA_SERVER`, the stored login's, else the default. */
export function targetServer(g: CliOptions): string {
  let stored: string | undefined;
  try {
    stored = readCredentials()?.server;
  } catch {
    stored = undefined;
  }
  return normalizeServer(g.server ?? (process.env.PORTA_SERVER || undefined) ?? stored ?? DEFAULT_SERVER);
}

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

export interface ApiSession {
  api: AdminApi;
  close(): Promise<void>;
}

/** The Admin API in the selected mode (spec 30 §1). */
export async function openApi(g: CliOptions): Promise<ApiSession> {
  applyInsecure(g);
  const mode = currentMode(g);
  if (mode.kind === 'none') throw notLoggedIn();
  if (mode.kind === 'direct') return openDirectApi(g);
  const login = openStoredLogin(mode.server);
  return { api: new AdminApi(login.credentials.server, login, 'http'), close: async () => undefined };
}

/** Runs `fn` with the Admin API and always releases it (direct mode stops its in-process server). */
export async function withApi<T>(g: CliOptions, fn: (api: AdminApi) => Promise<T>): Promise<T> {
  const session = await openApi(g);
  try {
    return await fn(session.api);
  } finally {
    await session.close();
  }
}

/**
 * A commander action with the Admin API open: `fn(api, g, args, opts)` where `args` are the
 * positional arguments (a variadic one arrives as an array) and `opts` the command's own options.
 */
export function apiAction<O = Record<string, unknown>>(fn: (api: AdminApi, g: CliOptions, args: string[], opts: O) => Promise<void>) {
  return async (...all: unknown[]): Promise<void> => {
    const cmd = all.at(-1) as Command;
    const opts = all.at(-2) as O;
    const g = cmd.optsWithGlobals<CliOptions>();
    await withApi(g, (api) => fn(api, g, all.slice(0, -2) as string[], opts));
  };
}
