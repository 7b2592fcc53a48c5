import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { AuditEntry } from '../../src/audit/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';
import { describeWithServices } from '../support/services.js';

/**
 * Issue 9 item 14: one change, whichever edge makes it — the Admin API, the CLI in direct mode, bulk,
 * an import or `porta provision` — writes the same audit event with the same payload shape. Only the
 * actor columns tell the edges apart.
 */
describeWithServices('audit parity across edges (issue 9)', () => {
  let s: AdminServer;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    s = await startAdminServer({ backends: 'services' });
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    const database = s.server.config.database;
    if (database.kind !== 'postgres') throw new Error('needs PostgreSQL');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(os.tmpdir(), 'porta-parity-nobody'), DATABASE_URL: database.url, NODE_ENV: 'test' };
    for (const name of ['REDIS_URL', 'PORTA_SERVER', 'PORTA_CONTAINER']) delete env[name];
    cliEnv = env;
  }, 120_000);
  afterAll(() => s?.stop());

  const cli = async (args: string[], input?: string) => {
    const run = await runPorta([...args, '--direct', '--json'], { env: cliEnv, input, timeoutMs: 60_000 });
    expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    return run;
  };
  const entryFor = async (eventType: string, targetId: string): Promise<AuditEntry> => {
    const { data } = await s.porta.services.audit.list({ event: eventType, targetId });
    expect(data, `${eventType} for ${targetId}`).toHaveLength(1);
    return data[0]!;
  };
  /** What must not depend on the edge: the event, its category and target, the metadata's shape. */
  const shape = (e: AuditEntry) => ({
    eventType: e.eventType,
    eventCategory: e.eventCategory,
    targetType: e.targetType,
    metadataKeys: Object.keys(e.metadata).sort(),
  });
  const orgId = async (slug: string) => (await s.porta.services.organizations.findBySlug(slug))!.id;

  it('organization.created: API, CLI direct, import and porta provision', async () => {
    expect((await s.superAdmin.post('/organizations', { name: 'Parity API', slug: 'parity-api' })).status).toBe(201);
    await cli(['org', 'create', '--name', 'Parity CLI', '--slug', 'parity-cli']);
    const manifest = { version: '1.0', organizations: [{ name: 'Parity Import', slug: 'parity-import' }] };
    expect((await s.superAdmin.post('/import', { mode: 'merge', manifest })).status).toBe(200);
    await cli(['provision', '-f', '-'], JSON.stringify({ version: '1.0', organizations: [{ name: 'Parity Provision', slug: 'parity-provision' }] }));

    const api = await entryFor('organization.created', await orgId('parity-api'));
    const direct = await entryFor('organization.created', await orgId('parity-cli'));
    const imported = await entryFor('organization.created', await orgId('parity-import'));
    const provisioned = await entryFor('organization.created', await orgId('parity-provision'));
    for (const other of [direct, imported, provisioned]) expect(shape(other)).toEqual(shape(api));
    expect(api).toMatchObject({ actorType: 'admin', source: 'api', actorId: s.superAdminUserId });
    expect(direct).toMatchObject({ actorType: 'cli_direct', source: 'cli-direct', actorId: null });
    expect(imported).toMatchObject({ actorType: 'admin', source: 'import' });
    expect(provisioned).toMatchObject({ actorType: 'cli_direct', source: 'import' });
    // Each entry names the request that made it.
    expect(api.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('user.deactivated: API, bulk, CLI direct and an overwriting import', async () => {
    const org = await s.porta.services.organizations.create(systemActor(), { name: 'Parity Users', slug: 'parity-users' });
    const make = (n: string) => s.porta.services.users.create(systemActor(), org.id, { email: `${n}@parity.test` });
    const [viaApi, viaBulk, viaCli, viaImport] = await Promise.all([make('api'), make('bulk'), make('cli'), make('import')]);
    expect((await s.superAdmin.post(`/users/${viaApi.id}/deactivate`)).status).toBe(204);
    const bulk = await s.superAdmin.post('/bulk/users/status', { ids: [viaBulk.id], action: 'deactivate', organizationId: org.id });
    expect(bulk.body.data.succeeded).toBe(1);
    await cli(['user', 'deactivate', viaCli.id, '--org', org.id, '--force']);
    const manifest = { version: '1.0', users: [{ organization_slug: 'parity-users', email: 'import@parity.test', status: 'inactive' }] };
    const imported = await s.superAdmin.post('/import', { mode: 'overwrite', manifest });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);

    const entries = await Promise.all([viaApi, viaBulk, viaCli, viaImport].map((u) => entryFor('user.deactivated', u.id)));
    for (const entry of entries) expect(shape(entry)).toEqual(shape(entries[0]!));
    expect(entries.map((e) => e.source)).toEqual(['api', 'bulk', 'cli-direct', 'import']);
    expect(entries.every((e) => e.metadata.previousStatus === 'active' && e.metadata.status === 'inactive')).toBe(true);
  });

  it('signing_key.generated and client.secret.generated from the CLI in direct mode are audited like the API', async () => {
    expect((await s.superAdmin.post('/keys/generate')).status).toBe(201);
    await cli(['keys', 'generate']);
    const keys = (await s.porta.services.audit.list({ event: 'signing_key.generated' })).data;
    expect(keys.map((e) => e.source).sort()).toEqual(['api', 'cli-direct']);
    expect(shape(keys[0]!)).toEqual(shape(keys[1]!));
  });

  it('porta service-account: created in direct mode, its token reaches the Admin API; its writes name it', async () => {
    const made = await cli(['service-account', 'create', '--name', 'Nightly', '--role', 'porta-org-admin']);
    const { serviceAccount, secret } = JSON.parse(made.stdout).data as { serviceAccount: { id: string; clientId: string }; secret: { plaintext: string } };
    const org = await s.porta.services.organizations.getSuperAdmin();
    const res = await fetch(`${s.url}/${org.slug}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${serviceAccount.clientId}:${secret.plaintext}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    const token = ((await res.json()) as { access_token: string }).access_token;
    const created = await s.withToken(token).post('/organizations', { name: 'Nightly', slug: 'parity-nightly' });
    expect(created.status).toBe(201);
    expect(await entryFor('organization.created', created.body.data.id)).toMatchObject({ actorType: 'service_account', actorClientId: serviceAccount.id, actorName: 'Nightly' });
    const listed = JSON.parse((await cli(['service-account', 'list'])).stdout).data as Array<{ id: string; roles: string[] }>;
    expect(listed.find((a) => a.id === serviceAccount.id)?.roles).toEqual(['porta-org-admin']);
    await cli(['service-account', 'delete', serviceAccount.id, '--force']);
    expect((await s.withToken(token).get('/organizations')).status).toBe(401);
  });
});
