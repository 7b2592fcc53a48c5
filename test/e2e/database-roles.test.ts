import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPorta, type Porta } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { listen, type RunningServer } from '../../src/server.js';
import { createMigrator, createPostgresDb, DEFAULT_MIGRATIONS_DIR, readMigrations, type Db } from '../../src/platform/db/index.js';
import { runPorta } from '../support/cli.js';
import { captureLog, cliEnv, guideRoles, probe, runAsSuperuser, waitFor, type GuideRoles } from '../support/db-roles.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';
import { mintAdminToken } from '../support/admin.js';

const shipped = readMigrations().map((m) => m.name);

describeWithPostgres("the deployment guide's roles: migrations as porta_migrate, the server as porta_app", () => {
  let database: TestDatabase;
  let roles: GuideRoles;
  let dataDir: string;
  let migrationsDir: string;
  let migrateDb: Db;
  let porta: Porta | undefined;
  let running: RunningServer | undefined;
  let url: string;
  let token: string;
  const captured = captureLog();

  const adminWrite = (slug: string) =>
    fetch(`${url}/api/admin/organizations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `Org ${slug}`, slug }),
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    roles = guideRoles();
    await roles.apply(database.name);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-roles-'));
    // The server reads its migrations from here at every check, so the test can add one later.
    migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-roles-migrations-'));
    for (const f of fs.readdirSync(DEFAULT_MIGRATIONS_DIR).filter((n) => n.endsWith('.sql'))) {
      fs.copyFileSync(path.join(DEFAULT_MIGRATIONS_DIR, f), path.join(migrationsDir, f));
    }
    migrateDb = createPostgresDb({ url: roles.migrate.urlFor(database.name) });
  });
  afterAll(async () => {
    await running?.shutdown();
    if (!running) await porta?.close();
    await migrateDb?.close();
    await database?.drop();
    await roles?.drop();
    for (const dir of [dataDir, migrationsDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('`porta migrate up` runs as the migration role, needs no superuser nor extension, and grants the application role', { timeout: 120_000 }, async () => {
    const run = await runPorta(['migrate', 'up'], {
      env: cliEnv(dataDir, { DATABASE_URL: roles.migrate.urlFor(database.name), PORTA_APP_ROLE: roles.app.name }),
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Applied ${shipped.length}: ${shipped.join(', ')}`);
    expect(run.stdout).toMatch(new RegExp(`^Granted ${roles.app.name}: .*users: SELECT, INSERT, UPDATE, DELETE`, 'm'));

    const facts = await migrateDb.one<{ is_super: boolean; extensions: string[]; owners: string[]; email_type: string }>(
      `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_super,
              (SELECT array_agg(extname::text ORDER BY extname) FROM pg_extension) AS extensions,
              (SELECT array_agg(DISTINCT tableowner::text) FROM pg_tables WHERE schemaname = 'public') AS owners,
              (SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email') AS email_type`,
    );
    expect(facts).toEqual({ is_super: false, extensions: ['plpgsql'], owners: [roles.migrate.name], email_type: 'text' });
  });

  it('the server connected as the application role is ready and serves an admin write', { timeout: 60_000 }, async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: roles.app.urlFor(database.name),
      PORTA_DATA_DIR: dataDir,
      COOKIE_KEYS: 'test-cookie-key-0123456789abcdef',
      TWO_FACTOR_ENCRYPTION_KEY: 'ab'.repeat(32),
    });
    porta = await createPorta({ config, log: captured.log, migrations: migrationsDir, schemaCheckIntervalMs: 200 });
    running = await listen(porta, { port: 0, host: '127.0.0.1' });
    url = running.url;
    expect(await probe(url, '/ready')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', redis: 'ok', schema: 'ok' } } });

    const init = await porta.services.bootstrap.initialize({ email: 'root@porta.test', password: 'Root-password-1234', givenName: 'Root', familyName: 'Admin' });
    token = await mintAdminToken(porta, init.user.id);
    const created = await adminWrite('made-by-app-role');
    expect(created.status, await created.clone().text()).toBe(201);
    const current = await porta.db.one<{ who: string }>('SELECT current_user AS who');
    expect(current.who).toBe(roles.app.name);
  });

  it('PORTA_AUTO_MIGRATE=true as the application role stops with a message saying the role may not migrate', { timeout: 120_000 }, async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: roles.app.urlFor(database.name), PORTA_DATA_DIR: dataDir, PORTA_AUTO_MIGRATE: 'true' });
    const failure = createPorta({ config, log: captureLog().log });
    await expect(failure).rejects.toThrow(
      `The database role "${roles.app.name}" may not migrate the schema: it lacks CREATE on schema public.`,
    );
    await expect(failure).rejects.toThrow(/PORTA_AUTO_MIGRATE=false/);

    const cli = await runPorta(['migrate', 'up'], { env: cliEnv(dataDir, { DATABASE_URL: roles.app.urlFor(database.name) }) });
    expect(cli.status).toBe(4);
    expect(cli.stderr).toContain(`porta: The database role "${roles.app.name}" may not migrate the schema: it lacks CREATE on schema public.`);
    expect(cli.stderr).not.toMatch(/permission denied/);
  });

  it('/ready turns 503 when the schema falls behind and back without a restart; the application role can use a table added later', { timeout: 60_000 }, async () => {
    // A newer migration file appears.
    fs.writeFileSync(
      path.join(migrationsDir, '900_fixture_notes.sql'),
      '-- Up Migration\nCREATE TABLE fixture_notes (id bigserial PRIMARY KEY, body text NOT NULL);\n-- Down Migration\nDROP TABLE fixture_notes;\n',
    );
    const behind = await waitFor(() => probe(url, '/ready'), (r) => r.status === 503);
    expect(behind).toEqual({ status: 503, body: { status: 'not_ready', checks: { database: 'ok', redis: 'ok', schema: 'error' } } });
    expect((await probe(url, '/api/admin/organizations', token)).body.error).toBe('schema_outdated');
    expect(captured.lines.some((l) => l.msg.startsWith('schema.outdated') && JSON.stringify(l.pendingMigrations) === '["900_fixture_notes"]')).toBe(true);

    // Applied by the migration role without naming the application role: the default privileges cover it.
    expect(await createMigrator(migrateDb, migrationsDir).up()).toEqual(['900_fixture_notes']);
    expect((await waitFor(() => probe(url, '/ready'), (r) => r.status === 200)).status).toBe(200);
    const note = await porta!.db.one<{ id: string }>("INSERT INTO fixture_notes (body) VALUES ('written by the app role') RETURNING id");
    expect(note.id).toBe('1');
    expect((await adminWrite('after-a-new-migration')).status).toBe(201);

    // pgmigrations loses a row (a rollback by hand), then gets it back.
    await migrateDb.query("DELETE FROM pgmigrations WHERE name = '900_fixture_notes'");
    expect((await waitFor(() => probe(url, '/ready'), (r) => r.status === 503)).body.checks).toEqual({ database: 'ok', redis: 'ok', schema: 'error' });
    await migrateDb.query("INSERT INTO pgmigrations (name, run_on) VALUES ('900_fixture_notes', now())");
    expect((await waitFor(() => probe(url, '/ready'), (r) => r.status === 200)).status).toBe(200);
  });

  it('names the table and privilege the application role lacks, answers 503, and recovers after `porta db grant`', { timeout: 120_000 }, async () => {
    await runAsSuperuser(database.name, `REVOKE INSERT, UPDATE ON audit_log FROM ${roles.app.name}`);
    const degraded = await waitFor(() => probe(url, '/ready'), (r) => r.status === 503);
    expect(degraded.body).toEqual({ status: 'not_ready', checks: { database: 'ok', redis: 'ok', schema: 'error' } });
    const named = captured.lines.find((l) => l.msg.startsWith('schema.privileges_missing'));
    expect(named?.level).toBe('error');
    expect(named?.missingPrivileges).toEqual(['audit_log: INSERT, UPDATE']);
    expect(named?.msg).toContain('the database role lacks audit_log: INSERT, UPDATE');
    expect(captured.lines.filter((l) => l.msg === 'ready.degraded').at(-1)?.missingPrivileges).toEqual(['audit_log: INSERT, UPDATE']);
    expect(await probe(url, '/api/admin/organizations', token)).toEqual({
      status: 503,
      body: {
        error: 'database_privileges_missing',
        message: 'The database role lacks privileges on the schema. An operator must run `porta migrate up` or `porta db grant`.',
      },
    });
    const check = await runPorta(['db', 'check'], { env: cliEnv(dataDir, { DATABASE_URL: roles.app.urlFor(database.name) }) });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('Missing: audit_log: INSERT, UPDATE');

    const grant = await runPorta(['db', 'grant', '--app-role', roles.app.name], { env: cliEnv(dataDir, { DATABASE_URL: roles.migrate.urlFor(database.name) }) });
    expect(grant.status, grant.stderr).toBe(0);
    expect(grant.stdout.trim()).toBe(`Granted ${roles.app.name}: audit_log: INSERT, UPDATE`);
    expect((await waitFor(() => probe(url, '/ready'), (r) => r.status === 200)).status).toBe(200);
    expect((await adminWrite('after-the-grant')).status).toBe(201);
  });

  it('grants once when several replicas run `migrate up` with PORTA_APP_ROLE at the same time', { timeout: 60_000 }, async () => {
    await runAsSuperuser(database.name, `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${roles.app.name}`);
    await porta!.schema.refresh();
    expect(porta!.schema.missingPrivileges()).toContain('users: SELECT, INSERT, UPDATE, DELETE');
    const replicas = Array.from({ length: 4 }, () => createMigrator(migrateDb, migrationsDir, { appRole: roles.app.name }).up());
    expect(await Promise.all(replicas)).toEqual([[], [], [], []]);
    await porta!.schema.refresh();
    expect(porta!.schema.missingPrivileges()).toEqual([]);
    expect((await probe(url, '/ready')).status).toBe(200);
  });
});
