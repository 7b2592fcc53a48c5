#!/usr/bin/env node
// How fast the admin console's lists and searches answer with a large installation (issue 17 item 5):
// 10,000 organizations and 100,000 users (half of them in one large organization), 10,000 clients,
// 20,000 tracked sessions and about 210,000 audit entries, bulk-inserted with SQL into a fresh
// PostgreSQL database migrated by `porta migrate up`, then every list, search, filter and page turn
// the console issues, timed from this process over loopback with a service account's token.
// Usage: node bench/console-lists.mjs [--samples 20] [--warmup 3] [--tsx] [--keep] [--only orgs,users,…]
//   --tsx: run the server from src/ with tsx (development) instead of compiled with NODE_ENV=production.
//   --keep: leave the database in place and print its URL (for EXPLAIN sessions); dropped otherwise.
// Prints a table on stderr and JSON on stdout; exit 1 when a request fails or a p95 exceeds --target (300 ms).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compilePorta, freePort, prepareEnvironment, removePrefixedKeys, root, startPorta } from './lib/porta.mjs';
import { percentile } from './lib/stats.mjs';

const GROUPS = ['orgs', 'org-detail', 'users', 'clients', 'sessions', 'audit', 'dashboard'];
const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    target: { type: 'string', default: '300' },
    tsx: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const samples = Number(values.samples);
const warmup = Number(values.warmup);
const target = Number(values.target);
const only = values.only ? values.only.split(',').map((s) => s.trim()) : GROUPS;
if (!(samples >= 1) || !(warmup >= 0) || !(target > 0) || only.some((g) => !GROUPS.includes(g))) {
  console.error(`usage: node bench/console-lists.mjs [--samples N] [--warmup N] [--target MS] [--tsx] [--keep] [--only ${GROUPS.join(',')}]`);
  process.exit(2);
}

const ORGS = 10_000;
const USERS = 100_000;
const BIG_ORG_USERS = 50_000;
const SESSIONS = 20_000;
const loadavg = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

function porta(args, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(root, 'bin/porta.mjs'), ...args], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`porta ${args.join(' ')} failed: ${(stderr || stdout || err.message).slice(0, 2000)}`));
      else resolve(stdout);
    });
  });
}

/**
 * The seed, in the schema the migrations made: organization 0 is the large tenant (half the users),
 * the others hold 5 each. Names, statuses and dates vary so that searches and filters select a part.
 */
const SEED_SQL = [
  `INSERT INTO organizations (name, slug, status, default_locale, branding_primary_color, created_at, updated_at)
   SELECT (ARRAY['Acme','Globex','Initech','Umbrella','Hooli','Stark','Wayne','Tyrell','Cyberdyne','Soylent'])[1 + i % 10]
            || ' ' || (ARRAY['Labs','Corp','Group','Holdings','Systems','Partners','Studio'])[1 + (i / 10) % 7] || ' ' || i,
          'org-' || i,
          CASE WHEN i % 100 < 7 AND i > 0 THEN 'suspended' WHEN i % 100 >= 97 THEN 'archived' ELSE 'active' END,
          (ARRAY['en','de','fr','es','nl','pt'])[1 + i % 6],
          '#' || lpad(to_hex((i * 2654435761) % 16777216), 6, '0'),
          now() - i * interval '1 hour', now() - i * interval '1 hour'
     FROM generate_series(0, ${ORGS - 1}) AS i`,
  `CREATE TEMP TABLE bench_orgs AS
   SELECT id, (substring(slug from 5))::int AS n FROM organizations WHERE slug LIKE 'org-%'`,
  `CREATE INDEX ON bench_orgs (n)`,
  `INSERT INTO users (organization_id, email, email_verified, given_name, family_name, status, last_login_at, login_count, created_at, updated_at)
   SELECT o.id, 'user' || u || '@org-' || o.n || '.example', u % 3 <> 0,
          (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Ken','Dennis','Margaret','Linus','Frances'])[1 + u % 10],
          'Family' || u,
          CASE WHEN u % 50 = 0 THEN 'suspended' WHEN u % 97 = 0 THEN 'locked' WHEN u % 31 = 0 THEN 'inactive' ELSE 'active' END,
          CASE WHEN u % 4 = 0 THEN NULL ELSE now() - (u % 1000) * interval '1 hour' END, u % 20,
          now() - u * interval '3 minutes', now() - u * interval '3 minutes'
     FROM generate_series(0, ${USERS - 1}) AS u
     JOIN bench_orgs o ON o.n = CASE WHEN u < ${BIG_ORG_USERS} THEN 0 ELSE 1 + (u - ${BIG_ORG_USERS}) % ${ORGS - 1} END`,
  `INSERT INTO applications (name, slug, description) VALUES ('Bench application', 'bench-app', 'clients of the console bench')`,
  `INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type, application_type, redirect_uris, created_at)
   SELECT o.id, a.id, 'bench-client-' || o.n, 'Client ' || o.n, CASE WHEN o.n % 3 = 0 THEN 'public' ELSE 'confidential' END,
          CASE WHEN o.n % 3 = 0 THEN 'spa' ELSE 'web' END, ARRAY['https://app' || o.n || '.example/callback'], now() - o.n * interval '1 hour'
     FROM bench_orgs o CROSS JOIN applications a WHERE a.slug = 'bench-app'`,
  `CREATE TEMP TABLE bench_users AS
   SELECT id, organization_id, created_at, (row_number() OVER (ORDER BY id))::int - 1 AS n FROM users WHERE email LIKE 'user%@org-%.example'`,
  `CREATE INDEX ON bench_users (n)`,
  `INSERT INTO admin_sessions (session_id, user_id, organization_id, ip_address, user_agent, created_at, expires_at, last_activity_at, revoked_at)
   SELECT 'bench-session-' || s, u.id, u.organization_id, ('10.0.' || (s % 250) || '.' || (s % 200))::inet, 'Mozilla/5.0 bench',
          now() - (s % 600) * interval '1 minute' - interval '1 hour',
          CASE WHEN s % 10 = 0 THEN now() - interval '1 minute' ELSE now() + interval '1 day' END,
          now() - (s % 600) * interval '1 minute',
          CASE WHEN s % 7 = 0 THEN now() - interval '5 minutes' END
     FROM generate_series(0, ${SESSIONS - 1}) AS s JOIN bench_users u ON u.n = (s * 5) % ${USERS}`,
  `INSERT INTO audit_log (event_type, event_category, actor_id, actor_type, source, organization_id, target_type, target_id, metadata, created_at)
   SELECT 'organization.created', 'admin', (SELECT id FROM users WHERE email = 'root@bench.example'), 'admin', 'api', o.id,
          'organization', o.id::text, jsonb_build_object('slug', 'org-' || o.n), now() - o.n * interval '1 hour'
     FROM bench_orgs o`,
  `INSERT INTO audit_log (event_type, event_category, actor_id, actor_type, source, organization_id, user_id, target_type, target_id, metadata, created_at)
   SELECT 'user.created', 'admin', (SELECT id FROM users WHERE email = 'root@bench.example'), 'admin', 'api', u.organization_id, u.id,
          'user', u.id::text, '{}'::jsonb, u.created_at
     FROM bench_users u`,
  `INSERT INTO audit_log (event_type, event_category, actor_type, source, organization_id, user_id, metadata, ip_address, user_agent, created_at)
   SELECT CASE WHEN s % 9 = 0 THEN 'user.login.password.failed' ELSE 'user.login.password.success' END, 'authentication', 'anonymous', 'login',
          u.organization_id, u.id, '{}'::jsonb, '10.1.0.1'::inet, 'Mozilla/5.0 bench', now() - (s % 43200) * interval '1 minute'
     FROM generate_series(0, ${USERS - 1}) AS s JOIN bench_users u ON u.n = (s * 7919) % ${USERS}`,
  'ANALYZE',
];

async function withPg(url, fn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function seed(url) {
  return withPg(url, async (db) => {
    const timings = [];
    for (const statement of SEED_SQL) {
      const started = performance.now();
      await db.query(statement);
      timings.push(Math.round(performance.now() - started));
    }
    const counts = (await db.query(`SELECT (SELECT count(*) FROM organizations)::int AS organizations, (SELECT count(*) FROM users)::int AS users,
      (SELECT count(*) FROM clients)::int AS clients, (SELECT count(*) FROM admin_sessions)::int AS sessions,
      (SELECT count(*) FROM audit_log)::int AS audit`)).rows[0];
    const big = (await db.query(`SELECT id FROM organizations WHERE slug = 'org-0'`)).rows[0].id;
    const small = (await db.query(`SELECT id FROM organizations WHERE slug = 'org-4321'`)).rows[0].id;
    const someUser = (await db.query(`SELECT id FROM users WHERE email = 'user50000@org-1.example'`)).rows[0].id;
    const admin = (await db.query(`SELECT id FROM users WHERE email = 'root@bench.example'`)).rows[0].id;
    return { seedMs: timings.reduce((a, b) => a + b, 0), counts, ids: { big, small, someUser, admin } };
  });
}

async function adminToken(url, clientId, secret) {
  const res = await fetch(`${url}/porta-admin/auth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = await res.json();
  if (!res.ok || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Times one GET of the Admin API until its body is read; throws on anything but 200. */
function timer(url, token) {
  return async (pathAndQuery) => {
    const started = performance.now();
    const res = await fetch(`${url}/api/admin${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
    const text = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`${pathAndQuery}: ${res.status} ${text.slice(0, 300)}`);
    return { ms, body: JSON.parse(text) };
  };
}

/** Real cursors of the lists the console pages through: the `pages` next-page requests after `first`. */
async function cursorChain(get, first, pages) {
  const out = [];
  let body = (await get(first)).body;
  for (let p = 0; p < pages && body.nextCursor; p++) {
    const next = `${first}&cursor=${encodeURIComponent(body.nextCursor)}`;
    out.push(next);
    body = (await get(next)).body;
  }
  return out;
}

/**
 * Each case: a group, a name and the requests it cycles through, varied where the console varies them
 * (search terms as typed, one keystroke after another; other organizations; further pages).
 */
async function cases(ids, get) {
  const L = 'limit=25';
  const wanted = (group) => only.includes(group);
  const orgPages = wanted('orgs') ? await cursorChain(get, `/organizations?${L}&sortBy=name&sortOrder=asc`, 20) : [];
  const orgThird = wanted('orgs') ? (await cursorChain(get, `/organizations?${L}`, 3)).at(-1) : null;
  const orgPrev = orgThird ? [`/organizations?${L}&cursor=${encodeURIComponent((await get(orgThird)).body.previousCursor)}`] : [];
  const userPages = wanted('users') ? await cursorChain(get, `/organizations/${ids.big}/users?${L}`, 20) : [];
  const auditPages = wanted('audit') ? await cursorChain(get, '/audit?limit=50', 20) : [];
  const typed = (word) => Array.from({ length: word.length - 1 }, (_, k) => word.slice(0, k + 2));
  const orgSearches = [...typed('globex'), ...typed('org-9876'), 'labs', 'holdings 42', 'zzzz-none'];
  const userSearches = [...typed('family4242'), ...typed('grace'), 'user49999@', 'nobody-here'];
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const until = new Date(Date.now() - 86_400_000).toISOString();
  const all = [
    ['orgs', 'orgs: first page (created_at desc)', [`/organizations?${L}`]],
    ['orgs', 'orgs: by name asc', [`/organizations?${L}&sortBy=name&sortOrder=asc`]],
    ['orgs', 'orgs: next pages (cursor, by name)', orgPages],
    ['orgs', 'orgs: previous page (cursor)', orgPrev],
    ['orgs', 'orgs: search as typed', orgSearches.map((s) => `/organizations?${L}&search=${encodeURIComponent(s)}`)],
    ['orgs', 'orgs: status=suspended', [`/organizations?${L}&status=suspended`]],
    ['orgs', 'orgs: status=archived + search', [`/organizations?${L}&status=archived&search=corp`]],
    ['orgs', 'orgs: validate slug', ['/organizations/validate-slug?slug=org-77', '/organizations/validate-slug?slug=brand-new-org']],
    ['org-detail', 'org: detail', [`/organizations/${ids.big}`, `/organizations/${ids.small}`, '/organizations/org-5000']],
    ['org-detail', 'org: 2FA policy', [`/organizations/${ids.big}/two-factor/policy`, `/organizations/${ids.small}/two-factor/policy`]],
    ['org-detail', 'org: 2FA summary (50,000 users)', [`/organizations/${ids.big}/two-factor/summary`]],
    ['org-detail', 'org: branding assets', [`/organizations/${ids.big}/branding`]],
    ['org-detail', 'org: history', [`/organizations/${ids.big}/history?limit=20`, `/organizations/${ids.small}/history?limit=20`]],
    ['org-detail', 'org: stats', [`/stats/organization/${ids.big}`, `/stats/organization/${ids.small}`]],
    ['users', 'users: large org first page', [`/organizations/${ids.big}/users?${L}`]],
    ['users', 'users: large org by email asc', [`/organizations/${ids.big}/users?${L}&sortBy=email&sortOrder=asc`]],
    ['users', 'users: large org by last login', [`/organizations/${ids.big}/users?${L}&sortBy=last_login_at&sortOrder=desc`]],
    ['users', 'users: large org next pages (cursor)', userPages],
    ['users', 'users: large org search as typed', userSearches.map((s) => `/organizations/${ids.big}/users?${L}&search=${encodeURIComponent(s)}`)],
    ['users', 'users: large org status=locked', [`/organizations/${ids.big}/users?${L}&status=locked`]],
    ['users', 'users: small org', [`/organizations/${ids.small}/users?${L}`, `/organizations/${ids.small}/users?${L}&search=ada`]],
    ['clients', 'clients: all orgs first page', [`/clients?${L}`]],
    ['clients', 'clients: all orgs search', ['client 98', 'bench-client-12', 'none-such'].map((s) => `/clients?${L}&search=${encodeURIComponent(s)}`)],
    ['clients', 'clients: one org', [`/clients?${L}&organizationId=${ids.small}`]],
    ['clients', 'applications: list', [`/applications?${L}`]],
    ['sessions', 'sessions: active, first page', ['/sessions?activeOnly=true&page=1&pageSize=25']],
    ['sessions', 'sessions: all, page 40', ['/sessions?activeOnly=false&page=40&pageSize=25']],
    ['sessions', 'sessions: by organization', [`/sessions?activeOnly=true&organizationId=${ids.big}&page=1&pageSize=25`, `/sessions?activeOnly=false&organizationId=${ids.small}&page=1&pageSize=25`]],
    ['sessions', 'sessions: by user', [`/sessions?activeOnly=false&userId=${ids.someUser}&page=1&pageSize=25`]],
    ['audit', 'audit: first page', ['/audit?limit=50']],
    ['audit', 'audit: next pages (cursor)', auditPages],
    ['audit', 'audit: event prefix', ['/audit?limit=50&event=user.', '/audit?limit=50&event=organization.']],
    ['audit', 'audit: exact event', ['/audit?limit=50&event=user.login.password.failed']],
    ['audit', 'audit: category', ['/audit?limit=50&category=authentication']],
    ['audit', 'audit: by organization', [`/audit?limit=50&org=${ids.big}`, `/audit?limit=50&org=${ids.small}`]],
    ['audit', 'audit: by user', [`/audit?limit=50&user=${ids.someUser}`]],
    ['audit', 'audit: by actor', [`/audit?limit=50&actor=${ids.admin}`]],
    ['audit', 'audit: date range', [`/audit?limit=50&since=${since}&until=${until}`]],
    ['audit', 'audit: org + event + range', [`/audit?limit=50&org=${ids.big}&event=user.login.&since=${since}`]],
    ['dashboard', 'dashboard: stats overview', ['/stats/overview']],
  ];
  return all.filter(([group]) => wanted(group)).map(([group, name, paths]) => ({ group, name, paths }));
}

async function measure(list, get) {
  const results = [];
  for (const c of list) {
    if (c.paths.length === 0) throw new Error(`${c.name}: nothing to request`);
    for (let i = 0; i < warmup; i++) await get(c.paths[i % c.paths.length]);
    const times = [];
    const n = Math.max(samples, c.paths.length);
    for (let i = 0; i < n; i++) times.push((await get(c.paths[i % c.paths.length])).ms);
    const sorted = Float64Array.from(times).sort();
    const r1 = (x) => Math.round(x * 10) / 10;
    results.push({ group: c.group, name: c.name, requests: n, p50: r1(percentile(sorted, 50)), p95: r1(percentile(sorted, 95)), max: r1(percentile(sorted, 100)) });
  }
  return results;
}

function printTable(results) {
  const w = Math.max(...results.map((r) => r.name.length));
  console.error(`${'request'.padEnd(w)}  ${'n'.padStart(4)}  ${'p50 ms'.padStart(8)}  ${'p95 ms'.padStart(8)}  ${'max ms'.padStart(8)}`);
  for (const r of results) {
    const flag = r.p95 > target ? '  > target' : '';
    console.error(`${r.name.padEnd(w)}  ${String(r.requests).padStart(4)}  ${r.p50.toFixed(1).padStart(8)}  ${r.p95.toFixed(1).padStart(8)}  ${r.max.toFixed(1).padStart(8)}${flag}`);
  }
}

async function main() {
  const port = await freePort();
  const setup = await prepareEnvironment({ services: true, port, production: !values.tsx });
  let server;
  let build;
  let keep = false;
  const stopAll = async () => {
    await server?.stop();
    build?.remove();
    if (keep) {
      fs.rmSync(setup.dataDir, { recursive: true, force: true });
      await removePrefixedKeys(setup.env.REDIS_URL, setup.env.REDIS_KEY_PREFIX);
      console.error(`database kept: ${setup.database.url}`);
    } else {
      await setup.cleanup();
    }
  };
  process.once('SIGINT', () => {
    stopAll().finally(() => process.exit(130));
  });
  try {
    const env = { ...setup.env, PORTA_BOOTSTRAP_ADMIN_EMAIL: 'root@bench.example' };
    console.error(`machine: ${os.cpus().length} cores, load average ${loadavg().join(' ')} (shared with other work)`);
    await porta(['migrate', 'up'], env);
    await porta(['init', '--email', 'root@bench.example', '--password', 'Bench-root-password-1', '--given-name', 'Bench', '--family-name', 'Root'], env);
    const sa = JSON.parse(await porta(['--direct', '--json', 'service-account', 'create', '--name', 'console bench', '--role', 'porta-super-admin'], env));
    const { serviceAccount, secret } = sa.data;
    console.error('seeding …');
    const seeded = await seed(env.DATABASE_URL);
    console.error(`seeded in ${(seeded.seedMs / 1000).toFixed(1)} s: ${JSON.stringify(seeded.counts)}`);
    if (!values.tsx) build = await compilePorta();
    server = await startPorta(env, build ? { main: build.main } : {});
    const token = await adminToken(server.url, serviceAccount.clientId, secret.plaintext);
    const get = timer(server.url, token);
    const loadBefore = loadavg();
    const started = Date.now();
    const results = await measure(await cases(seeded.ids, get), get);
    const loadAfter = loadavg();
    printTable(results);
    const over = results.filter((r) => r.p95 > target);
    console.error(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${((Date.now() - started) / 1000).toFixed(1)} s of requests`);
    console.error(over.length === 0 ? `every p95 within ${target} ms` : `${over.length} above ${target} ms at p95`);
    console.log(JSON.stringify({
      machine: { cores: os.cpus().length, loadBefore, loadAfter, node: process.version },
      server: values.tsx ? 'tsx, development' : 'compiled, production',
      seeded: seeded.counts, seedMs: seeded.seedMs, samples, target, results,
    }, null, 2));
    keep = values.keep;
    if (over.length > 0) process.exitCode = 1;
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    if (server) console.error(JSON.stringify(server.logs()));
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

await main();
