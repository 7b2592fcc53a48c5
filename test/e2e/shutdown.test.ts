import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function startSlowServer(graceMs: number): Promise<{ child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-shutdown-'));
  dirs.push(dataDir);
  const child = spawn(tsx, [path.join(root, 'test/support/fixtures/slow-server.ts')], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', PORTA_DATA_DIR: dataDir, GRACE_MS: String(graceMs), DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}

/** Resolves once the server has logged that the slow request reached its handler. */
async function inHandler(stderr: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!stderr().includes('slow.started')) {
    if (Date.now() > until) throw new Error(`the slow request never reached the server: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown (real process, real signals)', { timeout: 60_000 }, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s finishes the in-flight request, refuses new ones, and exits 0', async (signal) => {
    const { child, url, stderr, exited } = await startSlowServer(10_000);
    const inFlight = fetch(`${url}/slow?ms=1500`);
    await inHandler(stderr);
    child.kill(signal);
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    expect(await exited).toBe(0);
    expect(stderr()).toContain('server.stopping');
    expect(stderr()).toContain('server.stopped');
  });

  it('forces exit 1 when shutdown is still not done after the grace period', async () => {
    const { child, url, stderr, exited } = await startSlowServer(800);
    const stuck = fetch(`${url}/slow?ms=20000`).catch(() => 'aborted');
    await inHandler(stderr);
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stderr()).toContain('server.shutdown_timeout');
    await stuck;
  });

  it('releases the embedded database lock on exit', async () => {
    const { child, exited } = await startSlowServer(5000);
    const dataDir = dirs.at(-1)!;
    expect(fs.existsSync(path.join(dataDir, 'porta.lock'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'porta.lock'))).toBe(false);
  });
});
