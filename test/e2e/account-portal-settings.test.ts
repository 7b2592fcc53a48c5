import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';
import { describeWithServices } from '../support/services.js';

const SYSTEM = systemActor();

/** Spec 70 §2: the per-organization portal switch in the Admin API, the CLI and provisioning, and what it does. */
describeWithServices('account portal setting (Admin API, CLI, provisioning)', () => {
  let s: AdminServer;
  let cliEnv: NodeJS.ProcessEnv;
  let orgId: string;

  beforeAll(async () => {
    s = await startAdminServer({ backends: 'services' });
    orgId = (await s.porta.services.organizations.create(SYSTEM, { name: 'Portal switch', slug: 'aps-switch' })).id;
    const database = s.server.config.database;
    if (database.kind !== 'postgres') throw new Error('needs PostgreSQL');
    cliEnv = { ...process.env, HOME: path.join(os.tmpdir(), 'porta-aps-nobody'), DATABASE_URL: database.url, NODE_ENV: 'test' };
    for (const name of ['REDIS_URL', 'PORTA_SERVER', 'PORTA_CONTAINER']) delete cliEnv[name];
  }, 120_000);
  afterAll(() => s?.stop());

  const portal = (slug: string) => fetch(`${s.url}/${slug}/account`, { redirect: 'manual' });
  const authorize = (slug: string) =>
    fetch(`${s.url}/${slug}/auth/authorize?${new URLSearchParams({
      client_id: 'porta-account', response_type: 'code', scope: 'openid', redirect_uri: `${s.url}/${slug}/account/callback`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString()}`, { redirect: 'manual' });

  it('is on by default and shown by the Admin API; off, the portal answers 404 and porta-account is unknown', async () => {
    const shown = await s.superAdmin.get(`/organizations/${orgId}`);
    expect(shown.body.data).toMatchObject({ accountPortalEnabled: true });
    expect((await portal('aps-switch')).status).toBe(303);
    expect((await authorize('aps-switch')).status).toBe(303);

    const off = await s.superAdmin.put(`/organizations/${orgId}`, { accountPortalEnabled: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.data).toMatchObject({ accountPortalEnabled: false });
    const [entry] = (await s.porta.services.audit.list({ event: 'organization.updated', org: orgId, limit: 5 })).data;
    expect(entry!.metadata).toMatchObject({ accountPortalEnabled: false });
    await expect.poll(async () => (await portal('aps-switch')).status, { timeout: 5_000 }).toBe(404);
    const page = await portal('aps-switch');
    expect(await page.text()).toContain('There is no account page here.');
    expect((await authorize('aps-switch')).status).toBe(400);
    expect((await s.superAdmin.put(`/organizations/${orgId}`, { accountPortalEnabled: 'no' })).status).toBe(400);
  });

  it('is set with `porta org update --account-portal on|off` and printed by `org show`', async () => {
    const cli = (args: string[]) => runPorta([...args, '--direct'], { env: cliEnv, timeoutMs: 60_000 });
    const on = await cli(['org', 'update', 'aps-switch', '--account-portal', 'on', '--json']);
    expect(on.status, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout).data).toMatchObject({ accountPortalEnabled: true });
    const off = await cli(['org', 'update', 'aps-switch', '--account-portal', 'off']);
    expect(off.status, off.stderr).toBe(0);
    const show = await cli(['org', 'show', 'aps-switch']);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/accountPortalEnabled\s*:?\s*false/);
    await expect.poll(async () => (await s.porta.services.organizations.findById(orgId))?.accountPortalEnabled, { timeout: 5_000 }).toBe(false);
  }, 180_000);

  it('is a field of the provisioning manifest', async () => {
    const manifest = JSON.stringify({ organizations: [{ name: 'Prov portal', slug: 'aps-prov', account_portal_enabled: false }] });
    const provisioned = await runPorta(['provision', '-f', '-', '--json', '--direct'], { env: cliEnv, input: manifest, timeoutMs: 60_000 });
    expect(provisioned.status, provisioned.stderr).toBe(0);
    expect(await s.porta.services.organizations.findBySlug('aps-prov')).toMatchObject({ accountPortalEnabled: false });
    const again = JSON.stringify({ organizations: [{ name: 'Prov portal', slug: 'aps-prov', account_portal_enabled: true }] });
    const updated = await runPorta(['provision', '-f', '-', '--mode', 'overwrite', '--json', '--direct'], { env: cliEnv, input: again, timeoutMs: 60_000 });
    expect(updated.status, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).items[0]).toMatchObject({ action: 'updated', changes: ['account_portal_enabled'] });
    const { id } = (await s.porta.services.organizations.findBySlug('aps-prov'))!;
    expect(await s.porta.services.organizations.findById(id)).toMatchObject({ accountPortalEnabled: true });
  }, 120_000);
});
