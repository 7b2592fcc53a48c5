#!/usr/bin/env node
// Bounded soak of the public endpoints with the rate limits at their production defaults (issue 10).
// Usage: node bench/soak.mjs [--services] [--duration 120] [--clients 6] [--abusers 2]
// Starts its own Porta on 127.0.0.1 (embedded, or a fresh PostgreSQL database + the local Redis with
// --services) and drives it from several loopback addresses, each a different client IP:
// - `clients` well-behaved IPs: sign in now and then, exchange the code, refresh, introspect and run
//   client-credentials grants at a pace inside every per-IP limit;
// - `abusers` IPs: hammer the token endpoint and the login form with wrong passwords.
// Passes (exit 0) when no request got a 5xx or failed, every well-behaved IP was served with no 429, and
// every abuser was limited (429 with Retry-After). Removes everything it made. Stops by itself.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, prepareEnvironment, startPorta } from './lib/porta.mjs';
import { createHttpClient, CookieJar, browse, basicAuth, hiddenInput, formAction } from './lib/http-client.mjs';
import { provisionTenant } from './lib/provision.mjs';
import { cpuSnapshot, cpuShares } from './lib/cpu.mjs';

const { values } = parseArgs({
  options: {
    services: { type: 'boolean', default: false },
    duration: { type: 'string', default: '120' },
    clients: { type: 'string', default: '6' },
    abusers: { type: 'string', default: '2' },
  },
});
const duration = Math.min(300, Number(values.duration));
const clientCount = Math.min(50, Number(values.clients));
const abuserCount = Math.min(20, Number(values.abusers));
if (!(duration > 0) || !(clientCount > 0) || !(abuserCount >= 0)) {
  console.error('usage: node bench/soak.mjs [--services] [--duration S (≤300)] [--clients N] [--abusers N]');
  process.exit(2);
}

const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const PASSWORD = `soak-${randomBytes(12).toString('base64url')}`;
const port = await freePort();
const environment = await prepareEnvironment({ services: values.services, port });
let server;
let tenant;
const loadAtStart = os.loadavg().map((l) => Math.round(l * 100) / 100);

/** Per IP: counts by outcome. */
const tallies = new Map();
function tally(ip, kind, status) {
  const t = tallies.get(ip) ?? { requests: 0, byStatus: {}, byKind: {}, retryAfterMissing: 0 };
  t.requests++;
  t.byStatus[status] = (t.byStatus[status] ?? 0) + 1;
  t.byKind[kind] = (t.byKind[kind] ?? 0) + 1;
  tallies.set(ip, t);
  return t;
}

async function call(c, ip, kind, method, path, options) {
  let res;
  try {
    res = await c.request(method, path, options);
  } catch (err) {
    tally(ip, kind, 'error');
    throw err;
  }
  const t = tally(ip, kind, res.status);
  if (res.status === 429 && !res.headers['retry-after']) t.retryAfterMissing++;
  return res;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** A full browser login from this IP; returns the token response, or undefined when refused. */
async function login(c, ip, user, password) {
  const jar = new CookieJar();
  const { verifier, challenge } = pkce();
  const base = `/${tenant.slug}`;
  const query = new URLSearchParams({
    client_id: tenant.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access',
    prompt: 'consent', state: 's', code_challenge: challenge, code_challenge_method: 'S256',
  });
  const go = async (method, target, options) => {
    const res = await browse({ request: (m, p, o) => call(c, ip, 'login', m, p, o) }, jar, method, target, options);
    return res;
  };
  let res = await go('GET', `${base}/auth/authorize?${query}`);
  if (!res.headers.location) return undefined;
  res = await go('GET', res.headers.location);
  const csrf = hiddenInput(res.body, '_csrf');
  const action = formAction(res.body, '/login');
  if (!csrf || !action) return undefined;
  res = await go('POST', action, { form: { _csrf: csrf, email: user.email, password } });
  if (res.status !== 303) return undefined;
  for (let hop = 0; hop < 8 && res.status >= 300 && res.status < 400 && !res.headers.location.startsWith(REDIRECT_URI); hop++) {
    res = await go('GET', res.headers.location);
  }
  const code = res.headers.location?.startsWith(REDIRECT_URI) ? new URL(res.headers.location).searchParams.get('code') : null;
  if (!code) return undefined;
  const tokens = await call(c, ip, 'token', 'POST', `${base}/auth/token`, {
    headers: { authorization: basicAuth(tenant.clientId, tenant.clientSecret) },
    form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
  });
  return tokens.status === 200 ? JSON.parse(tokens.body) : undefined;
}

/**
 * A well-behaved client: per 5 minutes it stays under 30 token-endpoint requests (a login's code
 * exchange, refreshes and client-credentials grants), 100 introspections a minute and 10 logins.
 */
async function wellBehaved(ip, index, deadline) {
  const c = createHttpClient(server.url, { maxSockets: 4, localAddress: ip });
  const base = `/${tenant.slug}`;
  const auth = { authorization: basicAuth(tenant.clientId, tenant.clientSecret) };
  try {
    let tokens = await login(c, ip, tenant.users[index % tenant.users.length], PASSWORD);
    let tick = 0;
    while (performance.now() < deadline) {
      tick++;
      // Every second: one introspection (60/min < 100/min).
      if (tokens) await call(c, ip, 'introspection', 'POST', `${base}/auth/token/introspection`, { headers: auth, form: { token: tokens.access_token } });
      // Every 30 s a refresh, every 60 s a client-credentials grant and a sign-in: ≈ 4 token-endpoint
      // requests a minute, under 30 per 5 minutes.
      if (tokens && tick % 30 === 0) {
        const res = await call(c, ip, 'token', 'POST', `${base}/auth/token`, { headers: auth, form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } });
        if (res.status === 200) tokens = JSON.parse(res.body);
      }
      if (tick % 60 === 10) await call(c, ip, 'token', 'POST', `${base}/auth/token`, { headers: auth, form: { grant_type: 'client_credentials' } });
      // Every 60 s: a fresh sign-in (a wrong password first, as people mistype).
      if (tick % 60 === 30) {
        await login(c, ip, tenant.users[index % tenant.users.length], 'mistyped-password');
        tokens = (await login(c, ip, tenant.users[index % tenant.users.length], PASSWORD)) ?? tokens;
      }
      await sleep(1000);
    }
  } finally {
    c.close();
  }
}

/** An abuser: token requests and wrong passwords as fast as one connection allows. */
async function abuser(ip, deadline) {
  const c = createHttpClient(server.url, { maxSockets: 2, localAddress: ip });
  const base = `/${tenant.slug}`;
  const auth = { authorization: basicAuth(tenant.clientId, tenant.clientSecret) };
  try {
    let n = 0;
    while (performance.now() < deadline) {
      if (n++ % 20 === 0) await login(c, ip, { email: `victim${n % 7}@bench.example` }, 'guess-1234567');
      else await call(c, ip, 'token', 'POST', `${base}/auth/token`, { headers: auth, form: { grant_type: 'client_credentials' } });
    }
  } finally {
    c.close();
  }
}

let exitCode;
try {
  tenant = await provisionTenant(environment.env, { slug: 'soak', redirectUri: REDIRECT_URI, password: PASSWORD, users: clientCount, liftLimits: false });
  server = await startPorta(environment.env);
  const before = cpuSnapshot(server.pid, environment.database?.name);
  const started = performance.now();
  const deadline = started + duration * 1000;
  const good = Array.from({ length: clientCount }, (_, i) => `127.0.1.${i + 1}`);
  const bad = Array.from({ length: abuserCount }, (_, i) => `127.0.2.${i + 1}`);
  await Promise.all([
    ...good.map((ip, i) => wellBehaved(ip, i, deadline)),
    ...bad.map((ip) => abuser(ip, deadline)),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuShares(before, cpuSnapshot(server.pid, environment.database?.name));
  const byIp = Object.fromEntries([...tallies.entries()].sort());
  const fivexx = [...tallies.values()].reduce((n, t) => n + Object.entries(t.byStatus).filter(([s]) => s === 'error' || Number(s) >= 500).reduce((a, [, v]) => a + v, 0), 0);
  const goodLimited = good.filter((ip) => (byIp[ip]?.byStatus[429] ?? 0) > 0);
  const goodUnserved = good.filter((ip) => !byIp[ip] || (byIp[ip].byStatus[200] ?? 0) === 0);
  const badUnlimited = bad.filter((ip) => (byIp[ip]?.byStatus[429] ?? 0) === 0);
  const missingRetryAfter = [...tallies.values()].reduce((n, t) => n + t.retryAfterMissing, 0);
  const summary = {
    backends: values.services ? 'postgres+redis' : 'embedded', seconds: Math.round(seconds), clients: clientCount, abusers: abuserCount,
    requests: [...tallies.values()].reduce((n, t) => n + t.requests, 0), fivexxOrErrors: fivexx, wellBehavedLimited: goodLimited,
    wellBehavedUnserved: goodUnserved, abusersNotLimited: badUnlimited, limitedWithoutRetryAfter: missingRetryAfter, cpu, loadAtStart,
    serverLogLines: server.logs().count, byIp,
  };
  for (const [ip, t] of Object.entries(byIp)) {
    process.stderr.write(`${ip.padEnd(12)} ${String(t.requests).padStart(7)} requests  ${Object.entries(t.byStatus).map(([s, v]) => `${s}:${v}`).join(' ')}\n`);
  }
  process.stderr.write(`${summary.requests} requests in ${summary.seconds} s; 5xx or failed: ${fivexx}; well-behaved limited: ${goodLimited.length}; abusers not limited: ${badUnlimited.length}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  exitCode = fivexx === 0 && goodLimited.length === 0 && goodUnserved.length === 0 && badUnlimited.length === 0 && missingRetryAfter === 0 ? 0 : 1;
} finally {
  await server?.stop();
  await environment.cleanup();
}
process.exit(exitCode);
