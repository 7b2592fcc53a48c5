// Starting and stopping a Porta of the benchmarks' own: a free loopback port, a temporary data
// directory and, with real services, a freshly created PostgreSQL database dropped afterwards.
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitHealthy(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} did not become healthy`);
}

async function sql(url, text) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A new, uniquely named database on the PostgreSQL of DATABASE_URL (default local); `drop()` removes only it. */
export async function createBenchDatabase() {
  const admin = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  const name = `porta_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await sql(admin.toString(), `CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => sql(admin.toString(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * The environment of a bench server and of its CLI set-up: embedded backends in a temp data dir,
 * or a fresh database plus the Redis of REDIS_URL (default local) with `services`. `production`
 * (services only) runs NODE_ENV=production with generated secrets and an SMTP host that never
 * resolves (the outbox stays unsent), as a deployment would run.
 */
export async function prepareEnvironment({ services, port, production = false }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-bench-'));
  const env = {
    ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1',
    PORTA_DATA_DIR: dataDir, ISSUER_BASE_URL: `http://127.0.0.1:${port}`,
  };
  // One server process, as the figures were taken, unless asked otherwise (production's default is one per core).
  env.PORTA_WORKERS ??= '1';
  let database;
  if (services) {
    database = await createBenchDatabase();
    env.DATABASE_URL = database.url;
    env.REDIS_URL ??= 'redis://127.0.0.1:6379';
    // A prefix of its own: the cleanup removes exactly what this run wrote to a shared Redis.
    env.REDIS_KEY_PREFIX = `porta-bench-${process.pid}-${Date.now().toString(36)}:`;
    env.PORTA_AUTO_MIGRATE = 'true';
    if (production) {
      Object.assign(env, {
        NODE_ENV: 'production', COOKIE_KEYS: randomBytes(32).toString('base64url'), TWO_FACTOR_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        SMTP_HOST: 'smtp.invalid', SMTP_PORT: '587', SMTP_FROM: 'bench@example.com',
      });
    }
  } else {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  return {
    env,
    dataDir,
    database,
    async cleanup() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (database) await database.drop();
      if (services) await removePrefixedKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX);
    },
  };
}

/** Deletes every key under `prefix` (this run's REDIS_KEY_PREFIX); returns how many. */
export async function removePrefixedKeys(redisUrl, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** Runs a TypeScript file with tsx and parses the JSON line it prints last. */
export function runTsJson(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(tsx, [path.join(root, file), ...args], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${file} failed: ${stderr || err.message}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${file} printed no JSON: ${stdout}${stderr}`));
      }
    });
  });
}

/**
 * Compiles src/ of `checkout` (this one by default) as the image does (tsc, tsconfig.build.json), without
 * type checking, into a directory of its own one level below the checkout (the build finds migrations/,
 * templates/ and locales/ as dist/ would). Returns { main, remove() }.
 */
export async function compilePorta(checkout = root) {
  const dir = path.join(checkout, `.bench-build-${process.pid}-${Date.now().toString(36)}`);
  const tsc = path.join(root, 'node_modules/.bin/tsc');
  await new Promise((resolve, reject) => {
    execFile(tsc, ['-p', 'tsconfig.build.json', '--noCheck', '--sourceMap', 'false', '--outDir', dir], { cwd: checkout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // tsc reports type errors of the tree without --noCheck only; anything printed here is fatal.
      if (err && !fs.existsSync(path.join(dir, 'main.js'))) reject(new Error(`tsc failed: ${stdout}${stderr}`));
      else resolve();
    });
  });
  return { main: path.join(dir, 'main.js'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts Porta (of `checkout`, this one by default) and waits for /health: `tsx src/main.ts`, or with
 * `main` a compiled entry point run by node itself. Its stdout (warn and above at LOG_LEVEL=warn) is kept, the first lines of it, so
 * the caller can show what the server complained about.
 */
export async function startPorta(env, { main, checkout = root } = {}) {
  const [command, args] = main ? [process.execPath, [main]] : [tsx, [path.join(checkout, 'src/main.ts')]];
  const child = spawn(command, args, { cwd: checkout, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const logLines = [];
  let logLineCount = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      logLineCount++;
      if (logLines.length < 20) logLines.push(line.slice(0, 500));
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${env.PORT}`;
  try {
    await Promise.race([waitHealthy(url), exited.then((code) => Promise.reject(new Error(`server exited with ${code}`)))]);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return {
    url,
    pid: child.pid,
    logs: () => ({ count: logLineCount, first: [...logLines] }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
