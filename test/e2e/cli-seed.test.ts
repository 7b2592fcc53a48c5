import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedDb } from '../../src/platform/db/index.js';
import type { SeedOutput } from '../../src/seed/index.js';
import { startTestServer } from '../support/server.js';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-seed-'));
const outFile = path.join(dataDir, 'out', 'playground.json');
const SPA_CALLBACK = 'http://127.0.0.1:8765/callback';
const BFF_CALLBACK = 'http://localhost:8766/app/callback';

/** Direct mode on the embedded defaults, with the default issuer (nothing from the caller's environment). */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORTA_SERVER', 'ISSUER_BASE_URL', 'PORT']) delete e[name];
  return { ...e, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return runPorta(args, { env: env(extra) });
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof createEmbeddedDb>>) => Promise<T>): Promise<T> {
  const db = await createEmbeddedDb({ dataDir: path.join(dataDir, 'data') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

interface ClientRow {
  org: string;
  client_id: string;
  client_type: string;
  application_type: string;
  grant_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  status: string;
  app: string;
}

const clientRows = () =>
  withDb((db) =>
    db.many<ClientRow>(
      `SELECT o.slug AS org, c.client_id, c.client_type, c.application_type, c.grant_types, c.redirect_uris, c.post_logout_redirect_uris, c.status, a.slug AS app
         FROM clients c JOIN organizations o ON o.id = c.organization_id JOIN applications a ON a.id = c.application_id
        WHERE o.slug IN ('demo', 'demo-b') ORDER BY o.slug, c.client_id`,
    ),
  );

/** Checks the printed credentials against the real server on the same data directory. */
async function credentialsWork(out: SeedOutput, stale?: SeedOutput) {
  const s = await startTestServer({ useConfiguredStores: true, env: { PORTA_DATA_DIR: dataDir } });
  try {
    const token = (secret: string) =>
      fetch(`${s.url}/${out.orgSlug}/auth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${out.confidentialClient.id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    const fresh = await token(out.confidentialClient.secret);
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as { access_token?: string }).access_token).toBeTruthy();
    const services = s.porta.services;
    for (const slug of [out.orgSlug, out.otherOrgSlug]) {
      const org = await services.organizations.getBySlug(slug);
      const login = await services.users.authenticate(org.id, out.user.email, out.user.password);
      expect(login.ok, slug).toBe(true);
    }
    if (stale) {
      expect((await token(stale.confidentialClient.secret)).status).toBe(401);
      const org = await services.organizations.getBySlug(out.orgSlug);
      expect((await services.users.authenticate(org.id, stale.user.email, stale.user.password)).ok).toBe(false);
    }
  } finally {
    await s.stop();
  }
}

beforeAll(async () => {
  const migrated = await cli(['migrate', 'up']);
  expect(migrated.status, migrated.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('porta seed run (direct mode, embedded database)', { timeout: 180_000 }, () => {
  let first: SeedOutput;

  it('is refused in production without --force and changes nothing', async () => {
    const run = await cli(['seed', 'run'], { NODE_ENV: 'production', PORTA_SKIP_PROD_SAFETY: 'true' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/NODE_ENV=production.*--force/);
    expect(await withDb((db) => db.one(`SELECT count(*)::int AS n FROM organizations WHERE slug IN ('demo', 'demo-b')`))).toEqual({ n: 0 });
  });

  it('rejects a redirect URI that no client could register, before touching the database', async () => {
    const run = await cli(['seed', 'run', '--redirect-uri', 'http://example.com/callback']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/http:\/\/example\.com\/callback must use https/);
    expect(await withDb((db) => db.one(`SELECT count(*)::int AS n FROM organizations WHERE slug IN ('demo', 'demo-b')`))).toEqual({ n: 0 });
  });

  it('creates both organizations, the shared application, two clients and the user in each, and writes the configuration', async () => {
    const run = await cli(['seed', 'run', '--redirect-uri', SPA_CALLBACK, '--redirect-uri', BFF_CALLBACK, '--out', outFile, '--json']);
    expect(run.status, run.stderr).toBe(0);
    first = JSON.parse(run.stdout) as SeedOutput;
    expect(JSON.parse(fs.readFileSync(outFile, 'utf8'))).toEqual(first);
    expect(fs.statSync(outFile).mode & 0o777).toBe(0o600);
    expect(first).toEqual({
      baseUrl: 'http://localhost:3000',
      orgSlug: 'demo',
      otherOrgSlug: 'demo-b',
      issuer: 'http://localhost:3000/demo',
      redirectUri: SPA_CALLBACK,
      postLogoutRedirectUri: 'http://127.0.0.1:8765/logged-out',
      redirectUris: [SPA_CALLBACK, BFF_CALLBACK],
      postLogoutRedirectUris: ['http://127.0.0.1:8765/logged-out', 'http://localhost:8766/app/logged-out'],
      publicClient: { id: 'demo-spa' },
      confidentialClient: { id: 'demo-web', secret: expect.stringMatching(/^\S{32,}$/) },
      user: { email: 'user@demo.test', password: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) },
    });

    const registered = { redirect_uris: first.redirectUris, post_logout_redirect_uris: first.postLogoutRedirectUris, status: 'active', app: 'demo-app' };
    expect(await clientRows()).toEqual([
      { org: 'demo', client_id: 'demo-spa', client_type: 'public', application_type: 'spa', grant_types: ['authorization_code', 'refresh_token'], ...registered },
      { org: 'demo', client_id: 'demo-web', client_type: 'confidential', application_type: 'web', grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], ...registered },
      { org: 'demo-b', client_id: 'demo-b-spa', client_type: 'public', application_type: 'spa', grant_types: ['authorization_code', 'refresh_token'], ...registered },
      { org: 'demo-b', client_id: 'demo-b-web', client_type: 'confidential', application_type: 'web', grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], ...registered },
    ]);
    const users = await withDb((db) =>
      db.many(`SELECT o.slug AS org, o.status AS org_status, u.status, u.email_verified FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.email = 'user@demo.test' ORDER BY o.slug`),
    );
    expect(users).toEqual([
      { org: 'demo', org_status: 'active', status: 'active', email_verified: true },
      { org: 'demo-b', org_status: 'active', status: 'active', email_verified: true },
    ]);
    // The seed acts as the system, source `seed` (the actor columns of migration 006).
    const audit = await withDb((db) => db.many<{ actor_type: string; source: string }>(`SELECT actor_type, source FROM audit_log WHERE event_type = 'system.seeded'`));
    expect(audit).toEqual([{ actor_type: 'system', source: 'seed' }]);

    await credentialsWork(first);
  });

  it('a rerun reuses every object but issues a fresh password and secret, revoking the old secret', async () => {
    const ids = () => withDb((db) => db.many(`SELECT slug, id FROM organizations WHERE slug IN ('demo', 'demo-b') UNION ALL SELECT slug, id FROM applications WHERE slug = 'demo-app' ORDER BY 1`));
    const before = await ids();
    const run = await cli(['seed', 'run', '--out', outFile]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Seeded: 0 created, 9 reused\./);
    expect(run.stdout).toContain(outFile);
    const second = JSON.parse(fs.readFileSync(outFile, 'utf8')) as SeedOutput;
    expect(second).toMatchObject({ publicClient: first.publicClient, confidentialClient: { id: 'demo-web' }, redirectUris: [SPA_CALLBACK], postLogoutRedirectUris: ['http://127.0.0.1:8765/logged-out'] });
    expect(second.confidentialClient.secret).not.toBe(first.confidentialClient.secret);
    expect(second.user.password).not.toBe(first.user.password);

    expect(await ids()).toEqual(before);
    const rows = await clientRows();
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => JSON.stringify(r.redirect_uris) === JSON.stringify([SPA_CALLBACK]))).toBe(true);
    const secrets = await withDb((db) =>
      db.many(`SELECT s.status, count(*)::int AS n FROM client_secrets s JOIN clients c ON c.id = s.client_id WHERE c.client_id = 'demo-web' GROUP BY s.status ORDER BY s.status`),
    );
    expect(secrets).toEqual([{ status: 'active', n: 1 }, { status: 'revoked', n: 1 }]);
    expect(await withDb((db) => db.one(`SELECT count(*)::int AS n FROM users WHERE email = 'user@demo.test'`))).toEqual({ n: 2 });

    await credentialsWork(second, first);
  });

  it('runs in production when forced', async () => {
    const run = await cli(['seed', 'run', '--force', '--json'], { NODE_ENV: 'production', PORTA_SKIP_PROD_SAFETY: 'true' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ orgSlug: 'demo', publicClient: { id: 'demo-spa' }, confidentialClient: { id: 'demo-web' } });
  });
});
