import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPorta, type Porta } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { listen, type RunningServer } from '../../src/server.js';
import { createMigrator, createPostgresDb } from '../../src/platform/db/index.js';
import { runPorta } from '../support/cli.js';
import { mintAdminToken } from '../support/admin.js';
import { captureLog, cliEnv, guideRoles, probe, waitFor, type GuideRoles } from '../support/db-roles.js';
import { createTestDatabase, describeWithPostgres, postgresAdminUrl, type TestDatabase } from '../support/services.js';

const run = promisify(execFile);

/** pg_dump / pg_restore as the guide writes them, on the test server. */
async function pgTool(tool: 'pg_dump' | 'pg_restore', user: string, args: string[]): Promise<void> {
  const u = new URL(postgresAdminUrl);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  await run(tool, ['-h', u.hostname, '-p', u.port || '5432', '-U', user, '--no-owner', '--no-privileges', ...args], { env });
}

function serverConfig(url: string, dataDir: string) {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    PORTA_DATA_DIR: dataDir,
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdef',
    TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32),
  });
}

describeWithPostgres('a restore with pg_restore --no-owner --no-privileges, then `porta migrate up` or `porta db grant`', () => {
  const databases: TestDatabase[] = [];
  let roles: GuideRoles;
  let dataDir: string;
  let dump: string;
  let adminUserId: string;
  const servers: Array<{ porta: Porta; running: RunningServer }> = [];

  beforeAll(async () => {
    roles = guideRoles();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-restore-'));
    dump = path.join(dataDir, 'porta.dump');
    const source = await createTestDatabase();
    databases.push(source);
    await roles.apply(source.name);
    const migrateDb = createPostgresDb({ url: roles.migrate.urlFor(source.name) });
    try {
      await createMigrator(migrateDb, undefined, { appRole: roles.app.name }).up();
    } finally {
      await migrateDb.close();
    }
    const porta = await createPorta({ config: serverConfig(roles.app.urlFor(source.name), dataDir), log: captureLog().log });
    try {
      const init = await porta.services.bootstrap.initialize({ email: 'root@porta.test', password: 'Root-password-1234', givenName: 'Root', familyName: 'Admin' });
      adminUserId = init.user.id;
    } finally {
      await porta.close();
    }
    await pgTool('pg_dump', 'postgres', ['-Fc', '-f', dump, source.name]);
  });
  afterAll(async () => {
    for (const s of servers) await s.running.shutdown();
    for (const d of databases) await d.drop();
    await roles?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new database with the guide's grants, restored as `restoreAs`. */
  async function restoreInto(restoreAs: string): Promise<TestDatabase> {
    const target = await createTestDatabase();
    databases.push(target);
    await roles.apply(target.name);
    await pgTool('pg_restore', restoreAs, ['-d', target.name, dump]);
    return target;
  }

  async function startAsApp(target: TestDatabase) {
    const captured = captureLog();
    const porta = await createPorta({ config: serverConfig(roles.app.urlFor(target.name), dataDir), log: captured.log, schemaCheckIntervalMs: 200 });
    const running = await listen(porta, { port: 0, host: '127.0.0.1' });
    servers.push({ porta, running });
    return { porta, url: running.url, lines: captured.lines };
  }

  it('restored by the migration role: the app role starts, reports what it lacks, and works after `porta migrate up`', { timeout: 120_000 }, async () => {
    const target = await restoreInto(roles.migrate.name);
    const { porta, url, lines } = await startAsApp(target);
    expect(await probe(url, '/ready')).toEqual({ status: 503, body: { status: 'not_ready', checks: { database: 'ok', redis: 'ok', schema: 'error' } } });
    const named = lines.find((l) => l.msg.startsWith('schema.privileges_missing'));
    expect(named?.missingPrivileges).toEqual(expect.arrayContaining(['users: SELECT, INSERT, UPDATE, DELETE', 'audit_log_seq_seq: USAGE, SELECT']));

    const migrate = await runPorta(['migrate', 'up'], {
      env: cliEnv(dataDir, { DATABASE_URL: roles.migrate.urlFor(target.name), PORTA_APP_ROLE: roles.app.name }),
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(new RegExp(`^No pending migrations.\nGranted ${roles.app.name}: .*signing_keys: SELECT, INSERT, UPDATE, DELETE`, 'm'));

    expect((await waitFor(() => probe(url, '/ready'), (r) => r.status === 200)).status).toBe(200);
    const token = await mintAdminToken(porta, adminUserId);
    const created = await fetch(`${url}/api/admin/organizations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'After the restore', slug: 'after-the-restore' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
  });

  it('restored by another role: `porta db grant` as the migration role names the owner; as the owner it works', { timeout: 120_000 }, async () => {
    const target = await restoreInto('postgres');
    const asMigrate = await runPorta(['db', 'grant', '--app-role', roles.app.name], { env: cliEnv(dataDir, { DATABASE_URL: roles.migrate.urlFor(target.name) }) });
    expect(asMigrate.status).toBe(4);
    expect(asMigrate.stderr).toContain(`porta: The database role "${roles.migrate.name}" may not grant "${roles.app.name}" admin_sessions: SELECT, INSERT, UPDATE, DELETE;`);
    expect(asMigrate.stderr).toContain('only the owner ("postgres")');

    const asOwner = await runPorta(['db', 'grant', '--app-role', roles.app.name], { env: cliEnv(dataDir, { DATABASE_URL: target.url }) });
    expect(asOwner.status, asOwner.stderr).toBe(0);
    const check = await runPorta(['db', 'check'], { env: cliEnv(dataDir, { DATABASE_URL: roles.app.urlFor(target.name) }) });
    expect(check.status, check.stdout).toBe(0);
    expect(check.stdout.trim()).toBe('The connected role holds every privilege Porta needs.');
  });
});
