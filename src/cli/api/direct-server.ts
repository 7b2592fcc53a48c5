import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { isAppError } from '../../platform/errors.js';
import { createLog } from '../../platform/log.js';
import { CliError, EXIT, type GlobalOptions } from '../context.js';
import { cliConfig } from '../server-config.js';
import { AdminApi } from './client.js';

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}

/** The embedded database is held by a server (or another command): use the server instead. */
function serverRunning(err: unknown): unknown {
  if (!isAppError(err) || err.code !== 'data_dir_locked') return err;
  return new CliError(`server running: use porta login (and the Admin API) instead of direct mode.\n${err.message}`, EXIT.runtime, { error: 'server_running', message: err.message });
}

/**
 * Direct mode (spec 30 §1): Porta built in-process on the configured database and store, only its admin
 * API served (no OIDC engines, no start-up work) on 127.0.0.1:0 and called with a one-off random token,
 * so both modes send the same requests and get the same bodies, checks and audit entries (the actor is
 * the CLI in direct mode, source `cli-direct`).
 */
export async function openDirectApi(g: GlobalOptions): Promise<{ api: AdminApi; close(): Promise<void> }> {
  let config = cliConfig(g);
  // The admin API sets no cookies; a per-process key keeps createPorta from warning about it.
  if (config.cookieKeys.length === 0) config = Object.freeze({ ...config, cookieKeys: [randomBytes(32).toString('base64url')] });
  const log = createLog({ env: config.env === 'test' ? 'test' : 'production', level: config.logLevel, destination: process.stderr });
  const token = randomBytes(32).toString('base64url');
  const [{ createPorta }, { listen }, { openDb }] = await Promise.all([import('../../app.js'), import('../../server.js'), import('../../platform/db/index.js')]);
  const db = await openDb(config.database, { purpose: 'cli', log, isShortLived: true }).catch((err: unknown) => {
    throw serverRunning(err);
  });
  const porta = await createPorta({ config, log, db, purpose: 'cli', adminDirect: { token, osUser: osUser() }, surface: 'admin' });
  const running = await listen(porta, { port: 0, host: '127.0.0.1' }).catch(async (err: unknown) => {
    await porta.close();
    throw err;
  });
  const api = new AdminApi(running.url, { token: async () => token, refresh: async () => null }, 'direct');
  return { api, close: () => running.shutdown() };
}
