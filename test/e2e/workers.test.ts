/**
 * PORTA_WORKERS (issue 13 item 4): the real entry point, `node --import tsx src/main.ts`, as a child
 * process in a process group of its own, so that the primary and every worker it forked are killed
 * when a test ends, passed or failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedisNamespace, describeWithServices } from '../support/services.js';

const root = path.resolve(import.meta.dirname, '../..');
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type LogLine = Record<string, unknown> & { msg: string };

interface Started {
  child: ChildProcess;
  url: string;
  lines: () => LogLine[];
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts src/main.ts; the whole process group is SIGKILLed after the test. */
function startMain(env: Record<string, string>, port: number): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
    cwd: root, env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  cleanups.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = () =>
    out.split('\n').flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child, url: `http://127.0.0.1:${port}`, lines, output: () => out, exited,
    async waitFor(match, what, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = lines().find(match);
        if (found) return found;
        if (hasExited || Date.now() > until) throw new Error(`no ${what} in the log${hasExited ? ' (the server exited)' : ''}:\n${out.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** One request on a connection of its own: each connection is dealt to the next worker. */
function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The pids of the `http.request` lines for `path` logged after `since` lines. */
function requestPids(server: Started, since: number, requestPath: string): Set<number> {
  return new Set(server.lines().slice(since).filter((l) => l.msg === 'http.request' && l.path === requestPath).map((l) => l.pid as number));
}

/** Processes whose parent is `pid` and that run src/main.ts: the cluster's workers. */
function workerProcesses(pid: number): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === pid && fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('src/main.ts')) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function productionEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const database = await createTestDatabase();
  const ns = createTestRedisNamespace();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-workers-'));
  // Runs after the process group is killed (cleanups run last-in, first-out).
  cleanups.push(async () => {
    await database.drop();
    await ns.clear();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    NODE_ENV: 'production', LOG_LEVEL: 'info', PORTA_DATA_DIR: dataDir,
    DATABASE_URL: database.url, REDIS_URL: ns.url, REDIS_KEY_PREFIX: ns.keyPrefix, PORTA_AUTO_MIGRATE: 'true',
    COOKIE_KEYS: randomBytes(32).toString('base64url'), TWO_FACTOR_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    // Never resolves: the start-up SMTP check fails quickly and nothing is sent.
    SMTP_HOST: 'smtp.invalid', SMTP_PORT: '587', SMTP_FROM: 'porta@example.com',
    ...extra,
  };
}

describeWithServices('PORTA_WORKERS on PostgreSQL and Redis (real processes)', () => {
  it('two workers share the port, once-only start-up work runs once, /metrics adds up both, a killed worker is replaced, SIGTERM drains and exits 0', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const server = startMain(await productionEnv({ PORTA_WORKERS: '2', METRICS_ENABLED: 'true', ISSUER_BASE_URL: `http://127.0.0.1:${port}` }), port);
    const started = await server.waitFor((l) => l.msg.startsWith('server.started'), 'server.started', 120_000);
    expect(started).toMatchObject({ workers: 2, url: server.url });
    const pids = started.pids as number[];
    expect(pids).toHaveLength(2);
    expect(workerProcesses(server.child.pid!)).toEqual([...pids].sort((a, b) => a - b));

    // Once, by worker 1, before worker 2 was started: migrations, signing keys, the first-run warning (and the SMTP check).
    const lines = server.lines();
    for (const event of ['migrations.applied', 'keys.created_initial', 'system.not_initialized', 'mail.smtp_']) {
      const logged = lines.filter((l) => l.msg.startsWith(event));
      if (event !== 'mail.smtp_') expect(logged.length, event).toBeGreaterThan(0);
      for (const line of logged) expect(line.worker, event).toBe(1);
    }
    expect(lines.filter((l) => l.msg.startsWith('migrations.applied'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.startsWith('keys.created_initial'))).toHaveLength(2);
    const secondWorkerFirstLine = lines.findIndex((l) => l.worker === 2);
    expect(secondWorkerFirstLine === -1 || secondWorkerFirstLine > lines.findIndex((l) => l.msg.startsWith('migrations.applied'))).toBe(true);
    // The configuration is described once, by the primary (no worker binding).
    expect(lines.filter((l) => l.msg.startsWith('server.started'))).toHaveLength(1);

    // Round-robin: connections go to both workers.
    let since = server.lines().length;
    for (let i = 0; i < 12; i++) expect((await getOnce(`${server.url}/`)).status).toBe(200);
    await server.waitFor(() => requestPids(server, since, '/').size === 2 || server.lines().slice(since).filter((l) => l.msg === 'http.request').length >= 12, 'request lines');
    expect(requestPids(server, since, '/')).toEqual(new Set(pids));

    // /metrics answers for the cluster, whichever worker the scrape reaches.
    for (let i = 0; i < 2; i++) {
      const metrics = await getOnce(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metricValue(metrics.body, 'porta_http_requests_total{method="GET",status_code="200",path="/"}')).toBe(12);
      expect(metricValue(metrics.body, 'porta_cluster_workers')).toBe(2);
      expect(metricValue(metrics.body, 'porta_cluster_worker_restarts_total')).toBe(0);
    }

    // Worker 1 killed outright is replaced, and worker 2 serves meanwhile.
    const [victim, survivor] = pids as [number, number];
    process.kill(victim, 'SIGKILL');
    const died = await server.waitFor((l) => l.msg === 'cluster.worker_died', 'cluster.worker_died');
    expect(died).toMatchObject({ pid: victim, signal: 'SIGKILL' });
    expect(died.restartInMs).toBeGreaterThan(0);
    since = server.lines().length;
    for (let i = 0; i < 4; i++) expect((await getOnce(`${server.url}/`)).status).toBe(200);
    const replaced = await server.waitFor((l) => l.msg === 'cluster.worker_replaced', 'cluster.worker_replaced', 90_000);
    expect(replaced.worker).toBe(1);
    const newcomer = replaced.pid as number;
    expect(pids).not.toContain(newcomer);
    expect(workerProcesses(server.child.pid!)).toEqual([survivor, newcomer].sort((a, b) => a - b));
    since = server.lines().length;
    for (let i = 0; i < 12; i++) expect((await getOnce(`${server.url}/`)).status).toBe(200);
    await server.waitFor(() => requestPids(server, since, '/').size === 2 || server.lines().slice(since).filter((l) => l.msg === 'http.request').length >= 12, 'request lines');
    expect(requestPids(server, since, '/')).toEqual(new Set([survivor, newcomer]));
    const after = await getOnce(`${server.url}/metrics`);
    expect(metricValue(after.body, 'porta_cluster_worker_restarts_total')).toBe(1);
    expect(metricValue(after.body, 'porta_cluster_workers')).toBe(2);
    // The new worker 1 takes over the periodic jobs and finds nothing to migrate.
    expect(server.lines().filter((l) => l.msg.startsWith('migrations.applied'))).toHaveLength(1);

    // SIGTERM drains: a request still arriving (a chunked body not yet complete) is answered, new connections are refused.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    await server.waitFor((l) => l.msg === 'server.stopping' && l.worker === undefined, 'server.stopping of the primary', 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await expect(getOnce(`${server.url}/`)).rejects.toThrow();
    expect(server.child.exitCode).toBeNull();
    socket.write('0\r\n\r\n');
    // Answered, then the connection is closed by the draining worker.
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const stopped = server.lines().filter((l) => l.msg === 'server.stopped');
    expect(new Set(stopped.map((l) => l.worker))).toEqual(new Set([undefined, 1, 2]));
    expect(workerProcesses(server.child.pid!)).toEqual([]);
  });

  it('exits 1 when worker 1 cannot start, leaving no worker behind', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const closed = await freePort();
    const server = startMain(
      await productionEnv({
        PORTA_WORKERS: '2', ISSUER_BASE_URL: `http://127.0.0.1:${port}`, PORTA_WAIT_TIMEOUT: '1', DATABASE_URL: `postgresql://porta:x9Kq2vLm@127.0.0.1:${closed}/porta`,
      }),
      port,
    );
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.output()).toContain('PostgreSQL');
    expect(server.lines().some((l) => l.msg === 'cluster.start_failed')).toBe(true);
    expect(server.lines().some((l) => l.worker === 2)).toBe(false);
  });
});

describe('PORTA_WORKERS with the embedded backends', () => {
  it('runs one process and says why, warning that PORTA_WORKERS=2 is ignored', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-workers-embedded-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    // Development logs are pretty-printed: the message line, then indented fields.
    const server = startMain({ NODE_ENV: 'development', PORTA_DATA_DIR: dataDir, PORTA_WORKERS: '2', ISSUER_BASE_URL: `http://127.0.0.1:${port}` }, port);
    const until = Date.now() + 110_000;
    while (!server.output().includes('server.started')) {
      if (Date.now() > until || server.child.exitCode !== null) throw new Error(`no server.started:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(server.output()).toMatch(
      /WARN: cluster\.single_process: PORTA_WORKERS=2 is ignored: one worker, because the embedded database \(PGlite\) and the in-process store belong to one process/,
    );
    expect((await getOnce(`${server.url}/health`)).status).toBe(200);
    expect(workerProcesses(server.child.pid!)).toEqual([]);
    expect(server.output()).not.toContain('cluster.worker');
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
