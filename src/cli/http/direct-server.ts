import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Porta } from '../../app.js';
import { createLog } from '../../platform/log.js';
import { isAppError } from '../../platform/errors.js';
import { cliConfig, CliError, EXIT } from '../context.js';
import { AdminApi } from './api.js';
import type { CliOptions } from './mode.js';

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}

/**
 * Direct mode (spec 30 §1): Porta built in-process on the configured database and store, its admin
 * API served on 127.0.0.1:0 and called with a one-off random token, so both modes send the same
 * requests and get the same bodies, checks and audit entries (actor null, source `cli-direct`).
 */
export async function openDirectApi(g: CliOptions): Promise<{ api: AdminApi; close(): Promise<void> }> {
  let config = cliConfig(g);
  // The admin API sets no cookies; a per-process key keeps createPorta from warning about it.
  if (config.cookieKeys.length === 0) config = Object.freeze({ ...config, cookieKeys: [randomBytes(32).toString('base64url')] });
  const log = createLog({ env: config.env === 'test' ? 'test' : 'production', level: config.logLevel, destination: process.stderr });
  const token = randomBytes(32).toString('base64url');
  // Loaded on demand: the OIDC engine is heavy and HTTP-mode commands never need it.
  const [{ createPorta }, { listen }] = await Promise.all([import('../../app.js'), import('../../server.js')]);
  let porta: Porta;
  try {
    porta = await createPorta({ config, log, purpose: 'cli', adminDirect: { token, osUser: osUser() }, schemaCheckIntervalMs: 3_600_000 });
  } catch (err) {
    if (isAppError(err) && err.code === 'data_dir_locked') {
      throw new CliError(`server running: use porta login (and the Admin API) instead of direct mode.\n${err.message}`, EXIT.runtime, { error: 'server_running', message: err.message });
    }
    throw err;
  }
  const running = await listen(porta, { port: 0, host: '127.0.0.1' }).catch(async (err: unknown) => {
    await porta.close();
    throw err;
  });
  const api = new AdminApi(running.url, { token: async () => token, refresh: async () => null }, 'direct');
  return { api, close: () => running.shutdown() };
}
