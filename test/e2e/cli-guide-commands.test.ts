import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PORTA_BIN, REPO_ROOT, runPorta } from '../support/cli.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';

/**
 * Issue 11 item 5: the deployment guide's commands, exactly as it writes them, run without a terminal
 * (as `docker exec` without `-it` runs them: stdin is not a TTY, nothing answers a prompt), with only
 * `DATABASE_URL` set as in the container.
 */
describeWithPostgres('the deployment guide’s commands, non-interactively (issue 11)', () => {
  let database: TestDatabase;
  const env = (): NodeJS.ProcessEnv => {
    // The container's production environment, less Redis (a shared one would need its own key prefix).
    const e: NodeJS.ProcessEnv = {
      ...process.env, NODE_ENV: 'production', DATABASE_URL: database.url, HOME: path.join(os.tmpdir(), 'porta-guide-nobody'),
      ISSUER_BASE_URL: 'https://auth.guide.test', COOKIE_KEYS: 'guide-cookie-key-0123456789abcdef', TWO_FACTOR_ENCRYPTION_KEY: 'cd'.repeat(32),
      PORTA_SKIP_PROD_SAFETY: 'true',
    };
    for (const name of ['REDIS_URL', 'PORTA_SERVER', 'PORTA_CONTAINER']) delete e[name];
    return e;
  };
  const porta = async (args: string[], input?: string) => runPorta(args, { env: env(), input, timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const run = await porta(args, input);
    expect(run.status, `porta ${args.join(' ')}: ${run.stderr}`).toBe(0);
    return run;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await ok(['migrate', 'up']);
    await ok(['init', '--email', 'ops@guide.test', '--password', 'Guide-password-123', '--given-name', 'Op', '--family-name', 'S']);
    const file = JSON.stringify({
      organizations: [{ name: 'Guide', slug: 'guide', applications: [{ name: 'Shop', slug: 'shop', clients: [{ client_name: 'Shop web', client_type: 'confidential', client_id: 'shop-web', redirect_uris: ['https://shop.example.com/cb'] }] }] }],
    });
    await ok(['provision', '-f', '-'], file);
  }, 180_000);
  afterAll(() => database?.drop());

  it('migrate status|up, keys list|generate|rotate', async () => {
    expect((await ok(['migrate', 'status'])).stdout).not.toMatch(/\bpending\b/);
    await ok(['migrate', 'up']);
    await ok(['keys', 'list']);
    await ok(['keys', 'generate']);
    await ok(['keys', 'list']);
    const rotated = await ok(['keys', 'rotate']);
    expect(rotated.stdout).toMatch(/Retired 1/);
  }, 120_000);

  it('client secret generate|list|revoke <client-id>', async () => {
    const generated = await ok(['client', 'secret', 'generate', 'shop-web', '--json']);
    const fresh = (JSON.parse(generated.stdout) as { data: { id: string } }).data;
    const listed = (JSON.parse((await ok(['client', 'secret', 'list', 'shop-web', '--json'])).stdout) as { data: Array<{ id: string; status: string }> }).data;
    const old = listed.find((s) => s.id !== fresh.id)!;
    await ok(['client', 'secret', 'revoke', 'shop-web', old.id]);
    const after = (JSON.parse((await ok(['client', 'secret', 'list', 'shop-web', '--json'])).stdout) as { data: Array<{ id: string; status: string }> }).data;
    expect(after.find((s) => s.id === old.id)?.status).toBe('revoked');
  }, 120_000);

  it('config get|set --key …, audit cleanup', async () => {
    expect((await ok(['config', 'get', '--key', 'account_lockout_threshold'])).stdout).toMatch(/\b5\b/);
    await ok(['config', 'set', '--key', 'account_lockout_threshold', '--value', '10']);
    expect((await ok(['config', 'get', '--key', 'account_lockout_threshold'])).stdout).toMatch(/\b10\b/);
    await ok(['config', 'set', '--key', 'audit_retention_days', '--value', '365']);
    await ok(['audit', 'cleanup']);
  }, 120_000);

  it('user export|purge --org-id --user-id: purge still needs a yes or --force', async () => {
    const made = await ok(['user', 'create', '--org-id', 'guide', '--email', 'leaving@guide.test', '--json']);
    const user = (JSON.parse(made.stdout) as { data: { id: string; organizationId: string } }).data;
    await ok(['user', 'export', '--org-id', user.organizationId, '--user-id', user.id]);
    const refused = await porta(['user', 'purge', '--org-id', user.organizationId, '--user-id', user.id]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--force');
    await ok(['user', 'purge', '--org-id', user.organizationId, '--user-id', user.id, '--force']);
  }, 120_000);

  it('ends quietly when its output is piped into head', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('sh', ['-c', `"${process.execPath}" "${PORTA_BIN}" audit list --limit 500 | head -c 20 >/dev/null`], { cwd: REPO_ROOT, env: env() });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(result.stderr).not.toMatch(/EPIPE|Error:/);
    expect(result.code).toBe(0);
  }, 60_000);
});
