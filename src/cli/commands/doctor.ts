import type { Command } from 'commander';
import { CliError, EXIT } from '../context.js';
import { printJson, printRows } from '../output.js';
import { AdminApi, send } from '../api/client.js';
import { globals } from '../args.js';
import { credentialsMode, credentialsPath, readCredentials } from '../auth/credentials.js';
import { applyInsecure, targetServer } from '../api/session.js';
import { StoredLogin } from '../auth/stored-login.js';
import { cliConfig } from '../server-config.js';
import type { Config } from '../../config/index.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';
export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
}

const MIN_NODE: [number, number] = [20, 19];

export function nodeCheck(version: string): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const isOk = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return { check: 'node', status: isOk ? 'pass' : 'fail', detail: isOk ? `Node ${version}` : `Node ${version}; Porta needs ${MIN_NODE.join('.')} or newer` };
}

export function credentialsFileCheck(file: string, mode: number | null): Check {
  if (mode === null) return { check: 'credentials', status: 'warn', detail: `${file} does not exist: run \`porta login\`` };
  if ((mode & 0o077) !== 0) return { check: 'credentials', status: 'warn', detail: `${file} has mode 0${mode.toString(8)}; run chmod 600 on it` };
  return { check: 'credentials', status: 'pass', detail: `${file} (mode 0${mode.toString(8)})` };
}

async function tokenCheck(server: string): Promise<Check> {
  const file = credentialsPath();
  let credentials;
  try {
    credentials = readCredentials(file);
  } catch (err) {
    return { check: 'token', status: 'fail', detail: (err as Error).message };
  }
  if (!credentials) return { check: 'token', status: 'warn', detail: 'not logged in' };
  if (credentials.server !== server) return { check: 'token', status: 'warn', detail: `the stored login is for ${credentials.server}, not ${server}` };
  const login = new StoredLogin(credentials, file);
  try {
    const res = await new AdminApi(server, login, 'http').raw('GET', `/users/${credentials.user.sub}`);
    const body = (await res.json().catch(() => null)) as { message?: string } | null;
    if (res.status === 401) return { check: 'token', status: 'fail', detail: 'the server rejects the token: run `porta login`' };
    if (res.status === 403 && body?.message?.includes('no admin role')) return { check: 'token', status: 'warn', detail: 'valid, but the account holds no admin role' };
    return { check: 'token', status: 'pass', detail: `valid until ${login.credentials.expiresAt} (${login.credentials.user.email ?? login.credentials.user.sub})` };
  } catch (err) {
    return { check: 'token', status: 'fail', detail: err instanceof Error ? err.message : String(err) };
  }
}

async function endpointCheck(name: string, url: string, judge: (status: number, body: Record<string, unknown> | null) => Check): Promise<Check> {
  try {
    const res = await send(url);
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    return judge(res.status, body);
  } catch (err) {
    return { check: name, status: 'fail', detail: err instanceof Error ? err.message : String(err) };
  }
}

function healthCheck(server: string): Promise<Check> {
  return endpointCheck('health', `${server}/health`, (status, body) => {
    const checks = body?.checks ? ` ${JSON.stringify(body.checks)}` : '';
    return status === 200 ? { check: 'health', status: 'pass', detail: `${server}/health ok${checks}` } : { check: 'health', status: 'fail', detail: `${server}/health answered ${status}${checks}` };
  });
}

function metadataCheck(server: string): Promise<Check> {
  return endpointCheck('admin_metadata', `${server}/api/admin/metadata`, (status, body) => {
    if (status === 200) return { check: 'admin_metadata', status: 'pass', detail: `organization ${String(body?.orgSlug)}, CLI client ${String(body?.clientId)}` };
    if (body?.error === 'not_initialized') return { check: 'admin_metadata', status: 'fail', detail: 'not initialised: run `porta init` on the server' };
    return { check: 'admin_metadata', status: 'fail', detail: `answered ${status}${body?.message ? `: ${String(body.message)}` : ''}` };
  });
}

/**
 * Whether the SMTP server of this machine's SMTP_* settings answers (connection, TLS and login within
 * `timeoutMs`); the server logs the same check at start-up. `/ready` never depends on it.
 */
export async function smtpCheck(config: Readonly<Config>, timeoutMs = 5_000): Promise<Check> {
  if (config.smtp.host === undefined) {
    return config.env === 'production'
      ? { check: 'smtp', status: 'fail', detail: 'SMTP_HOST is not set: e-mails wait in the outbox' }
      : { check: 'smtp', status: 'pass', detail: `SMTP_HOST is not set: e-mails are written to ${config.dataDir}/mail (development)` };
  }
  const { checkSmtp } = await import('../../mail/index.js');
  const result = await checkSmtp(config.smtp, timeoutMs);
  return result.isReachable
    ? { check: 'smtp', status: 'pass', detail: `${result.target} reachable` }
    : { check: 'smtp', status: 'warn', detail: `${result.target} unreachable (${result.error}): e-mails wait in the outbox and are retried` };
}

async function localSmtpCheck(options: Parameters<typeof cliConfig>[0]): Promise<Check> {
  let config;
  try {
    config = cliConfig(options);
  } catch (err) {
    return { check: 'smtp', status: 'warn', detail: `cannot read the SMTP settings: ${err instanceof Error ? err.message : String(err)}` };
  }
  return smtpCheck(config);
}

/** `porta doctor` (spec 30 §2): pass/warn/fail per check; any failure exits 1. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, the credentials file, the token, the server\'s /health and /api/admin/metadata, and SMTP')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      applyInsecure(g);
      const server = targetServer(g);
      const file = credentialsPath();
      const checks: Check[] = [nodeCheck(process.versions.node), credentialsFileCheck(file, credentialsMode(file))];
      checks.push(...(await Promise.all([tokenCheck(server), healthCheck(server), metadataCheck(server), localSmtpCheck(g)])));
      const status: CheckStatus = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
      if (g.json) printJson({ server, status, checks });
      else printRows(checks, ['check', 'status', 'detail']);
      if (status === 'fail') throw new CliError('doctor found a problem', EXIT.runtime, null);
    });
}
