#!/usr/bin/env node
// Token throughput (client_credentials) of one Porta worker against several (PORTA_WORKERS), on
// PostgreSQL + Redis, with the load generator on the same machine.
// Usage: node bench/workers.mjs [--workers 1,2] [--rounds 1] [--duration 10] [--warmup 5] [--connections 32] [--pipelining 1] [--rate N]
// Provisions one bench tenant (fresh database, own Redis key prefix), then for every round and every
// worker count starts Porta in production mode (`PORTA_WORKERS=n`), warms up, measures, and stops it.
// Removes the database, the data dir and its Redis keys at the end, also after Ctrl-C. --rate holds the
// load at N requests per second (below saturation) to compare the CPU cost per request, not the throughput.
// Prints a table on stderr (requests per second, the ratio to the first worker count, where the CPU
// went, the load averages) and a JSON summary on stdout; exits non-zero when any request failed.
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, prepareEnvironment, startPorta } from './lib/porta.mjs';
import { provisionTenant } from './lib/provision.mjs';
import { basicAuth } from './lib/http-client.mjs';
import { createErrorLog } from './lib/stats.mjs';
import { cpuSnapshot, cpuShares } from './lib/cpu.mjs';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '1' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    pipelining: { type: 'string', default: '1' },
    rate: { type: 'string' },
  },
});
const counts = values.workers.split(',').map((s) => Number(s.trim()));
const [rounds, duration, warmup, connections, pipelining] = ['rounds', 'duration', 'warmup', 'connections', 'pipelining'].map((k) => Number(values[k]));
const rate = values.rate === undefined ? undefined : Number(values.rate);
if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(rounds >= 1) || !(duration > 0) || !(warmup >= 0) || !(connections >= 1) || !(pipelining >= 1) || (rate !== undefined && !(rate > 0))) {
  console.error('usage: node bench/workers.mjs [--workers 1,2] [--rounds N] [--duration S] [--warmup S] [--connections N] [--pipelining N] [--rate N]');
  process.exit(2);
}

const loadavg = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const loadAtStart = loadavg();
const port = await freePort();
const environment = await prepareEnvironment({ services: true, port, production: true });
let server;
let isCleanedUp = false;
async function cleanup() {
  if (isCleanedUp) return;
  isCleanedUp = true;
  await server?.stop();
  await environment.cleanup();
}
process.once('SIGINT', () => {
  cleanup().finally(() => process.exit(130));
});

/** CPU jiffies of every process below `pid` (the server's primary and workers, without the tsx launcher's own). */
function treeCpu(pid) {
  const children = new Map();
  const cpu = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const rest = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
      const ppid = Number(rest[1]);
      cpu.set(Number(name), Number(rest[11]) + Number(rest[12]));
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map();
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop();
    out.set(p, cpu.get(p) ?? 0);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * /health answers as soon as worker 1 listens; the others start after it. Waits until the primary and
 * all its workers run, and the tree has gone quiet (start-up compiles and imports), before any load.
 */
async function waitForWorkers(pid, workers, timeoutMs = 180_000) {
  const expected = workers === 1 ? 1 : workers + 1;
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const tree = treeCpu(pid);
    const servers = [...tree.keys()].filter((p) => cmdline(p).includes('src/main.ts')).length;
    const jiffies = [...tree.values()].reduce((a, b) => a + b, 0);
    // Under 10 % of one core over the last second (CLK_TCK is 100 jiffies a second).
    if (servers === expected && last !== undefined && jiffies - last < 10) return;
    last = jiffies;
    if (Date.now() > until) throw new Error(`${servers} of ${expected} server processes, still busy starting, after ${timeoutMs} ms`);
  }
}

/** Shares of the server's CPU per process that used at least 5 % of it: one line per busy worker. */
function busyProcesses(before, after) {
  const used = [...after].map(([pid, j]) => [pid, j - (before.get(pid) ?? 0)]).filter(([, d]) => d > 0);
  const total = used.reduce((a, [, d]) => a + d, 0);
  return used.filter(([, d]) => d >= total * 0.05).map(([, d]) => Math.round((d / total) * 100)).sort((a, b) => b - a);
}

const parses = (body) => {
  try {
    return typeof JSON.parse(body).access_token === 'string';
  } catch {
    return false;
  }
};

async function measure(tenant, workers) {
  environment.env.PORTA_WORKERS = String(workers);
  server = await startPorta(environment.env);
  try {
    await waitForWorkers(server.pid, workers);
    const request = {
      method: 'POST', path: `/${tenant.slug}/auth/token`,
      headers: { authorization: basicAuth(tenant.clientId, tenant.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    };
    const errors = createErrorLog();
    const onResponse = (status, body) => {
      if (status !== 200) errors.add(`status_${status}`, body);
      else if (!parses(body)) errors.add('unexpected_body', body);
    };
    const options = { url: server.url, connections, pipelining, ...(rate ? { overallRate: rate } : {}) };
    if (warmup > 0) await autocannon({ ...options, duration: warmup, requests: [request] });
    const before = cpuSnapshot(server.pid, environment.database.name);
    const procsBefore = treeCpu(server.pid);
    const loadBefore = loadavg();
    const result = await autocannon({ ...options, duration, requests: [{ ...request, onResponse }] });
    const cpu = cpuShares(before, cpuSnapshot(server.pid, environment.database.name));
    // Connection errors and timeouts; bad statuses and bodies are in `errors` already.
    if (result.errors > 0) errors.add(`connection_errors_${result.errors}_timeouts_${result.timeouts}`);
    const failed = errors.total - (result.errors > 0 ? 1 : 0) + result.errors;
    return {
      workers,
      count: result.requests.total,
      perSecond: Math.round(result.requests.total / result.duration),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      errors: failed,
      errorDetails: failed > 0 ? errors.summary() : undefined,
      cpu,
      serverCpuMsPerRequest: cpu?.serverMs !== undefined && result.requests.total > 0 ? Math.round((cpu.serverMs / result.requests.total) * 1000) / 1000 : undefined,
      busyProcessSharesPct: busyProcesses(procsBefore, treeCpu(server.pid)),
      loadAverage: { before: loadBefore, after: loadavg() },
    };
  } finally {
    await server.stop();
    server = undefined;
  }
}

const runs = [];
try {
  const tenant = await provisionTenant(environment.env, { slug: `bench-${randomBytes(4).toString('hex')}`, redirectUri: 'http://127.0.0.1:8765/callback', password: `bench-${randomBytes(12).toString('base64url')}` });
  console.error(`client_credentials on PostgreSQL + Redis, production mode, ${connections} connections × pipelining ${pipelining}${rate ? `, held at ${rate} req/s` : ''}, ${duration} s after ${warmup} s warm-up; ${os.availableParallelism()} cores; load average ${loadAtStart.join(' ')}`);
  console.error(`${'workers'.padEnd(9)}${'req/s'.padStart(8)}${'ratio'.padStart(7)}${'p50'.padStart(6)}${'p99'.padStart(6)}${'errors'.padStart(8)}  ${'CPU % server/bench/stores/other/idle'.padEnd(38)}${'ms/req'.padStart(8)}  split %   load 1m`);
  for (let round = 0; round < rounds; round++) {
    for (const workers of counts) {
      const r = await measure(tenant, workers);
      const base = runs.find((x) => x.workers === counts[0] && x.round === round);
      r.round = round;
      r.ratio = base ? Math.round((r.perSecond / base.perSecond) * 100) / 100 : 1;
      runs.push(r);
      const c = r.cpu;
      const cpuText = c ? `${c.serverPct}/${c.benchPct}/${c.storesPct}/${c.otherPct}/${c.idlePct}` : '-';
      console.error(`${String(workers).padEnd(9)}${String(r.perSecond).padStart(8)}${r.ratio.toFixed(2).padStart(7)}${String(r.latencyMs.p50).padStart(6)}${String(r.latencyMs.p99).padStart(6)}${String(r.errors).padStart(8)}  ${cpuText.padEnd(38)}${String(r.serverCpuMsPerRequest ?? '-').padStart(8)}  ${r.busyProcessSharesPct.join('/').padEnd(9)} ${r.loadAverage.before[0]}→${r.loadAverage.after[0]}`);
      if (r.errorDetails) console.error(`  errors: ${JSON.stringify(r.errorDetails)}`);
    }
  }
} finally {
  await cleanup();
  const best = (n) => Math.max(...runs.filter((r) => r.workers === n).map((r) => r.perSecond));
  const summary = counts.length > 1 && runs.length >= counts.length ? Math.round((best(counts.at(-1)) / best(counts[0])) * 100) / 100 : undefined;
  console.log(JSON.stringify({
    benchmark: 'workers', scenario: 'client_credentials', backends: 'PostgreSQL + Redis', mode: 'production',
    connections, pipelining, rate, durationSeconds: duration, warmupSeconds: warmup,
    machine: { cpus: os.cpus().length, availableParallelism: os.availableParallelism(), cpuModel: os.cpus()[0]?.model, node: process.version,
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() } },
    runs,
    bestRatio: summary === undefined ? undefined : { workers: [counts[0], counts.at(-1)], ratio: summary },
    totalErrors: runs.reduce((n, r) => n + r.errors, 0),
  }, null, 2));
  if (runs.some((r) => r.errors > 0) || runs.length < counts.length * rounds) process.exitCode = 1;
}
