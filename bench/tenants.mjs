#!/usr/bin/env node
// How Porta's cost grows with organizations (issue 13 item 5): N organizations, each with one
// confidential client, provisioned from one `porta provision` file, then discovery and
// client_credentials requests spread round-robin over all N. One fresh server, database (or data
// dir) and Redis prefix per N, removed at the end.
// Usage: node bench/tenants.mjs [--services] [--orgs 1,100,1000,10000] [--duration 10] [--warmup 3]
//          [--connections 20] [--only discovery,client_credentials] [--production] [--compiled] [--checkout DIR [--chunk N]]
//   --checkout DIR: measure another tree (e.g. `git archive` of an older commit, with node_modules
//     linked): its server and its CLI, which provisions the organizations. --chunk N: at most N
//     organizations per provisioning file (older trees refuse import bodies over 100 KB: 250).
// For every N: the provisioning time, and per scenario requests/s, the server's CPU ms per request,
// errors (non-2xx, a wrong issuer, connection errors, timeouts), p50/p99, the server's RSS (now and
// peak), and the ratios to the N = 1 row. Table on stderr, JSON on stdout; exit 1 on any error.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { compilePorta, freePort, prepareEnvironment, root, startPorta } from './lib/porta.mjs';
import { cpuShares, cpuSnapshot } from './lib/cpu.mjs';
import { createErrorLog } from './lib/stats.mjs';

const SCENARIOS = ['discovery', 'client_credentials'];

const { values } = parseArgs({
  options: {
    services: { type: 'boolean', default: false },
    orgs: { type: 'string', default: '1,100,1000,10000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    only: { type: 'string' },
    production: { type: 'boolean', default: false },
    compiled: { type: 'boolean', default: false },
    checkout: { type: 'string' },
    chunk: { type: 'string' },
  },
});
const counts = values.orgs.split(',').map((n) => Number(n.trim()));
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const selected = values.only ? values.only.split(',').map((s) => s.trim()) : SCENARIOS;
const chunk = values.chunk === undefined ? Number.POSITIVE_INFINITY : Number(values.chunk);
if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 50_000) || !(duration > 0) || !(warmup >= 0) || !(connections > 0)
  || selected.some((s) => !SCENARIOS.includes(s)) || (values.production && !values.services) || !(chunk >= 1)) {
  console.error(`usage: node bench/tenants.mjs [--services [--production]] [--orgs 1,100,1000,10000] [--duration S] [--warmup S] [--connections N] [--only ${SCENARIOS.join(',')}] [--compiled] [--checkout DIR]`);
  process.exit(2);
}
const checkout = values.checkout ? path.resolve(values.checkout) : root;

const loadavg = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
let current;
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  Promise.resolve(current?.()).finally(() => process.exit(130));
});

function porta(args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(checkout, 'bin/porta.mjs'), ...args], { cwd: checkout, env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`porta ${args[0]} failed: ${(stderr || stdout || err.message).slice(0, 2000)}`));
      else resolve(stdout);
    });
  });
}

/**
 * N organizations sharing one application, each with one client_credentials client, from one provisioning
 * file (or files of `chunk` organizations); returns the time it took and what the scenarios need.
 */
async function provision(env, n) {
  const organizations = Array.from({ length: n }, (_, i) => ({
    name: `Tenant ${i}`,
    slug: `tenant-${i}`,
    applications: [{
      name: 'Tenants bench', slug: 'tenants-bench',
      clients: [{ client_name: 'Service', client_type: 'confidential', application_type: 'web', client_id: `tenant-${i}-service`, grant_types: ['client_credentials'], scope: 'openid' }],
    }],
  }));
  const file = path.join(env.PORTA_DATA_DIR, 'tenants.json');
  await porta(['migrate', 'up'], env);
  const started = performance.now();
  const clients = [];
  for (let from = 0; from < n; from += chunk) {
    fs.writeFileSync(file, JSON.stringify({ version: '1.0', organizations: organizations.slice(from, from + chunk) }), { mode: 0o600 });
    clients.push(...JSON.parse(await porta(['provision', '-f', file, '--json'], env)).clients);
  }
  const seconds = (performance.now() - started) / 1000;
  fs.rmSync(file, { force: true });
  // Every request comes from 127.0.0.1: the per-IP token limit would refuse most of them.
  await porta(['--direct', 'config', 'set', 'rate_limit_token_max', '1000000'], env);
  const tenants = clients.map((c) => ({ slug: c.organizationSlug, clientId: c.clientId, secret: c.clientSecret }));
  if (tenants.length !== n || tenants.some((t) => !t.secret)) throw new Error(`unexpected provision result: ${tenants.length} clients for ${n} organizations`);
  return { seconds, tenants };
}

/**
 * Memory of the server in MiB: the RSS of its largest process (the one running Porta; tsx, when used,
 * is a small parent) now and at its peak (VmHWM), and the RSS of the whole process tree now.
 */
function serverMemory(rootPid) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  let treeKb = 0;
  let largest = { rssKb: 0, peakKb: 0 };
  for (const stack = [rootPid]; stack.length > 0;) {
    const pid = stack.pop();
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      treeKb += rssKb;
      if (rssKb > largest.rssKb) largest = { rssKb, peakKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) };
    } catch {
      // gone
    }
    stack.push(...(children.get(pid) ?? []));
  }
  const mib = (kb) => Math.round(kb / 1024);
  return { rssMiB: mib(largest.rssKb), peakMiB: mib(largest.peakKb), treeMiB: mib(treeKb) };
}

/** One request per organization, in organization order. */
function requestsOf(scenario, server, tenants, errors) {
  return tenants.map((t) => {
    const issuer = `${server.url}/${t.slug}`;
    if (scenario === 'discovery') {
      const expected = `"issuer":"${issuer}"`;
      return {
        method: 'GET', path: `/${t.slug}/.well-known/openid-configuration`,
        onResponse: (status, body) => {
          if (status !== 200) errors.add(`status_${status}`, body);
          else if (!body.includes(expected)) errors.add('wrong_issuer', body);
        },
      };
    }
    return {
      method: 'POST', path: `/${t.slug}/auth/token`,
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.secret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      onResponse: (status, body) => {
        if (status !== 200) errors.add(`status_${status}`, body);
        else if (!body.includes('"access_token"')) errors.add('no_token', body);
      },
    };
  });
}

/**
 * Round-robin over all organizations: connection k of C sends the requests of organizations k, k + C,
 * k + 2C… in turn, so every C consecutive requests reach C different organizations and each organization
 * comes round once per N requests. Each connection builds only its own requests: autocannon builds a
 * connection's whole list when the connection starts, inside the measured time (ten thousand requests
 * for twenty connections would take seconds of it and make the load generator the bottleneck).
 */
function cannon(server, requests, seconds, amount) {
  let k = 0;
  const setupClient = (client) => {
    const j = k++ % connections;
    const mine = requests.filter((_, i) => i % connections === j);
    client.setRequests(mine.length > 0 ? mine : requests);
  };
  return autocannon({ url: server.url, connections, ...(amount ? { amount } : { duration: seconds }), requests: [requests[0]], setupClient, timeout: 30 });
}

async function scenario(name, server, tenants, database) {
  const warmErrors = createErrorLog();
  // Warm-up: every organization once (the engine, caches and pools see them all), then `warmup` seconds.
  await cannon(server, requestsOf(name, server, tenants, warmErrors), 0, Math.max(tenants.length, connections));
  if (warmup > 0) await cannon(server, requestsOf(name, server, tenants, warmErrors), warmup);
  const errors = createErrorLog();
  const before = cpuSnapshot(server.pid, database);
  const result = await cannon(server, requestsOf(name, server, tenants, errors), duration);
  const cpu = cpuShares(before, cpuSnapshot(server.pid, database));
  if (result.errors > 0) errors.add(`connection_errors_${result.errors}_timeouts_${result.timeouts}`);
  const count = result.requests.total;
  return {
    perSecond: Math.round(count / result.duration),
    cpuMsPerOp: cpu && count > 0 ? Math.round((cpu.serverMs / count) * 1000) / 1000 : null,
    storesMsPerOp: cpu && count > 0 ? Math.round((cpu.storesMs / count) * 1000) / 1000 : null,
    count,
    errors: errors.total + warmErrors.total,
    errorDetails: errors.total + warmErrors.total > 0 ? { measured: errors.summary(), warmup: warmErrors.summary() } : undefined,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    cpu: cpu && { serverPct: cpu.serverPct, benchPct: cpu.benchPct, storesPct: cpu.storesPct, otherPct: cpu.otherPct, idlePct: cpu.idlePct },
    memory: serverMemory(server.pid),
  };
}

async function runFor(n, build) {
  const port = await freePort();
  const environment = await prepareEnvironment({ services: values.services, port, production: values.production });
  let server;
  current = async () => {
    await server?.stop();
    await environment.cleanup();
  };
  try {
    const { seconds, tenants } = await provision(environment.env, n);
    process.stderr.write(`  ${n} organizations provisioned in ${seconds.toFixed(1)} s\n`);
    server = await startPorta(environment.env, { checkout, main: build?.main });
    const row = { organizations: n, provisionSeconds: Math.round(seconds * 10) / 10, loadavg: loadavg(), scenarios: {} };
    for (const name of selected) {
      if (interrupted) break;
      row.scenarios[name] = await scenario(name, server, tenants, environment.database?.name);
    }
    row.serverLogLines = server.logs().count;
    return row;
  } finally {
    await current();
    current = undefined;
  }
}

const pad = (v, w) => String(v ?? '—').padStart(w);
const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);

const summary = { machine: { cpus: os.cpus().length, node: process.version }, backends: values.services ? 'postgres+redis' : 'embedded', production: values.production, connections, duration, warmup, checkout, loadavgAtStart: loadavg(), runs: [] };
const build = values.compiled ? await compilePorta(checkout) : undefined;
try {
  for (const n of counts) {
    if (interrupted) break;
    process.stderr.write(`${n} organizations…\n`);
    summary.runs.push(await runFor(n, build));
  }
} finally {
  build?.remove();
}
const base = summary.runs.find((r) => r.organizations === 1);
for (const run of summary.runs) {
  for (const [name, s] of Object.entries(run.scenarios)) {
    const b = base?.scenarios[name];
    s.vsOneOrganization = b ? { throughput: ratio(s.perSecond, b.perSecond), cpuMsPerOp: ratio(s.cpuMsPerOp, b.cpuMsPerOp) } : undefined;
  }
}
summary.loadavgAtEnd = loadavg();

process.stderr.write(`\n${summary.backends}, ${connections} connections, ${duration} s per scenario; load average at start ${summary.loadavgAtStart.join(' ')}\n`);
process.stderr.write('   orgs  scenario            provision s     req/s  CPU ms/op  ×1-org req/s  ×1-org CPU   p50   p99  errors  RSS MiB (peak)  other CPU %\n');
for (const run of summary.runs) {
  for (const [name, s] of Object.entries(run.scenarios)) {
    process.stderr.write(`${pad(run.organizations, 7)}  ${name.padEnd(18)}${pad(run.provisionSeconds, 12)}${pad(s.perSecond, 10)}${pad(s.cpuMsPerOp, 11)}${pad(s.vsOneOrganization?.throughput, 14)}${pad(s.vsOneOrganization?.cpuMsPerOp, 12)}${pad(s.latencyMs.p50, 6)}${pad(s.latencyMs.p99, 6)}${pad(s.errors, 8)}${pad(`${s.memory.rssMiB} (${s.memory.peakMiB})`, 16)}${pad(s.cpu?.otherPct, 13)}\n`);
  }
}
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
const failed = summary.runs.some((r) => Object.values(r.scenarios).some((s) => s.errors > 0));
process.exit(failed || interrupted ? 1 : 0);
