#!/usr/bin/env node
// Loopback benchmark of Porta's OIDC endpoints and of a complete browser login, side by side with the
// bare engine (bench/lib/engine-reference.mjs: oidc-provider with its in-memory adapter).
// Usage: node bench/oidc.mjs [--services] [--development] [--duration 10] [--connections 20] [--warmup 2]
//          [--only name,…] [--rounds 1] [--no-reference] [--profile DIR] [--baseline DIR]
// Scenarios: discovery, jwks, client_credentials, introspection, refresh, login.
// Starts its own Porta on a free 127.0.0.1 port (embedded backends, or a fresh PostgreSQL database
// plus the local Redis with --services, in production mode: NODE_ENV=production and the tsc build the image
// runs, unless --development: tsx and NODE_ENV=development), provisions a bench
// tenant with `porta provision` before the server starts, and removes everything it made at the end
// (the database, the data dir, its keys in Redis). It also starts the engine reference on another
// free port and runs every scenario against both, alternating, with the same duration and connections.
// Every scenario is bounded by --duration (+ --warmup). A login is a fresh browser (cookie jar) doing
// authorize → login page → POST login (one Argon2id verification) → resume → callback → token.
// --profile DIR starts the servers per scenario with --cpu-prof into DIR/<scenario>/<target>/ and
// prints where their main threads spent the measured windows (bench/lib/cpuprofile.mjs).
// --baseline DIR also measures another checkout of Porta (say `git archive` of an older commit, with a
// node_modules link), with a database and Redis prefix of its own: before and after in the same run.
// Prints a table (with server CPU ms per operation and the Porta/engine ratio) on stderr and a JSON
// summary on stdout; exits non-zero when any request failed (non-2xx, wrong body, connection error
// or timeout).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { compilePorta, freePort, prepareEnvironment, runTsJson, startPorta } from './lib/porta.mjs';
import { createHttpClient, CookieJar, browse, basicAuth, hiddenInput, formAction } from './lib/http-client.mjs';
import { latencySummary, createErrorLog } from './lib/stats.mjs';
import { provisionTenant } from './lib/provision.mjs';
import { cpuSnapshot, cpuShares } from './lib/cpu.mjs';
import { startReference } from './lib/engine-reference.mjs';
import { formatSummary, largestProfile, summariseProfile } from './lib/cpuprofile.mjs';

const SCENARIOS = ['discovery', 'jwks', 'client_credentials', 'introspection', 'refresh', 'login'];
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const PASSWORD = `bench-${randomBytes(12).toString('base64url')}`;

const { values } = parseArgs({
  options: {
    services: { type: 'boolean', default: false },
    development: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'no-reference': { type: 'boolean', default: false },
    profile: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const hasReference = !values['no-reference'];
const isProduction = values.services && !values.development;
const profileDir = values.profile ? path.resolve(values.profile) : undefined;
const baselineDir = values.baseline ? path.resolve(values.baseline) : undefined;
const selected = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIOS;
const unknown = selected.filter((s) => !SCENARIOS.includes(s));
if (unknown.length > 0 || !(duration > 0) || !(warmup >= 0) || !(connections > 0) || !(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`usage: node bench/oidc.mjs [--services] [--development] [--duration S] [--connections N] [--warmup S] [--only ${SCENARIOS.join(',')}] [--rounds N] [--no-reference] [--profile DIR] [--baseline DIR]`);
  process.exit(2);
}

// Other work on the machine skews every figure; the load averages go into the summary to show it.
const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
const environment = await prepareEnvironment({ services: values.services, port: await freePort(), production: isProduction });
const baselineEnvironment = baselineDir ? await prepareEnvironment({ services: values.services, port: await freePort(), production: isProduction }) : undefined;
/**
 * The servers under test by name: `porta`, `baseline` (--baseline) and `engine` (the reference) unless
 * --no-reference. A Porta target has its checkout, environment and, in production mode, its build: the
 * tsc output the image runs under node, not tsx.
 */
const targets = {};
let isCleanedUp = false;
const extras = {};

async function stopTargets() {
  await Promise.all(Object.values(targets).map(async (t) => {
    t.client?.close();
    if (t.server?.logs) t.logs = t.server.logs();
    await t.server?.stop();
    t.server = undefined;
  }));
}

async function cleanup() {
  if (isCleanedUp) return;
  isCleanedUp = true;
  await stopTargets();
  for (const t of Object.values(targets)) t.build?.remove();
  await environment.cleanup();
  await baselineEnvironment?.cleanup();
}
process.once('SIGINT', () => {
  cleanup().finally(() => process.exit(130));
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const isOk = (status) => status >= 200 && status < 300;
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** One complete authorization-code + PKCE login in a fresh browser; returns the token response and step timings. */
async function login(target, user) {
  const { client, tenant } = target;
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const steps = { requests: 0 };
  const go = (...args) => {
    steps.requests++;
    return browse(client, jar, ...args);
  };
  const fail = (reason, res) => Object.assign(new Error(reason), { reason, detail: res ? `${res.status} ${res.url?.pathname ?? ''} ${res.body.slice(0, 200)}` : undefined });
  const base = `/${tenant.slug}`;
  const query = new URLSearchParams({
    client_id: tenant.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access',
    prompt: 'consent', state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  let t = performance.now();
  let res = await go('GET', `${base}/auth/authorize?${query}`);
  if (res.status !== 303 || !res.headers.location) throw fail('authorize_not_redirected', res);
  res = await go('GET', res.headers.location);
  const csrf = res.status === 200 ? hiddenInput(res.body, '_csrf') : undefined;
  const action = res.status === 200 ? formAction(res.body, '/login') : undefined;
  if (!csrf || !action) throw fail('no_login_form', res);
  steps.loginPage = performance.now() - t;

  t = performance.now();
  res = await go('POST', action, { form: { _csrf: csrf, email: user.email, password: PASSWORD } });
  if (res.status !== 303) throw fail('login_rejected', res);
  steps.loginPost = performance.now() - t;

  t = performance.now();
  for (let hop = 0; hop < 8 && res.status >= 300 && res.status < 400 && !res.headers.location.startsWith(REDIRECT_URI); hop++) {
    res = await go('GET', res.headers.location);
  }
  const callback = res.headers.location?.startsWith(REDIRECT_URI) ? new URL(res.headers.location) : undefined;
  const code = callback?.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw fail('no_code_at_callback', res);
  steps.resume = performance.now() - t;

  t = performance.now();
  steps.requests++;
  res = await client.request('POST', `${base}/auth/token`, {
    headers: { authorization: basicAuth(tenant.clientId, tenant.clientSecret) },
    form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
  });
  const tokens = res.status === 200 ? JSON.parse(res.body) : undefined;
  if (!tokens?.access_token || !tokens.refresh_token || !tokens.id_token) throw fail('code_exchange_failed', res);
  steps.tokenExchange = performance.now() - t;
  return { tokens, steps };
}

/** `connections` workers repeat `op` until the deadline; only successful operations are timed, as autocannon does. */
async function loop(seconds, workers, op) {
  const latencies = [];
  const errors = createErrorLog();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(workers.map(async (worker) => {
    while (performance.now() < deadline && !isCleanedUp) {
      const t = performance.now();
      try {
        await op(worker);
        latencies.push(performance.now() - t);
      } catch (err) {
        errors.add(err.reason ?? 'exception', err.detail ?? err.message);
      }
    }
  }));
  return { latencies, errors, elapsedSeconds: (performance.now() - started) / 1000 };
}

/** CPU of the measured window: shares of the machine and the server's CPU milliseconds per operation. */
function measured(target, before, count) {
  const cpu = cpuShares(before, cpuSnapshot(target.server.pid, target.database));
  const cpuMsPerOp = cpu && count > 0 ? Math.round((cpu.serverMs / count) * 1000) / 1000 : null;
  const storesMsPerOp = cpu && count > 0 ? Math.round((cpu.storesMs / count) * 1000) / 1000 : null;
  return { cpu, cpuMsPerOp, storesMsPerOp };
}

async function scripted(target, unit, workers, op, extra = () => ({})) {
  if (warmup > 0) await loop(warmup, workers, op);
  const window = [monotonicUs()];
  const before = cpuSnapshot(target.server.pid, target.database);
  const run = await loop(duration, workers, op);
  const cpu = measured(target, before, run.latencies.length);
  window.push(monotonicUs());
  return {
    unit,
    count: run.latencies.length,
    perSecond: Math.round((run.latencies.length / run.elapsedSeconds) * 10) / 10,
    latencyMs: latencySummary(run.latencies),
    errors: run.errors.total,
    errorDetails: run.errors.total > 0 ? run.errors.summary() : undefined,
    ...extra(run),
    ...cpu,
    window,
  };
}

/** An autocannon run whose every response is checked: a non-2xx status or an unexpected body is an error. */
async function cannon(target, { method = 'GET', path: urlPath, headers, body, check }) {
  const errors = createErrorLog();
  const onResponse = (status, resBody) => {
    if (!isOk(status)) errors.add(`status_${status}`, resBody);
    else if (!check(resBody)) errors.add('unexpected_body', resBody);
  };
  const request = { method, path: urlPath, headers, body };
  const url = target.server.url;
  if (warmup > 0) await autocannon({ url, connections, duration: warmup, requests: [request] });
  const window = [monotonicUs()];
  const before = cpuSnapshot(target.server.pid, target.database);
  const result = await autocannon({ url, connections, duration, requests: [{ ...request, onResponse }] });
  const cpu = measured(target, before, result.requests.total);
  window.push(monotonicUs());
  const failed = errors.total + result.errors;
  if (result.errors > 0) errors.add(`connection_errors_${result.errors}_timeouts_${result.timeouts}`);
  return {
    unit: 'requests',
    count: result.requests.total,
    // Completed requests over the elapsed time, as for the scripted scenarios (autocannon's own
    // average is over one-second buckets and counts the partial last one).
    perSecond: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: failed,
    errorDetails: failed > 0 ? errors.summary() : undefined,
    ...cpu,
    window,
  };
}

const form = (fields) => new URLSearchParams(fields).toString();
const parses = (body, test) => {
  try {
    return test(JSON.parse(body));
  } catch {
    return false;
  }
};
/** Requests per login and the median of each step (the login POST carries the Argon2id verification). */
function loginDetails(samples) {
  const { requests, ...timed } = samples[0] ?? { requests: null };
  return { httpRequestsPerLogin: requests, stepP50Ms: Object.fromEntries(Object.keys(timed).map((k) => [k, latencySummary(samples.map((s) => s[k])).p50])) };
}

const scenarios = {
  discovery: (target) => cannon(target, {
    path: `/${target.tenant.slug}/.well-known/openid-configuration`,
    check: (b) => parses(b, (d) => d.issuer === `${target.server.url}/${target.tenant.slug}`),
  }),
  jwks: (target) => cannon(target, { path: `/${target.tenant.slug}/auth/jwks`, check: (b) => parses(b, (d) => d.keys.length > 0) }),
  client_credentials: (target) => cannon(target, {
    method: 'POST', path: `/${target.tenant.slug}/auth/token`, headers: clientAuth(target), body: form({ grant_type: 'client_credentials' }),
    check: (b) => parses(b, (d) => typeof d.access_token === 'string'),
  }),
  async introspection(target) {
    const user = target.tenant.users[0];
    const { tokens } = await login(target, user);
    return cannon(target, {
      method: 'POST', path: `/${target.tenant.slug}/auth/token/introspection`, headers: clientAuth(target), body: form({ token: tokens.access_token }),
      check: (b) => parses(b, (d) => d.active === true && d.sub === user.id),
    });
  },
  async refresh(target) {
    // Refresh tokens rotate: each connection keeps its own chain, always presenting the newest token.
    const workers = [];
    for (let i = 0; i < connections; i++) workers.push({ refreshToken: (await login(target, target.tenant.users[0])).tokens.refresh_token });
    const { authorization } = clientAuth(target);
    return scripted(target, 'requests', workers, async (w) => {
      const res = await target.client.request('POST', `/${target.tenant.slug}/auth/token`, {
        headers: { authorization },
        form: { grant_type: 'refresh_token', refresh_token: w.refreshToken },
      });
      const body = res.status === 200 ? JSON.parse(res.body) : undefined;
      if (!body?.access_token || !body.refresh_token || body.refresh_token === w.refreshToken) {
        throw Object.assign(new Error('refresh failed'), { reason: `refresh_status_${res.status}`, detail: res.body.slice(0, 200) });
      }
      w.refreshToken = body.refresh_token;
    });
  },
  async login(target) {
    const steps = [];
    const workers = Array.from({ length: connections }, (_, index) => ({ index }));
    return scripted(target, 'logins', workers, async (w) => {
      // Each virtual user signs in as an account of its own: concurrent attempts on one account are
      // reserved against its lockout limit before Argon2 runs, as an attack on it would be.
      steps.push((await login(target, target.tenant.users[w.index % target.tenant.users.length])).steps);
    }, (run) => ({
      ...loginDetails(steps.slice(-run.latencies.length)),
      argon2idVerificationsPerLogin: 1,
    }));
  },
};

function clientAuth(target) {
  return { authorization: basicAuth(target.tenant.clientId, target.tenant.clientSecret), 'content-type': 'application/x-www-form-urlencoded' };
}

/** A sample every 250 µs rather than V8's 1 ms: a token request takes well under a millisecond. */
const profileFlags = (dir) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];

/** Starts the servers; with `profileSubdir`, each writes a CPU profile there when stopped. */
async function startTargets(profileSubdir) {
  for (const target of Object.values(targets)) {
    const profile = profileSubdir ? profileFlags(path.join(profileSubdir, target.name)) : [];
    if (target.name === 'engine') {
      target.server = await startReference({ ...target.settings, port: await freePort() }, { nodeArgs: profile });
    } else {
      const env = profile.length > 0 ? { ...target.env, NODE_OPTIONS: `${target.env.NODE_OPTIONS ?? ''} ${profile.join(' ')}`.trim() } : target.env;
      target.server = await startPorta(env, { main: target.build?.main, checkout: target.checkout });
    }
    target.client = createHttpClient(target.server.url, { maxSockets: connections * 2 });
  }
}

/** The round with the median server CPU per operation (the lower middle for an even count). */
function medianRound(list) {
  const sorted = [...list].sort((a, b) => (a.cpuMsPerOp ?? Infinity) - (b.cpuMsPerOp ?? Infinity));
  const pick = sorted[Math.floor((sorted.length - 1) / 2)];
  const { window: _window, ...rest } = pick;
  return list.length > 1 ? { ...rest, cpuMsPerOpRounds: list.map((r) => r.cpuMsPerOp), perSecondRounds: list.map((r) => r.perSecond) } : rest;
}

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null);
const pad = (v, n) => String(v ?? '-').padStart(n);

function printRow(scenario, name, r) {
  const rate = `${r.perSecond} ${r.unit === 'logins' ? 'login' : 'req'}/s`;
  const shares = r.cpu ? `${r.cpu.serverPct}/${r.cpu.benchPct}/${r.cpu.storesPct}/${r.cpu.otherPct}` : '-';
  console.error(`${scenario.padEnd(20)}${name.padEnd(9)}${pad(rate, 14)}${pad(r.latencyMs.p50, 8)}${pad(r.latencyMs.p99, 8)}${pad(r.errors, 7)}${pad(r.count, 8)}${pad(r.cpuMsPerOp?.toFixed(3), 11)}  ${shares}`);
  if (r.errorDetails) console.error(`  errors: ${JSON.stringify(r.errorDetails)}`);
}

/** The profile of one target over the measured windows: printed (top rows) and written in full. */
function summariseProfiles(scenario, dir, runs) {
  const out = {};
  for (const name of Object.keys(runs)) {
    const file = largestProfile(path.join(dir, name));
    if (!file) continue;
    const ops = runs[name].reduce((n, r) => n + r.count, 0);
    const summary = summariseProfile(JSON.parse(fs.readFileSync(file, 'utf8')), { windows: runs[name].map((r) => r.window) });
    fs.writeFileSync(path.join(dir, `${name}-summary.txt`), `${file}\n${formatSummary(summary, { top: 40, ops })}\n`);
    console.error(`\n[profile ${scenario} / ${name}] ${path.relative(process.cwd(), file)}\n${formatSummary(summary, { top: 12, ops })}\n`);
    out[name] = { file, summary: path.join(dir, `${name}-summary.txt`), mainThreadMsPerOp: Math.round((summary.busyMs / ops) * 1000) / 1000 };
  }
  return out;
}

let errorsInAnyRound = 0;
const results = {};
const baseline = {};
const baselineRatios = {};
const reference = {};
const ratios = {};
const profiles = {};
try {
  extras.argon2 = await runTsJson('bench/lib/argon2.ts', [], environment.env);
  const portaTarget = async (name, env, checkout) => ({
    name, env: env.env, checkout, database: env.database?.name,
    build: isProduction ? await compilePorta(checkout) : undefined,
    tenant: await provisionTenant(env.env, { slug: `bench-${randomBytes(4).toString('hex')}`, redirectUri: REDIRECT_URI, password: PASSWORD, users: connections, checkout }),
  });
  targets.porta = await portaTarget('porta', environment, undefined);
  if (baselineEnvironment) targets.baseline = await portaTarget('baseline', baselineEnvironment, baselineDir);
  if (hasReference) {
    // The reference's own client, user and organization id, shaped like Porta's (64-character secret, UUIDs).
    const refTenant = {
      slug: `ref-${randomBytes(4).toString('hex')}`, orgId: randomUUID(), clientId: randomBytes(32).toString('base64url'),
      clientSecret: randomBytes(48).toString('base64url'),
      users: Array.from({ length: connections }, (_, i) => ({ id: randomUUID(), email: `user${i}@bench.example` })),
    };
    targets.engine = {
      name: 'engine', tenant: refTenant, database: undefined,
      settings: {
        slug: refTenant.slug, orgId: refTenant.orgId, clientId: refTenant.clientId, clientSecret: refTenant.clientSecret,
        redirectUri: REDIRECT_URI, users: refTenant.users, password: PASSWORD, argon2: extras.argon2.params,
      },
    };
  }
  if (!profileDir) await startTargets();
  const mode = values.services ? `PostgreSQL + Redis, ${isProduction ? 'production' : 'development'}` : 'embedded PGlite + in-process store';
  console.error(`Porta (${mode})${baselineDir ? `, a baseline from ${baselineDir}` : ''}${hasReference ? ' and the bare engine' : ''}: ${connections} connections, ${duration} s each after ${warmup} s warm-up, ${rounds} round(s); load average ${loadAtStart.join(' ')}`);
  console.error(`${'scenario'.padEnd(20)}${'target'.padEnd(9)}${'per second'.padStart(14)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'errors'.padStart(7)}${'count'.padStart(8)}${'CPU ms/op'.padStart(11)}  CPU % server/bench/stores/other`);

  for (const scenario of selected) {
    const dir = profileDir ? path.join(profileDir, scenario) : undefined;
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
      await startTargets(dir);
    }
    const runs = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      // Alternating which goes first evens out drift on a shared machine.
      const order = Object.keys(targets);
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const r = await scenarios[scenario](targets[name]);
        runs[name].push(r);
        errorsInAnyRound += r.errors;
        printRow(scenario, name, r);
      }
    }
    results[scenario] = medianRound(runs.porta);
    if (runs.baseline) baseline[scenario] = medianRound(runs.baseline);
    if (hasReference) {
      reference[scenario] = medianRound(runs.engine);
      const versus = (r) => ({ cpuMsPerOp: ratio(r.cpuMsPerOp, reference[scenario].cpuMsPerOp), perSecond: ratio(r.perSecond, reference[scenario].perSecond) });
      ratios[scenario] = versus(results[scenario]);
      if (runs.baseline) baselineRatios[scenario] = versus(baseline[scenario]);
      const line = (label, r, who) => console.error(`${scenario.padEnd(20)}${label.padEnd(9)}${pad(`${r.perSecond ?? '-'}×`, 14)}${''.padStart(38)}${pad(`${r.cpuMsPerOp ?? '-'}×`, 11)}  (${who} / engine${rounds > 1 ? ', median rounds' : ''})`);
      line('ratio', ratios[scenario], 'Porta');
      if (runs.baseline) line('ratio', baselineRatios[scenario], 'baseline');
    }
    if (dir) {
      await stopTargets();
      profiles[scenario] = summariseProfiles(scenario, dir, runs);
    }
  }
} finally {
  await cleanup();
  const serverLog = targets.porta?.logs;
  const totalErrors = errorsInAnyRound;
  console.log(JSON.stringify({
    benchmark: 'oidc',
    backends: values.services ? 'PostgreSQL + Redis' : 'embedded PGlite + in-process store',
    nodeEnv: environment.env.NODE_ENV,
    connections, durationSeconds: duration, warmupSeconds: warmup, rounds,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
      loadAverage1m: { atStart: loadAtStart[0], atEnd: Math.round(os.loadavg()[0] * 100) / 100 } },
    argon2id: extras.argon2,
    scenarios: results,
    reference: hasReference ? reference : undefined,
    ratios: hasReference ? ratios : undefined,
    baseline: baselineDir ? { checkout: baselineDir, scenarios: baseline, ratios: hasReference ? baselineRatios : undefined } : undefined,
    profiles: profileDir ? profiles : undefined,
    totalErrors,
    serverLogLines: serverLog,
  }, null, 2));
  if (totalErrors > 0 || Object.keys(results).length < selected.length) process.exitCode = 1;
}
