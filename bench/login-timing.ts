/**
 * Does a password sign-in take as long for an unknown e-mail as for a known one? Runs the product's
 * `users.authenticate` (the same code the login page calls) against a fresh database: embedded by
 * default, PostgreSQL with DATABASE_URL set. Interleaves the cases so machine noise hits them alike.
 * Usage: npx tsx bench/login-timing.ts [samples=200]. Prints a table on stderr, JSON on stdout.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemActor } from '../src/actors/index.js';
import { loadConfig } from '../src/config/index.js';
import { createEmbeddedDb, createMigrator, createPostgresDb, type Db } from '../src/platform/db/index.js';
import { createMemoryKv } from '../src/platform/kv/index.js';
import { systemClock } from '../src/platform/clock.js';
import { createLog } from '../src/platform/log.js';
import { createServices } from '../src/services.js';

const samples = Number(process.argv[2] ?? 200);
const url = process.env.DATABASE_URL;
let db: Db;
let drop: () => Promise<void>;
if (url) {
  const pg = await import('pg');
  const name = `porta_bench_timing_${Date.now().toString(36)}`;
  const admin = new pg.default.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  db = createPostgresDb({ url: target.toString() });
  drop = async () => {
    await db.close();
    const c = new pg.default.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
} else {
  db = await createEmbeddedDb({ dataDir: 'memory://' });
  drop = () => db.close();
}
try {
  await createMigrator(db).up();
  const config = loadConfig({
    NODE_ENV: 'test', PORTA_DATA_DIR: path.join(os.tmpdir(), 'porta-bench-timing'), COOKIE_KEYS: 'bench-cookie-key-0123456789abcdef',
    TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32), ISSUER_BASE_URL: 'http://127.0.0.1:3000',
  });
  const clock = systemClock;
  const services = await createServices({ config, db, kv: createMemoryKv({ clock }), clock, log: createLog({ env: 'test', level: 'silent' }), isSchemaCurrent: () => true });
  const actor = systemActor();
  // Lockout must not end the run: every case is a wrong password.
  await services.systemConfig.set(actor, 'account_lockout_threshold', '100');
  const org = await services.organizations.create(actor, { name: 'Timing', slug: `timing-${Date.now().toString(36)}` });
  const cases: Record<string, () => Promise<unknown>> = {};
  const known: string[] = [];
  for (let i = 0; i < 4; i++) {
    const user = await services.users.create(actor, org.id, { email: `known-${i}@timing.test`, password: 'the-right-password-1' });
    known.push(user.email);
  }
  let k = 0;
  let u = 0;
  cases['known e-mail, wrong password'] = () => services.users.authenticate(org.id, known[k++ % known.length]!, 'a-wrong-password-1');
  cases['unknown e-mail'] = () => services.users.authenticate(org.id, `nobody-${u++}@timing.test`, 'a-wrong-password-1');
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  // Known accounts would lock at 100 failures: reset them as the run goes.
  for (let i = 0; i < samples; i++) {
    for (const [name, run] of Object.entries(i % 2 === 0 ? cases : Object.fromEntries(Object.entries(cases).reverse()))) {
      const t = performance.now();
      await run();
      times[name]!.push(performance.now() - t);
    }
    if (i % 80 === 79) await db.query('UPDATE users SET failed_login_count = 0 WHERE organization_id = $1', [org.id]);
  }
  const q = (xs: number[], p: number) => Math.round([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]! * 100) / 100;
  const summary = Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, { p10: q(xs, 0.1), median: q(xs, 0.5), p90: q(xs, 0.9) }]));
  const [a, b] = Object.values(summary);
  const result = { backend: url ? 'postgres' : 'embedded', samples, cases: summary, medianDifferenceMs: Math.round((a!.median - b!.median) * 100) / 100, load: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  for (const [name, s] of Object.entries(summary)) process.stderr.write(`${name.padEnd(30)} p10 ${s.p10} ms  median ${s.median} ms  p90 ${s.p90} ms\n`);
  process.stderr.write(`median difference ${result.medianDifferenceMs} ms (load ${result.load.join(' ')})\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  services.stop();
} finally {
  await drop();
}
