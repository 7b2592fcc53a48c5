#!/usr/bin/env node
// Loopback benchmark of Porta's OIDC endpoints and of a complete browser login.
// Usage: node bench/oidc.mjs [--services] [--duration 10] [--connections 20] [--warmup 2] [--only name,…]
// Scenarios: discovery, jwks, client_credentials, introspection, refresh, login.
// Starts its own Porta on a free 127.0.0.1 port (embedded backends, or a fresh PostgreSQL database
// plus the local Redis with --services), provisions a bench tenant with `porta provision` before
// the server starts, and removes everything it made at the end (the database, the data dir, its
// keys in Redis). Every scenario is bounded by --duration (+ --warmup). A login is a fresh browser (cookie jar) doing
// authorize → login page → POST login (one Argon2id verification) → resume → callback → token.
// Prints a table (with where the CPU went) on stderr and a JSON summary on stdout; exits non-zero
// when any request failed (non-2xx, wrong body, connection error or timeout).
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, prepareEnvironment, runTsJson, startPorta } from './lib/porta.mjs';
import { createHttpClient, CookieJar, browse, basicAuth, hiddenInput, formAction } from './lib/http-client.mjs';
import { latencySummary, createErrorLog } from './lib/stats.mjs';
import { provisionTenant } from './lib/provision.mjs';
import { cpuSnapshot, cpuShares } from './lib/cpu.mjs';

const SCENARIOS = ['discovery', 'jwks', 'client_credentials', 'introspection', 'refresh', 'login'];
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const PASSWORD = `bench-${randomBytes(12).toString('base64url')}`;

const { values } = parseArgs({
  options: {
    services: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const selected = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIOS;
const unknown = selected.filter((s) => !SCENARIOS.includes(s));
if (unknown.length > 0 || !(duration > 0) || !(warmup >= 0) || !(connections > 0)) {
  console.error(`usage: node bench/oidc.mjs [--services] [--duration S] [--connections N] [--warmup S] [--only ${SCENARIOS.join(',')}]`);
  process.exit(2);
}

// Other work on the machine skews every figure; the load averages go into the summary to show it.
const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);
const port = await freePort();
const environment = await prepareEnvironment({ services: values.services, port });
let server;
let client;
let isCleanedUp = false;
let tenant;
const extras = {};

async function cleanup() {
  if (isCleanedUp) return;
  isCleanedUp = true;
  client?.close();
  await server?.stop();
  await environment.cleanup();
}
process.once('SIGINT', () => {
  cleanup().finally(() => process.exit(130));
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const isOk = (status) => status >= 200 && status < 300;

/** One complete authorization-code + PKCE login in a fresh browser; returns the token response and step timings. */
async function login(user) {
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

async function scripted(unit, workers, op, extra = () => ({})) {
  if (warmup > 0) await loop(warmup, workers, op);
  const before = cpuSnapshot(server.pid, environment.database?.name);
  const run = await loop(duration, workers, op);
  const cpu = cpuShares(before, cpuSnapshot(server.pid, environment.database?.name));
  return {
    unit,
    count: run.latencies.length,
    perSecond: Math.round((run.latencies.length / run.elapsedSeconds) * 10) / 10,
    latencyMs: latencySummary(run.latencies),
    errors: run.errors.total,
    errorDetails: run.errors.total > 0 ? run.errors.summary() : undefined,
    ...extra(run),
    cpu,
  };
}

/** An autocannon run whose every response is checked: a non-2xx status or an unexpected body is an error. */
async function cannon({ method = 'GET', path, headers, body, check }) {
  const errors = createErrorLog();
  const onResponse = (status, resBody) => {
    if (!isOk(status)) errors.add(`status_${status}`, resBody);
    else if (!check(resBody)) errors.add('unexpected_body', resBody);
  };
  const request = { method, path, headers, body };
  if (warmup > 0) await autocannon({ url: server.url, connections, duration: warmup, requests: [request] });
  const before = cpuSnapshot(server.pid, environment.database?.name);
  const result = await autocannon({ url: server.url, connections, duration, requests: [{ ...request, onResponse }] });
  const cpu = cpuShares(before, cpuSnapshot(server.pid, environment.database?.name));
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
    cpu,
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

const results = {};
try {
  extras.argon2 = await runTsJson('bench/lib/argon2.ts', [], environment.env);
  tenant = await provisionTenant(environment.env, { slug: `bench-${randomBytes(4).toString('hex')}`, redirectUri: REDIRECT_URI, password: PASSWORD });
  server = await startPorta(environment.env);
  client = createHttpClient(server.url, { maxSockets: connections * 2 });
  const issuer = `${server.url}/${tenant.slug}`;
  const user = tenant.users[0];
  const clientAuth = { authorization: basicAuth(tenant.clientId, tenant.clientSecret), 'content-type': 'application/x-www-form-urlencoded' };
  const header = `${'scenario'.padEnd(20)}${'per second'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${'count'.padStart(8)}  CPU % server/bench/stores/other`;
  console.error(`Porta at ${server.url} (${values.services ? 'PostgreSQL + Redis' : 'embedded PGlite + in-process store'}), ${connections} connections, ${duration} s each after ${warmup} s warm-up`);
  console.error(header);

  const scenarios = {
    discovery: () => cannon({ path: `/${tenant.slug}/.well-known/openid-configuration`, check: (b) => parses(b, (d) => d.issuer === issuer) }),
    jwks: () => cannon({ path: `/${tenant.slug}/auth/jwks`, check: (b) => parses(b, (d) => d.keys.length > 0) }),
    client_credentials: () => cannon({
      method: 'POST', path: `/${tenant.slug}/auth/token`, headers: clientAuth, body: form({ grant_type: 'client_credentials' }),
      check: (b) => parses(b, (d) => typeof d.access_token === 'string'),
    }),
    async introspection() {
      const { tokens } = await login(user);
      return cannon({
        method: 'POST', path: `/${tenant.slug}/auth/token/introspection`, headers: clientAuth, body: form({ token: tokens.access_token }),
        check: (b) => parses(b, (d) => d.active === true && d.sub === user.id),
      });
    },
    async refresh() {
      // Refresh tokens rotate: each connection keeps its own chain, always presenting the newest token.
      const workers = [];
      for (let i = 0; i < connections; i++) workers.push({ refreshToken: (await login(user)).tokens.refresh_token });
      return scripted('requests', workers, async (w) => {
        const res = await client.request('POST', `/${tenant.slug}/auth/token`, {
          headers: { authorization: clientAuth.authorization },
          form: { grant_type: 'refresh_token', refresh_token: w.refreshToken },
        });
        const body = res.status === 200 ? JSON.parse(res.body) : undefined;
        if (!body?.access_token || !body.refresh_token || body.refresh_token === w.refreshToken) {
          throw Object.assign(new Error('refresh failed'), { reason: `refresh_status_${res.status}`, detail: res.body.slice(0, 200) });
        }
        w.refreshToken = body.refresh_token;
      });
    },
    async login() {
      const steps = [];
      const workers = Array.from({ length: connections }, () => ({}));
      return scripted('logins', workers, async () => {
        steps.push((await login(user)).steps);
      }, (run) => ({
        ...loginDetails(steps.slice(-run.latencies.length)),
        argon2idVerificationsPerLogin: 1,
      }));
    },
  };

  for (const name of selected) {
    const r = await scenarios[name]();
    results[name] = r;
    const fmt = (v) => String(v ?? '-').padStart(10);
    console.error(`${name.padEnd(20)}${`${r.perSecond} ${r.unit === 'logins' ? 'login' : 'req'}/s`.padStart(12)}${fmt(r.latencyMs.p50)}${fmt(r.latencyMs.p99)}${String(r.errors).padStart(8)}${String(r.count).padStart(8)}  ${r.cpu ? `${r.cpu.serverPct}/${r.cpu.benchPct}/${r.cpu.storesPct}/${r.cpu.otherPct}` : '-'}`);
    if (r.errorDetails) console.error(`  errors: ${JSON.stringify(r.errorDetails)}`);
  }
} finally {
  const serverLog = server?.logs();
  await cleanup();
  const totalErrors = Object.values(results).reduce((n, r) => n + r.errors, 0);
  console.log(JSON.stringify({
    benchmark: 'oidc',
    backends: values.services ? 'PostgreSQL + Redis' : 'embedded PGlite + in-process store',
    connections, durationSeconds: duration, warmupSeconds: warmup,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version,
      loadAverage1m: { atStart: loadAtStart[0], atEnd: Math.round(os.loadavg()[0] * 100) / 100 } },
    argon2id: extras.argon2,
    scenarios: results,
    totalErrors,
    serverLogLines: serverLog,
  }, null, 2));
  if (totalErrors > 0 || Object.keys(results).length < selected.length) process.exitCode = 1;
}
