#!/usr/bin/env node
// Loopback benchmark of GET /health (a real SELECT 1 + store PING per request).
// Usage: node bench/http.mjs [--url http://127.0.0.1:3000] [--services] [--duration 10] [--connections 50]
// Without --url it starts Porta itself on a free loopback port (embedded backends, or real
// PostgreSQL/Redis with --services) and stops it afterwards. Bounded by --duration.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    services: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    path: { type: 'string', default: '/health' },
  },
});

const root = path.resolve(import.meta.dirname, '..');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, timeoutMs = 30_000) {
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

let child;
let dataDir;
let benchDb;

async function psql(url, sql) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
let url = values.url;
if (!url) {
  const port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-bench-'));
  const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', PORTA_DATA_DIR: dataDir };
  if (values.services) {
    // A database of its own, dropped afterwards: the bench never touches existing data.
    const admin = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
    benchDb = { admin: admin.toString(), name: `porta_bench_${Date.now().toString(36)}` };
    await psql(benchDb.admin, `CREATE DATABASE ${benchDb.name}`);
    admin.pathname = `/${benchDb.name}`;
    env.DATABASE_URL = admin.toString();
    env.REDIS_URL ??= 'redis://127.0.0.1:6379';
    env.PORTA_AUTO_MIGRATE = 'true';
  } else {
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
  }
  child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'src/main.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  url = `http://127.0.0.1:${port}`;
  await waitHealthy(url);
}

try {
  const result = await autocannon({
    url: `${url}${values.path}`,
    connections: Number(values.connections),
    duration: Number(values.duration),
  });
  const backends = values.url ? 'external server' : values.services ? 'PostgreSQL + Redis' : 'embedded PGlite + in-process store';
  const summary = {
    target: `GET ${values.path}`,
    backends,
    connections: Number(values.connections),
    durationSeconds: Number(values.duration),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    reqPerSec: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    node: process.version,
    cpus: os.cpus().length,
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  if (benchDb) await psql(benchDb.admin, `DROP DATABASE IF EXISTS ${benchDb.name} WITH (FORCE)`);
}
