import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedDb } from '../../src/platform/db/index.js';
import { runPorta } from '../support/cli.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-init-'));

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir, ...extra };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORTA_SERVER', 'PORTA_BOOTSTRAP_ADMIN_EMAIL', 'PORTA_BOOTSTRAP_ADMIN_PASSWORD']) delete e[name];
  return { ...e, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return runPorta(args, { env: env(extra) });
}

beforeAll(async () => {
  const migrated = await cli(['migrate', 'up']);
  expect(migrated.status, migrated.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('porta init (direct mode)', { timeout: 120_000 }, () => {
  it('refuses to prompt without a terminal, and rejects a short password, changing nothing', async () => {
    const noTty = await cli(['init', '--email', 'ops@example.com']);
    expect(noTty.status).toBe(2);
    expect(noTty.stderr).toMatch(/--password/);
    const short = await cli(['init', '--email', 'ops@example.com', '--password', 'short']);
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/password/);
  });

  it('bootstraps the admin organization, application, roles, CLI client and first admin in one go', async () => {
    const run = await cli(['init', '--email', 'ops@example.com', '--password', 'a-long-password-1', '--given-name', 'Ops', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { organization: { slug: string }; clientId: string; user: { id: string; email: string }; roles: string[] };
    expect(result).toMatchObject({ organization: { slug: 'porta-admin' }, clientId: 'porta-admin-cli', user: { email: 'ops@example.com' }, roles: ['porta-super-admin'] });

    const db = await createEmbeddedDb({ dataDir: path.join(dataDir, 'data') });
    try {
      const counts = await db.one<{ permissions: string; roles: string; grants: string }>(
        `SELECT (SELECT count(*) FROM permissions p JOIN applications a ON a.id = p.application_id WHERE a.slug = 'porta-admin') AS permissions,
                (SELECT count(*) FROM roles r JOIN applications a ON a.id = r.application_id WHERE a.slug = 'porta-admin') AS roles,
                (SELECT count(*) FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.slug = 'porta-super-admin') AS grants`,
      );
      expect(counts).toEqual({ permissions: '43', roles: '5', grants: '43' });
      const user = await db.one<{ status: string; email_verified: boolean; org: string }>(
        `SELECT u.status, u.email_verified, o.slug AS org FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = $1`,
        [result.user.id],
      );
      expect(user).toEqual({ status: 'active', email_verified: true, org: 'porta-admin' });
      const client = await db.one<{ client_type: string; grant_types: string[] }>(`SELECT client_type, grant_types FROM clients WHERE client_id = 'porta-admin-cli'`);
      expect(client).toEqual({ client_type: 'public', grant_types: ['authorization_code', 'refresh_token'] });
      const config = await db.one<{ value: string; is_readonly: boolean }>(`SELECT value, is_readonly FROM system_config WHERE key = 'super_admin_user_id'`);
      expect(config).toEqual({ value: result.user.id, is_readonly: true });
    } finally {
      await db.close();
    }
  });

  it('fails clearly the second time (exit 6) and adds no second admin', async () => {
    const again = await cli(['init', '--email', 'other@example.com', '--password', 'a-long-password-2']);
    expect(again.status).toBe(6);
    expect(again.stderr).toMatch(/already initialised/);
    const db = await createEmbeddedDb({ dataDir: path.join(dataDir, 'data') });
    try {
      expect(await db.one(`SELECT count(*)::int AS n FROM users WHERE email = 'other@example.com'`)).toEqual({ n: 0 });
    } finally {
      await db.close();
    }
  });
});
