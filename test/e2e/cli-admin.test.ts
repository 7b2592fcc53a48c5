import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startAdminServer, type AdminServer } from '../support/admin.js';
import { HttpBrowser, formAction, hiddenInput } from '../support/http-browser.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../support/services.js';

const root = path.resolve(import.meta.dirname, '../..');
const porta = path.join(root, 'bin/porta.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-admin-'));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no server, database or login unless the test gives one. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: path.join(tmp, 'no-data-here') };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORTA_SERVER', 'PORTA_CREDENTIALS_FILE', 'PORTA_CONTAINER']) delete e[name];
  return { ...e, ...extra };
}

/**
 * Runs the real binary without blocking: the server under test lives in this process.
 * `onStderr` sees stderr as it arrives and may answer on stdin.
 */
function run(args: string[], extra: Record<string, string>, options: { input?: string; onStderr?: (text: string, stdin: NodeJS.WritableStream) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [porta, ...args], { cwd: root, env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child.stdin);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    if (!options.onStderr) child.stdin.end(options.input ?? '');
  });
}

const json = (r: Run) => JSON.parse(r.stdout);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Drives the printed authorization URL like a person: login form, consent if shown; returns the callback URL. */
async function signIn(server: string, authorizationUrl: string): Promise<string> {
  const browser = new HttpBrowser(server);
  const page = await browser.follow(authorizationUrl);
  expect(page.status).toBe(200);
  let done = await browser.follow(formAction(page.body), { form: { _csrf: hiddenInput(page.body, '_csrf'), email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  const consent = /action="([^"]*consent\/confirm)"/.exec(done.body)?.[1];
  if (done.status === 200 && consent) done = await browser.follow(consent, { form: { _csrf: hiddenInput(done.body, '_csrf') } });
  expect(done.location).toMatch(/^http:\/\/127\.0\.0\.1\/callback\?code=/);
  return done.location!;
}

// Each run starts tsx (a second or more on a loaded machine).
describe('porta CLI over HTTP (login, admin commands, logout)', { timeout: 240_000 }, () => {
  let s: AdminServer;
  const home = path.join(tmp, 'home');
  const http = { HOME: home };
  const credentialsFile = path.join(home, '.porta', 'credentials.json');

  beforeAll(async () => {
    fs.mkdirSync(home);
    s = await startAdminServer();
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('without a login or database there is no mode: exit 3', async () => {
    const r = await run(['org', 'list'], http);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('Not logged in: run `porta login` or pass --direct.');
  });

  it('logs in with --no-browser: prints the URL, reads the pasted callback, stores credentials 0600 in a 0700 directory', async () => {
    let signing: Promise<void> | undefined;
    let signInError: unknown;
    const r = await run(['login', '--server', s.url, '--no-browser', '--json'], http, {
      onStderr: (text, stdin) => {
        const url = /(http:\/\/127\.0\.0\.1:\d+\/porta-admin\/auth\/authorize\?\S+)/.exec(text)?.[1];
        if (!url || signing || !text.includes('Callback URL:')) return;
        // An unusable callback ends the CLI too, so its failure shows in the assertions below.
        signing = signIn(s.url, url).then(
          (callback) => void stdin.end(`${callback}\n`),
          (err: unknown) => {
            signInError = err;
            stdin.end('\n');
          },
        );
      },
    });
    await signing;
    if (signInError) throw signInError;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Open this URL in a browser and sign in');
    const out = json(r);
    expect(out).toMatchObject({ server: s.url, orgSlug: 'porta-admin', clientId: 'porta-admin-cli', user: { sub: s.superAdminUserId, email: ADMIN_EMAIL } });
    expect(out.roles).toContain('porta-super-admin');
    expect(r.stdout).not.toMatch(/accessToken|refreshToken/);

    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(credentialsFile)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    expect(stored).toMatchObject({ server: s.url, orgSlug: 'porta-admin', accessToken: expect.any(String), refreshToken: expect.any(String), idToken: expect.any(String) });
    expect(Date.parse(stored.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('whoami shows the admin, roles, server and expiry', async () => {
    const r = await run(['whoami'], http);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^user_id\\s+${s.superAdminUserId}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^email\\s+${ADMIN_EMAIL}$`, 'm'));
    expect(r.stdout).toMatch(/^admin_roles\s+porta-super-admin$/m);
    expect(r.stdout).toMatch(new RegExp(`^server\\s+${s.url}$`, 'm'));
  });

  it('lists and shows the tracked session of the login, and revokes sessions by user and id', async () => {
    const list = await run(['sessions', 'list', '--user-id', s.superAdminUserId, '--json'], http);
    expect(list.status, list.stderr).toBe(0);
    const body = json(list);
    expect(body.total).toBeGreaterThanOrEqual(1);
    const cliClient = await s.porta.services.clients.findByClientId((await s.porta.services.organizations.getSuperAdmin()).id, 'porta-admin-cli');
    const own = body.data.find((row: { clientId: string }) => row.clientId === cliClient!.id);
    expect(own).toMatchObject({ userId: s.superAdminUserId, revokedAt: null });
    const shown = await run(['session', 'show', own.sessionId, '--json'], http);
    expect(json(shown).data.sessionId).toBe(own.sessionId);
    const table = await run(['user', 'sessions', s.superAdminUserId], http);
    expect(table.stdout).toContain(own.sessionId);

    const other = await s.clientWithRoles([]);
    const none = await run(['sessions', 'revoke-user', other.userId!, '--force', '--json'], http);
    expect(none.status, none.stderr).toBe(0);
    expect(json(none)).toEqual({ revoked: 0 });
    const unknown = await run(['sessions', 'revoke', 'no-such-session', '--force'], http);
    expect(unknown.status).toBe(5);
  });

  let org: { id: string; slug: string };
  let app: { id: string; slug: string };

  it('creates and reads back an organization, an application, a client and a user', async () => {
    const created = await run(['org', 'create', '--name', 'Acme Corp', '--slug', 'acme', '--login-methods', 'password', '--json'], http);
    expect(created.status, created.stderr).toBe(0);
    org = json(created).data;
    expect(org).toMatchObject({ id: expect.stringMatching(UUID), slug: 'acme', name: 'Acme Corp', defaultLoginMethods: ['password'] });
    expect(json(await run(['org', 'show', 'acme', '--json'], http)).data.id).toBe(org.id);
    const table = await run(['org', 'list'], http);
    expect(table.stdout).toMatch(/^ID\s+SLUG\s+NAME\s+STATUS/);
    expect(table.stdout).toMatch(new RegExp(`^${org.id}\\s+acme\\s+Acme Corp\\s+active`, 'm'));

    const createdApp = await run(['app', 'create', '--name', 'Portal', '--slug', 'portal', '--json'], http);
    expect(createdApp.status, createdApp.stderr).toBe(0);
    app = json(createdApp).data;
    expect(app.slug).toBe('portal');

    const client = await run(['client', 'create', '--org-id', 'acme', '--app-id', 'portal', '--name', 'Portal web', '--type', 'confidential', '--redirect-uris', 'https://portal.acme.test/callback', '--json'], http);
    expect(client.status, client.stderr).toBe(0);
    const body = json(client);
    expect(body.warning).toMatch(/not be shown again/);
    expect(body.data.client).toMatchObject({ organizationId: org.id, applicationId: app.id, clientName: 'Portal web', clientType: 'confidential' });
    expect(body.data.secret.plaintext).toMatch(/^[\w-]{64}$/);
    const shown = await run(['client', 'show', body.data.client.clientId, '--json'], http);
    expect(json(shown).data.id).toBe(body.data.client.id);

    const user = await run(['user', 'create', '--org', 'acme', '--email', 'ada@acme.test', '--given-name', 'Ada', '--password-stdin', '--json'], http, { input: 'a-long-password-1\n' });
    expect(user.status, user.stderr).toBe(0);
    const ada = json(user).data;
    expect(ada).toMatchObject({ email: 'ada@acme.test', givenName: 'Ada', organizationId: org.id, hasPassword: true });
    expect(json(await run(['user', 'show', ada.id, '--org-id', org.id, '--json'], http)).data.email).toBe('ada@acme.test');
    const users = await run(['user', 'list', '--org-id', 'acme'], http);
    expect(users.stdout).toMatch(new RegExp(`^${ada.id}\\s+ada@acme\\.test\\s+active\\s+Ada`, 'm'));

    const audit = json(await run(['audit', 'list', '--event', 'organization.created', '--org-id', org.id, '--json'], http));
    expect(audit.data[0]).toMatchObject({ actorId: s.superAdminUserId, targetId: org.id, userAgent: 'porta-cli' });
  });

  it('maps API errors to exit codes, with the error body on stderr for --json', async () => {
    const missing = await run(['org', 'show', 'no-such-org', '--json'], http);
    expect(missing.status).toBe(5);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toEqual({ error: 'not_found', message: expect.any(String) });

    const taken = await run(['org', 'create', '--name', 'Acme again', '--slug', 'acme'], http);
    expect(taken.status).toBe(6);
    expect(taken.stderr).toMatch(/^porta: /);

    const invalid = await run(['org', 'create', '--name', 'Bad', '--slug', 'Not A Slug!', '--json'], http);
    expect(invalid.status).toBe(2);
    expect(JSON.parse(invalid.stderr)).toMatchObject({ error: 'validation_failed' });
  });

  it('asks only on a terminal: without one (a script, docker exec without -it) it does what was written', async () => {
    const done = await run(['org', 'suspend', 'acme', '--reason', 'billing'], http);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toBe('Suspended organization acme.\n');
    expect(done.stderr).toContain('Suspend organization acme?');
    expect(json(await run(['org', 'show', 'acme', '--json'], http)).data.status).toBe('suspended');
  });

  it('runs keys, config and client secret commands through the API when logged in', async () => {
    const keys = await run(['keys', 'list', '--json'], http);
    expect(keys.status, keys.stderr).toBe(0);
    expect(json(keys).data).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'active', algorithm: 'ES256' })]));

    const ttl = await run(['config', 'get', 'access_token_ttl', '--json'], http);
    expect(json(ttl).data).toMatchObject({ key: 'access_token_ttl', valueType: 'duration' });
    const badTtl = await run(['config', 'set', 'access_token_ttl', 'soon'], http);
    expect(badTtl.status).toBe(2);

    const clientId = json(await run(['client', 'list', '--org-id', 'acme', '--json'], http)).data[0].clientId as string;
    const generated = await run(['client', 'secret', 'generate', clientId, '--label', 'rotation', '--expires-in', '90d', '--json'], http);
    expect(generated.status, generated.stderr).toBe(0);
    const secret = json(generated);
    expect(secret).toMatchObject({ data: { label: 'rotation', status: 'active', plaintext: expect.stringMatching(/^[\w-]{64}$/) }, warning: expect.any(String) });
    expect(Date.parse(secret.data.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    const revoked = await run(['client', 'secret', 'revoke', clientId, secret.data.id, '--force'], http);
    expect(revoked.status, revoked.stderr).toBe(0);
    const listed = json(await run(['client', 'secret', 'list', clientId, '--json'], http)).data as Array<{ id: string; status: string }>;
    expect(listed.find((x) => x.id === secret.data.id)?.status).toBe('revoked');
  });

  it('refreshes the access token when less than a minute remains, and saves the new tokens', async () => {
    const before = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    fs.writeFileSync(credentialsFile, JSON.stringify({ ...before, expiresAt: new Date(Date.now() + 20_000).toISOString() }));
    const r = await run(['app', 'show', 'portal', '--json'], http);
    expect(r.status, r.stderr).toBe(0);
    const after = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.now() + 60_000);
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
  });

  it('reports the server version and a passing doctor while logged in', async () => {
    const version = json(await run(['version', '--json'], http));
    expect(version).toEqual({ cli: expect.stringMatching(/^\d+\.\d+\.\d+/), server: { url: s.url, version: version.cli } });
    const doctor = await run(['doctor', '--json'], http);
    expect(doctor.status, doctor.stderr).toBe(0);
    expect(json(doctor).checks.map((c: { check: string; status: string }) => [c.check, c.status])).toEqual([
      ['node', 'pass'], ['credentials', 'pass'], ['token', 'pass'], ['health', 'pass'], ['admin_metadata', 'pass'], ['smtp', 'pass'],
    ]);
  });

  it('an admin without the permission gets exit 4 naming the missing permission', async () => {
    const auditor = await s.clientWithRoles(['porta-auditor']);
    const file = path.join(tmp, 'auditor.json');
    const stored = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...stored, accessToken: auditor.token, refreshToken: null, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }), { mode: 0o600 });
    const asAuditor = { ...http, PORTA_CREDENTIALS_FILE: file };

    expect((await run(['org', 'show', 'acme', '--json'], asAuditor)).status).toBe(0);
    const denied = await run(['org', 'create', '--name', 'Nope'], asAuditor);
    expect(denied.status).toBe(4);
    expect(denied.stderr).toContain('missing permission(s): admin:org:create');
    const deniedJson = await run(['org', 'create', '--name', 'Nope', '--json'], asAuditor);
    expect(JSON.parse(deniedJson.stderr)).toEqual({ error: 'forbidden', message: expect.any(String), details: { missing: ['admin:org:create'] } });
  });

  it('logs out: the file is gone and the refresh token no longer works', async () => {
    const stored = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    const r = await run(['logout'], http);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Logged out of ${s.url}.\n`);
    expect(fs.existsSync(credentialsFile)).toBe(false);
    const refresh = await fetch(`${s.url}/porta-admin/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stored.refreshToken, client_id: 'porta-admin-cli' }).toString(),
    });
    expect(refresh.status).toBe(400);
    const after = await run(['org', 'list', '--server', s.url], http);
    expect(after.status).toBe(3);
    expect(after.stderr).toContain(`Not logged in to ${s.url}`);
  });
});

describe('porta CLI direct mode (in-process Admin API)', { timeout: 240_000 }, () => {
  it('refuses the embedded database while a server holds its lock (exit 1)', async () => {
    const dataDir = path.join(tmp, 'locked');
    fs.mkdirSync(path.join(dataDir, 'data'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'porta.lock'), JSON.stringify({ pid: process.pid, purpose: 'server', hostname: os.hostname(), startedAt: new Date().toISOString() }));
    const r = await run(['org', 'list'], { HOME: path.join(tmp, 'nobody'), PORTA_DATA_DIR: dataDir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('server running: use porta login');
  });

  describe.skipIf(!hasPostgres)('on DATABASE_URL', () => {
    let database: TestDatabase;
    let direct: Record<string, string>;

    beforeAll(async () => {
      database = await createTestDatabase();
      direct = { HOME: path.join(tmp, 'nobody'), DATABASE_URL: database.url };
      const migrated = await run(['migrate', 'up'], direct);
      expect(migrated.status, migrated.stderr).toBe(0);
    }, 120_000);
    afterAll(() => database?.drop());

    it('answers with the same bodies as the API and audits the CLI as the actor, source cli-direct', async () => {
      const created = await run(['org', 'create', '--name', 'Direct Co', '--json'], direct);
      expect(created.status, created.stderr).toBe(0);
      const org = json(created).data;
      expect(org).toMatchObject({ id: expect.stringMatching(UUID), slug: 'direct-co', status: 'active' });

      const listed = await run(['org', 'list', '--direct', '--search', 'direct', '--json'], direct);
      expect(json(listed)).toEqual({ data: [expect.objectContaining({ id: org.id })], total: 1, page: 1, pageSize: 20, totalPages: 1 });

      const audit = json(await run(['audit', 'list', '--event', 'organization.created', '--json'], direct));
      expect(audit.data).toHaveLength(1);
      expect(audit.data[0]).toMatchObject({ actorId: null, actorType: 'cli_direct', actorName: os.userInfo().username, source: 'cli-direct', targetId: org.id });
    });
  });
});
