import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { expectCursorRefusals, walkCursorList } from '../support/cursor-lists.js';
import { systemActor } from '../../src/actors/index.js';

const sys = systemActor();

describe('admin API: applications and modules (spec 20 §5.3)', () => {
  let s: AdminServer;
  let appAdmin: AdminClient;
  let auditor: AdminClient;
  let adminAppId: string;

  beforeAll(async () => {
    s = await startAdminServer();
    // More writes than one window of the admin write limit allows (spec 50 §7).
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    adminAppId = (await s.porta.services.applications.findBySlug('porta-admin'))!.id;
  });
  afterAll(() => s?.stop());

  const create = async (body: Record<string, unknown>) => {
    const res = await appAdmin.post('/applications', body);
    expect(res.status).toBe(201);
    return res.body.data as { id: string; slug: string; status: string };
  };

  it('creates an application, derives its slug and records application.created', async () => {
    const res = await appAdmin.post('/applications', { name: 'Customer Portal', description: 'Self-service' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ name: 'Customer Portal', slug: 'customer-portal', description: 'Self-service', status: 'active' });
    expect(res.body.data.createdAt).toBeTypeOf('string');
    const history = await auditor.get(`/applications/${res.body.data.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0]).toMatchObject({ eventType: 'application.created', actorId: appAdmin.userId });
    const [entry] = (await s.porta.services.audit.list({ targetType: 'application', targetId: res.body.data.id })).data;
    expect(entry).toMatchObject({ actorType: 'admin', source: 'api', actorId: appAdmin.userId });
    expect(entry!.metadata).toEqual({ name: 'Customer Portal', slug: 'customer-portal' });
  });

  it('refuses a taken slug (409) and invalid input (400)', async () => {
    await create({ name: 'Billing', slug: 'billing-app' });
    const taken = await appAdmin.post('/applications', { name: 'Billing 2', slug: 'billing-app' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('slug_taken');
    for (const body of [{ name: '' }, { name: 'X', slug: 'ab' }, { name: 'X', description: 'd'.repeat(2001) }, { name: 'X', status: 'active' }]) {
      const res = await appAdmin.post('/applications', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
  });

  it('lists with status, search, sorting and paging', async () => {
    await create({ name: 'List Alpha', slug: 'list-alpha' });
    const beta = await create({ name: 'List Beta', slug: 'list-beta' });
    expect((await appAdmin.post(`/applications/${beta.id}/deactivate`)).status).toBe(204);
    const res = await auditor.get('/applications?search=list-&sortBy=name&sortOrder=desc');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, page: 1, pageSize: 20, totalPages: 1 });
    expect(res.body.data.map((a: { slug: string }) => a.slug)).toEqual(['list-beta', 'list-alpha']);
    const inactive = await auditor.get('/applications?search=list-&status=inactive');
    expect(inactive.body.data.map((a: { slug: string }) => a.slug)).toEqual(['list-beta']);
    expect((await auditor.get('/applications?status=gone')).status).toBe(400);
  });

  it('lists by cursor forwards and backwards without gaps or duplicates, equal names included, honouring filters', async () => {
    const { applications } = s.porta.services;
    const made = [];
    for (let n = 1; n <= 6; n += 1) made.push(await applications.create(sys, { name: n <= 3 ? 'Cursor Same' : `Cursor ${n}`, slug: `cursor-app-${n}` }));
    for (const app of made.slice(1, 4)) await applications.setStatus(sys, app.id, 'inactive');

    for (const [sortBy, sortOrder] of [['name', 'asc'], ['name', 'desc'], ['created_at', 'asc']] as const) {
      const offset = await auditor.get(`/applications?search=cursor-app&sortBy=${sortBy}&sortOrder=${sortOrder}`);
      const expected = offset.body.data.map((a: { id: string }) => a.id);
      expect(expected).toHaveLength(6);
      const walk = await walkCursorList(auditor, `/applications?search=cursor-app&sortBy=${sortBy}&sortOrder=${sortOrder}&limit=4`);
      expect(walk).toEqual({ forward: expected, backward: expected, pages: 2 });
    }
    const inactive = await walkCursorList(auditor, '/applications?search=cursor-app&status=inactive&sortBy=name&limit=1');
    expect(new Set(inactive.forward)).toEqual(new Set(made.slice(1, 4).map((a) => a.id)));
    expect(inactive.backward).toEqual(inactive.forward);
    const defaults = await auditor.get('/applications?search=cursor-app&limit=25');
    expect(defaults.body).toMatchObject({ nextCursor: null, previousCursor: null, hasMore: false });
    expect(defaults.body.data).toHaveLength(6);
  });

  it('refuses malformed, tampered and mismatched cursors with 400 invalid_cursor', async () => {
    await expectCursorRefusals(auditor, '/applications', 'name');
  });

  it('reads by id or slug with an ETag and updates with If-Match', async () => {
    const app = await create({ name: 'Readable', slug: 'readable-app' });
    const read = await auditor.get('/applications/readable-app');
    expect(read.status).toBe(200);
    expect(read.body.data.id).toBe(app.id);
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);

    const res = await appAdmin.put(`/applications/${app.id}`, { name: 'Renamed', description: null }, { 'If-Match': etag });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: 'Renamed', description: null, slug: 'readable-app' });
    const stale = await appAdmin.put(`/applications/${app.id}`, { name: 'Stale' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.details.currentEntity.name).toBe('Renamed');
    expect((await appAdmin.put(`/applications/${app.id}`, { slug: 'other' })).status).toBe(400);
    expect((await auditor.get('/applications/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await appAdmin.put('/applications/no-such-app', { name: 'X' })).status).toBe(404);
  });

  it('moves between active, inactive and archived; illegal moves are 409', async () => {
    const app = await create({ name: 'Lifecycle', slug: 'lifecycle-app' });
    expect((await appAdmin.post(`/applications/${app.id}/activate`)).body.error).toBe('invalid_transition');
    expect((await appAdmin.post(`/applications/${app.id}/deactivate`)).status).toBe(204);
    expect((await appAdmin.post(`/applications/${app.id}/deactivate`)).status).toBe(409);
    expect((await appAdmin.post(`/applications/${app.id}/archive`)).status).toBe(204);
    expect((await appAdmin.post(`/applications/${app.id}/deactivate`)).status).toBe(409);
    expect((await appAdmin.post(`/applications/${app.id}/activate`)).status).toBe(204);
    const history = await auditor.get(`/applications/${app.id}/history`);
    expect(history.body.data.map((e: { eventType: string }) => e.eventType)).toEqual([
      'application.activated', 'application.archived', 'application.deactivated', 'application.created',
    ]);
    expect(history.body.data[1].metadata).toMatchObject({ previousStatus: 'inactive', status: 'archived' });
  });

  it('makes the clients of a deactivated application fail with invalid_client until it is active again', async () => {
    const app = await create({ name: 'Batch jobs' });
    const org = await s.porta.services.organizations.create(sys, { name: 'Batch org', slug: 'batch-org' });
    const made = await s.superAdmin.post('/clients', {
      organizationId: org.id, applicationId: app.id, clientName: 'Worker', clientType: 'confidential', redirectUris: ['https://worker.example/cb'],
    });
    expect(made.status).toBe(201);
    const { clientId } = made.body.data.client as { clientId: string };
    const secret = made.body.data.secret.plaintext as string;
    const token = () =>
      fetch(`${s.url}/batch-org/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
    expect((await token()).status).toBe(200);
    expect((await appAdmin.post(`/applications/${app.id}/deactivate`)).status).toBe(204);
    const refused = await token();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    expect((await appAdmin.post(`/applications/${app.id}/activate`)).status).toBe(204);
    expect((await token()).status).toBe(200);
  });

  it('never archives or deactivates porta-admin', async () => {
    for (const action of ['archive', 'deactivate']) {
      const res = await s.superAdmin.post(`/applications/${adminAppId}/${action}`);
      expect(res.status, action).toBe(403);
      expect(res.body.error).toBe('protected_resource');
    }
    expect((await auditor.get('/applications/porta-admin')).body.data.status).toBe('active');
  });

  it('creates, lists, updates and deactivates modules, scoped to their application', async () => {
    const app = await create({ name: 'Modular', slug: 'modular-app' });
    const other = await create({ name: 'Other Modular', slug: 'other-modular-app' });
    const made = await appAdmin.post(`/applications/${app.id}/modules`, { name: 'Invoices', description: 'Billing documents' });
    expect(made.status).toBe(201);
    expect(made.body.data).toMatchObject({ applicationId: app.id, name: 'Invoices', slug: 'invoices', status: 'active' });
    const moduleId = made.body.data.id as string;
    const dup = await appAdmin.post(`/applications/${app.id}/modules`, { name: 'Again', slug: 'invoices' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toBe('slug_taken');
    expect((await appAdmin.post(`/applications/${other.id}/modules`, { name: 'Invoices' })).status).toBe(201);

    const list = await auditor.get('/applications/modular-app/modules');
    expect(list.status).toBe(200);
    expect(list.body.data.map((m: { slug: string }) => m.slug)).toEqual(['invoices']);

    const updated = await appAdmin.put(`/applications/${app.id}/modules/${moduleId}`, { name: 'Invoicing' });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ name: 'Invoicing', slug: 'invoices' });
    expect((await appAdmin.put(`/applications/${other.id}/modules/${moduleId}`, { name: 'X' })).status).toBe(404);
    expect((await appAdmin.put(`/applications/${app.id}/modules/not-a-uuid`, { name: 'X' })).status).toBe(404);
    expect((await appAdmin.put(`/applications/${app.id}/modules/${moduleId}`, { status: 'inactive' })).status).toBe(400);

    expect((await appAdmin.post(`/applications/${other.id}/modules/${moduleId}/deactivate`)).status).toBe(404);
    expect((await appAdmin.post(`/applications/${app.id}/modules/${moduleId}/deactivate`)).status).toBe(204);
    expect((await appAdmin.post(`/applications/${app.id}/modules/${moduleId}/deactivate`)).body.error).toBe('invalid_transition');
    expect((await auditor.get(`/applications/${app.id}/modules`)).body.data[0].status).toBe('inactive');

    const entries = await s.porta.services.audit.list({ targetType: 'module', targetId: moduleId });
    expect(entries.data.map((e) => e.eventType)).toEqual(['module.deactivated', 'module.updated', 'module.created']);
    expect(entries.data[0]!.metadata).toEqual({ applicationId: app.id });
    for (const entry of entries.data) expect(entry).toMatchObject({ actorType: 'admin', source: 'api', actorId: appAdmin.userId });
  });

  it('answers 401 without a token and 403 with details.missing for roles lacking the permission, changing nothing', async () => {
    expect((await s.anonymous().get('/applications')).status).toBe(401);
    const denied = await auditor.post('/applications', { name: 'Nope' });
    expect(denied.status).toBe(403);
    expect(denied.body.details).toEqual({ missing: ['admin:app:create'] });
    const orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    expect((await orgAdmin.get('/applications')).status).toBe(403);
    const app = await create({ name: 'Guarded', slug: 'guarded-app' });
    const mod = (await appAdmin.post(`/applications/${app.id}/modules`, { name: 'Kept' })).body.data as { id: string };
    const read = async () => ({
      app: (await auditor.get(`/applications/${app.id}`)).body.data,
      modules: (await auditor.get(`/applications/${app.id}/modules`)).body.data,
      history: (await auditor.get(`/applications/${app.id}/history`)).body.data.length,
    });
    const before = await read();
    const writes: [string, string, unknown, string][] = [
      ['PUT', `/applications/${app.id}`, { name: 'Nope' }, 'admin:app:update'],
      ['POST', `/applications/${app.id}/archive`, undefined, 'admin:app:archive'],
      ['POST', `/applications/${app.id}/deactivate`, undefined, 'admin:app:update'],
      ['POST', `/applications/${app.id}/activate`, undefined, 'admin:app:update'],
      ['POST', `/applications/${app.id}/modules`, { name: 'M' }, 'admin:app:update'],
      ['PUT', `/applications/${app.id}/modules/${mod.id}`, { name: 'Nope' }, 'admin:app:update'],
      ['POST', `/applications/${app.id}/modules/${mod.id}/deactivate`, undefined, 'admin:app:update'],
    ];
    for (const [method, path, body, permission] of writes) {
      const res = await auditor.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body, `${method} ${path}`).toMatchObject({ error: 'forbidden', details: { missing: [permission] } });
    }
    expect(await read()).toEqual(before);
  });

  it('lets only a super admin change porta-admin and its modules', async () => {
    const before = (await auditor.get('/applications/porta-admin')).body.data;
    const historyBefore = (await auditor.get(`/applications/${adminAppId}/history`)).body.data.length;
    const refused: [string, string, unknown][] = [
      ['PUT', `/applications/${adminAppId}`, { name: 'Hijacked' }],
      ['PUT', '/applications/porta-admin', { description: 'Hijacked' }],
      ['POST', `/applications/${adminAppId}/activate`, undefined],
      ['POST', `/applications/${adminAppId}/deactivate`, undefined],
      ['POST', `/applications/${adminAppId}/modules`, { name: 'Backdoor' }],
    ];
    for (const [method, path, body] of refused) {
      const res = await appAdmin.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error, `${method} ${path}`).toBe('protected_resource');
    }
    expect((await auditor.get('/applications/porta-admin')).body.data).toEqual(before);
    expect((await auditor.get(`/applications/${adminAppId}/history`)).body.data.length).toBe(historyBefore);

    const renamed = await s.superAdmin.put(`/applications/${adminAppId}`, { name: 'Porta Administration' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toMatchObject({ slug: 'porta-admin', name: 'Porta Administration' });
    const made = await s.superAdmin.post(`/applications/${adminAppId}/modules`, { name: 'Console' });
    expect(made.status).toBe(201);
    const modulePath = `/applications/${adminAppId}/modules/${made.body.data.id}`;
    expect((await appAdmin.put(modulePath, { name: 'Hijacked' })).body.error).toBe('protected_resource');
    expect((await appAdmin.post(`${modulePath}/deactivate`)).body.error).toBe('protected_resource');
    expect((await s.superAdmin.put(modulePath, { description: 'The admin console' })).status).toBe(200);
    expect((await s.superAdmin.put(`/applications/${adminAppId}`, { name: before.name })).status).toBe(200);
  });
});
