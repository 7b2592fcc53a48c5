import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedDb } from '../../src/platform/db/index.js';
import { runPorta } from '../support/cli.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-first-run-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Environment of a newcomer: no DATABASE_URL, no REDIS_URL, no secrets. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', PORTA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...extra };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.COOKIE_KEYS;
  delete env.TWO_FACTOR_ENCRYPTION_KEY;
  delete env.PORTA_TEST_REQUIRE_SERVICES;
  return env;
}

function startMain(env: NodeJS.ProcessEnv) {
  const child = spawn(tsx, [path.join(root, 'src/main.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Development logs are pretty-printed: the message line, then one indented `key: value` line per field.
  const started = new Promise<{ url: string; text: string }>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const at = out.indexOf('server.started');
      const url = /url: "(http:\/\/[^"]+)"/.exec(out.slice(at));
      if (at >= 0 && url && /issuer: /.test(out.slice(at))) resolve({ url: url[1]!, text: out.slice(at) });
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}${out}`)));
  });
  // Runs that are expected to fail never await `started`.
  started.catch(() => undefined);
  return { child, started, exited, output: () => out + err };
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting for output');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
  return runPorta(args, { env });
}

// Each step starts tsx and opens PGlite; several servers and CLI runs per test need room on a loaded machine.
describe('first run on the embedded defaults (npm start)', { timeout: 120_000 }, () => {
  it('is production when NODE_ENV is unset (seed 000): a bare start without the production settings refuses, listing each', async () => {
    const env = cleanEnv();
    delete env.NODE_ENV;
    const { exited, output } = startMain(env);
    expect(await exited).toBe(1);
    const text = output();
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'ISSUER_BASE_URL', 'COOKIE_KEYS', 'TWO_FACTOR_ENCRYPTION_KEY', 'SMTP_HOST']) {
      expect(text).toContain(`${name} is required in production`);
    }
    // Nothing was created: no embedded database, no printed admin password.
    expect(text).not.toMatch(/password/i);
    expect(fs.existsSync(path.join(dataDir, 'data'))).toBe(false);
  });

  it('refuses to start in production without the required settings, listing every problem', async () => {
    const { exited, output } = startMain(cleanEnv());
    expect(await exited).toBe(1);
    const text = output();
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'ISSUER_BASE_URL', 'COOKIE_KEYS', 'TWO_FACTOR_ENCRYPTION_KEY', 'SMTP_HOST']) {
      expect(text).toContain(`${name} is required in production`);
    }
  });

  const devEnv = () => cleanEnv({ NODE_ENV: 'development' });

  it('starts, migrates, says which backends it uses, and keeps its data across restarts', async () => {
    const first = startMain(devEnv());
    const { url, text } = await first.started;
    expect(text).toContain(`server.started: database: embedded PostgreSQL (PGlite) in ${path.join(dataDir, 'data')}; ephemeral store: in-process store`);
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });

    // Spec 00 "First run": outside production the empty database gets a first admin, printed once.
    await waitFor(() => /CLI client id: +porta-admin-cli/.test(first.output()), 30_000);
    const banner = first.output();
    expect(banner).toContain('Porta bootstrapped a first admin');
    // Spec 70 §3: the admin login line names the console.
    expect(banner).toMatch(/admin login: +http:\/\/\S+:\d+\/admin +\(CLI: porta login --server http:\/\/\S+\)\n/);
    expect((await fetch(`${url}/admin`)).status).not.toBe(404);
    expect(banner).toMatch(/e-mail: +admin@porta\.local/);
    expect(banner).toMatch(/password: +[A-Za-z0-9]{20}\n/);
    const metadata = await fetch(`${url}/api/admin/metadata`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { clientId: string }).clientId).toBe('porta-admin-cli');
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { cookieKeys: string[] };
    expect(fs.statSync(path.join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);

    // A second process on the same data directory fails at once with advice, and corrupts nothing.
    const second = startMain(devEnv());
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by a running Porta server \(pid \d+/);
    const status = await cli(['migrate', 'status'], devEnv());
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/in use by a running Porta server.*porta login/s);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    // `porta health` checks the running server over HTTP.
    const healthCli = await cli(['health', '--server', url], devEnv());
    expect(healthCli.status).toBe(0);
    expect(healthCli.stdout).toMatch(/SERVICE\s+STATUS\nserver\s+ok\ndatabase\s+ok\nredis\s+ok/);
    const healthJson = await cli(['health', '--json'], { ...devEnv(), PORTA_SERVER: url });
    expect(JSON.parse(healthJson.stdout)).toEqual({ status: 'ok', checks: { server: 'ok', database: 'ok', redis: 'ok' } });

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Write a marker directly, restart, and find it (and the same secrets) again.
    const db = await createEmbeddedDb({ dataDir: path.join(dataDir, 'data') });
    await db.query("UPDATE system_config SET value = '123' WHERE key = 'audit_retention_days'");
    await db.close();
    const again = startMain(devEnv());
    const restarted = await again.started;
    expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
    expect(again.output()).not.toContain('Porta bootstrapped a first admin');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    const check = await createEmbeddedDb({ dataDir: path.join(dataDir, 'data') });
    expect(await check.one("SELECT value FROM system_config WHERE key = 'audit_retention_days'")).toEqual({ value: 123 });
    await check.close();
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'))).toEqual(secrets);
  });

  it('prints help, and fails clearly on usage errors and unreachable servers', async () => {
    const help = await cli(['--help'], devEnv());
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: porta/);
    expect(help.stdout).toMatch(/migrate/);
    expect(help.stdout).toMatch(/health/);
    const bad = await cli(['migrate', 'down', '--count', 'zero'], devEnv());
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('porta: --count must be a positive whole number\n');
    const unknown = await cli(['frobnicate'], devEnv());
    expect(unknown.status).toBe(2);
    const down = await cli(['health', '--server', 'http://127.0.0.1:9'], devEnv());
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^porta: cannot reach http:\/\/127.0.0.1:9\/health/);
  });

  it('refuses a second porta init on an initialised database (exit 6) and changes nothing', async () => {
    const init = await cli(['init', '--email', 'second@porta.local', '--password', 'another-password-1', '--json'], devEnv());
    expect(init.status).toBe(6);
    expect(JSON.parse(init.stderr)).toMatchObject({ error: 'already_initialized' });
  });

  it('checks the stores directly with health --direct', async () => {
    const direct = await cli(['health', '--direct', '--json'], devEnv());
    expect(direct.status).toBe(0);
    expect(JSON.parse(direct.stdout)).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  });

  it('lets the CLI migrate and report status directly once the server is stopped', async () => {
    const status = await cli(['migrate', 'status', '--json'], devEnv());
    expect(status.stderr).toBe('');
    expect(status.status).toBe(0);
    const body = JSON.parse(status.stdout) as { applied: Array<{ name: string }>; pending: string[] };
    expect(body.applied.map((m) => m.name)).toContain('001_platform');
    expect(body.pending).toEqual([]);
    // Without a terminal a roll-back needs --force: it drops what the migration made, data included.
    const unconfirmed = await cli(['migrate', 'down', '--count', '1'], devEnv());
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toMatch(/Roll back \d+_.*--force/s);
    const down = await cli(['migrate', 'down', '--count', '1', '--force'], devEnv());
    expect(down.stdout).toMatch(/Rolled back 1: \d+_/);
    const table = await cli(['migrate', 'status'], devEnv());
    expect(table.stdout).toMatch(/pending/);
    const up = await cli(['migrate', 'up'], devEnv());
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/Applied 1:/);
  });
});
