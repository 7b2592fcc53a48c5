import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { readCredentials } from '../auth/credentials.js';
import { normalizeServer } from '../auth/oauth.js';
import { openStoredLogin } from '../auth/stored-login.js';
import { AdminApi, notLoggedIn } from './client.js';
import { currentMode } from './mode.js';

export const DEFAULT_SERVER = 'http://localhost:3000';

/** `--insecure`: accept self-signed TLS certificates for this process (Node reads this per connection). */
export function applyInsecure(g: GlobalOptions): void {
  if (g.insecure) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}

/** The server a command means: `--server`, `PORTA_SERVER`, the stored login's, else the default. */
export function targetServer(g: GlobalOptions): string {
  let stored: string | undefined;
  try {
    stored = readCredentials()?.server;
  } catch {
    stored = undefined;
  }
  return normalizeServer(g.server ?? (process.env.PORTA_SERVER || undefined) ?? stored ?? DEFAULT_SERVER);
}

export interface ApiSession {
  api: AdminApi;
  close(): Promise<void>;
}

/** The Admin API in the selected mode (spec 30 §1): the server with the stored login, or served in-process. */
export async function openApi(g: GlobalOptions): Promise<ApiSession> {
  applyInsecure(g);
  const mode = currentMode(g);
  if (mode.kind === 'none') throw notLoggedIn();
  if (mode.kind === 'direct') {
    // Loaded on demand: Porta itself is needed only in direct mode.
    const { openDirectApi } = await import('./direct-server.js');
    return openDirectApi(g);
  }
  const login = openStoredLogin(mode.server);
  return { api: new AdminApi(login.credentials.server, login, 'http'), close: async () => undefined };
}

/** Runs `fn` with the Admin API and always releases it (direct mode stops its in-process server). */
export async function withApi<T>(g: GlobalOptions, fn: (api: AdminApi) => Promise<T>): Promise<T> {
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
export function apiAction<O = Record<string, unknown>>(fn: (api: AdminApi, g: GlobalOptions, args: string[], opts: O) => Promise<void>) {
  return async (...all: unknown[]): Promise<void> => {
    const cmd = all.at(-1) as Command;
    const opts = all.at(-2) as O;
    const g = cmd.optsWithGlobals<GlobalOptions>();
    await withApi(g, (api) => fn(api, g, all.slice(0, -2) as string[], opts));
  };
}
