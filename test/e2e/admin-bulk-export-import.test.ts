import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { systemActor } from '../../src/actors/index.js';

const USER_COLUMNS = [
  'id', 'email', 'status', 'given_name', 'family_name', 'nickname', 'locale', 'email_verified', 'phone_number',
  'created_at', 'updated_at', 'last_login_at', 'login_count',
];
const SECRET = 'imported-secret-value-0123456789abcdefghij';

describe('admin API: bulk status, exports and import (spec 20 §5.9)', () => {
  let s: AdminServer;
  let orgAdmin: AdminClient;
  let userAdmin: AdminClient;
  let auditor: AdminClient;
  let seq = 0;

  beforeAll(async () => {
    s = await startAdminServer();
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
  });
  afterAll(() => s?.stop());

  const services = () => s.porta.services;
  const newOrg = (prefix: string) => services().organizations.create(systemActor(), { name: `Org ${prefix}`, slug: `${prefix}-${++seq}` });
  const newUser = async (orgId: string, extra: Record<string, unknown> = {}) =>
    services().users.create(systemActor(), orgId, { email: `person-${++seq}@example.com`, ...extra });
  const events = async (event: string, targetId?: string) =>
    (await services().audit.list({ event, ...(targetId ? { targetId } : {}), limit: 500 })).data;

  describe('POST /bulk/organizations/status', () => {
    it('changes each organization on its own, with the single-endpoint rules, protections and audit entries', async () => {
      const [a, b, archived] = [await newOrg('bulk-a'), await newOrg('bulk-b'), await newOrg('bulk-c')];
      await services().organizations.archive(systemActor(), archived.id);
      const superOrg = await services().organizations.getSuperAdmin();
      const unknown = randomUUID();
      const res = await s.superAdmin.post('/bulk/organizations/status', { ids: [a.id, b.id, archived.id, superOrg.id, unknown], action: 'suspend', reason: 'unpaid' });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        total: 5,
        succeeded: 2,
        failed: 3,
        results: [
          { id: a.id, success: true, previousStatus: 'active', newStatus: 'suspended' },
          { id: b.id, success: true, previousStatus: 'active', newStatus: 'suspended' },
          { id: archived.id, success: false, error: 'invalid_transition' },
          { id: superOrg.id, success: false, error: 'protected_resource' },
          { id: unknown, success: false, error: 'not_found' },
        ],
      });
      expect((await services().organizations.getById(a.id)).status).toBe('suspended');
      expect((await services().organizations.getById(superOrg.id)).status).toBe('active');
      const [entry] = await events('organization.suspended', a.id);
      // The same event as the single endpoint; only the actor columns say it came through bulk.
      expect(entry).toMatchObject({ actorId: s.superAdminUserId, source: 'bulk', targetType: 'organization', organizationId: a.id });
      expect(entry!.metadata).toEqual({ previousStatus: 'active', status: 'suspended', reason: 'unpaid' });
      expect(await events('organization.suspended', archived.id)).toHaveLength(0);

      const back = await orgAdmin.post('/bulk/organizations/status', { ids: [a.id, b.id], action: 'activate' });
      expect(back.body.data).toMatchObject({ succeeded: 2, failed: 0 });
      expect(await events('organization.activated', b.id)).toHaveLength(1);
      const archive = await orgAdmin.post('/bulk/organizations/status', { ids: [a.id], action: 'archive' });
      expect(archive.body.data.results).toEqual([{ id: a.id, success: true, previousStatus: 'active', newStatus: 'archived' }]);
    });

    it('requires org:update plus org:suspend or org:archive, valid input and a token', async () => {
      const org = await newOrg('bulk-perm');
      const denied = await auditor.post('/bulk/organizations/status', { ids: [org.id], action: 'suspend' });
      expect(denied.status).toBe(403);
      expect(denied.body.error).toBe('forbidden');
      expect((await userAdmin.post('/bulk/organizations/status', { ids: [org.id], action: 'archive' })).status).toBe(403);
      expect((await s.anonymous().post('/bulk/organizations/status', { ids: [org.id], action: 'suspend' })).status).toBe(401);
      for (const bad of [
        { ids: [], action: 'suspend' },
        { ids: Array.from({ length: 101 }, () => randomUUID()), action: 'suspend' },
        { ids: [org.id], action: 'restore' },
        { ids: ['not-a-uuid'], action: 'suspend' },
      ]) {
        const res = await s.superAdmin.post('/bulk/organizations/status', bad);
        expect(res.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
        expect(res.body.error).toBe('validation_failed');
      }
      expect((await services().organizations.getById(org.id)).status).toBe('active');
    });
  });

  describe('POST /bulk/users/status', () => {
    it('changes users of the named organization only; others fail not_found; the super-admin user is protected', async () => {
      const org = await newOrg('bulk-users');
      const other = await newOrg('bulk-users-other');
      const [u1, u2, locked] = [await newUser(org.id), await newUser(org.id), await newUser(org.id)];
      await services().users.setStatus(systemActor(), org.id, locked.id, 'lock', { reason: 'admin_lock' });
      const stranger = await newUser(other.id);
      const res = await userAdmin.post('/bulk/users/status', { organizationId: org.id, ids: [u1.id, u2.id, locked.id, stranger.id], action: 'lock', reason: 'incident 42' });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        total: 4,
        succeeded: 2,
        failed: 2,
        results: [
          { id: u1.id, success: true, previousStatus: 'active', newStatus: 'locked' },
          { id: u2.id, success: true, previousStatus: 'active', newStatus: 'locked' },
          { id: locked.id, success: false, error: 'invalid_transition' },
          { id: stranger.id, success: false, error: 'not_found' },
        ],
      });
      expect(await services().users.getById(org.id, u1.id)).toMatchObject({ status: 'locked', lockedReason: 'incident 42' });
      expect((await services().users.getById(other.id, stranger.id)).status).toBe('active');
      expect(await events('user.locked', u1.id)).toEqual([
        expect.objectContaining({
          organizationId: org.id, userId: u1.id, source: 'bulk',
          metadata: { previousStatus: 'active', status: 'locked', trigger: 'admin', reason: 'incident 42', endedSessions: 0, revokedTokens: 0 },
        }),
      ]);

      const superOrg = await services().organizations.getSuperAdmin();
      const protectedRes = await s.superAdmin.post('/bulk/users/status', { organizationId: superOrg.id, ids: [s.superAdminUserId], action: 'suspend' });
      expect(protectedRes.body.data.results).toEqual([{ id: s.superAdminUserId, success: false, error: 'protected_resource' }]);
    });

    it('activates inactive users (reactivate) and suspended users (unsuspend) with their own audit events', async () => {
      const org = await newOrg('bulk-activate');
      const [inactive, suspended, active] = [await newUser(org.id, { status: 'inactive' }), await newUser(org.id), await newUser(org.id)];
      await services().users.setStatus(systemActor(), org.id, suspended.id, 'suspend');
      const res = await userAdmin.post('/bulk/users/status', { organizationId: org.id, ids: [inactive.id, suspended.id, active.id], action: 'activate' });
      expect(res.body.data.results).toEqual([
        { id: inactive.id, success: true, previousStatus: 'inactive', newStatus: 'active' },
        { id: suspended.id, success: true, previousStatus: 'suspended', newStatus: 'active' },
        { id: active.id, success: false, error: 'invalid_transition' },
      ]);
      expect(await events('user.reactivated', inactive.id)).toHaveLength(1);
      expect(await events('user.unsuspended', suspended.id)).toHaveLength(1);
    });

    it('requires user:suspend, an organizationId and an existing organization', async () => {
      const org = await newOrg('bulk-users-perm');
      const user = await newUser(org.id);
      expect((await auditor.post('/bulk/users/status', { organizationId: org.id, ids: [user.id], action: 'suspend' })).status).toBe(403);
      expect((await orgAdmin.post('/bulk/users/status', { organizationId: org.id, ids: [user.id], action: 'suspend' })).status).toBe(403);
      const missingOrg = await userAdmin.post('/bulk/users/status', { ids: [user.id], action: 'suspend' });
      expect(missingOrg.status).toBe(400);
      expect(missingOrg.body.error).toBe('validation_failed');
      expect((await userAdmin.post('/bulk/users/status', { organizationId: randomUUID(), ids: [user.id], action: 'suspend' })).status).toBe(404);
      expect((await services().users.getById(org.id, user.id)).status).toBe('active');
    });
  });

  describe('GET /export/:entityType', () => {
    it('streams users as a JSON attachment with exactly the spec columns and no secrets', async () => {
      const org = await newOrg('export-json');
      const user = await newUser(org.id, { password: 'Secret-pass-1', givenName: 'Ada', familyName: 'Lovelace' });
      await newUser((await newOrg('export-json-other')).id);
      const res = await auditor.get(`/export/users?organizationId=${org.id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="users-export-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.json"$/);
      expect(res.body.total).toBe(1);
      expect(Date.parse(res.body.exportedAt)).not.toBeNaN();
      expect(Object.keys(res.body.data[0])).toEqual(USER_COLUMNS);
      expect(res.body.data[0]).toMatchObject({ id: user.id, email: user.email, given_name: 'Ada', status: 'active', email_verified: false, login_count: 0 });
      expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/);
    });

    it('writes CSV with a header row, RFC 4180 quoting, space-joined arrays and formula cells neutralised', async () => {
      const org = await newOrg('export-csv');
      await newUser(org.id, { givenName: '=HYPERLINK("http://evil")', familyName: 'Smith, Jr.', nickname: '@home' });
      const res = await s.superAdmin.get(`/export/users?organizationId=${org.id}&format=csv`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toMatch(/filename="users-export-[\dT-]+\.csv"/);
      const lines = (res.body as string).split('\r\n');
      expect(lines[0]).toBe(USER_COLUMNS.join(','));
      expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")","Smith, Jr.",'@home,`);
      expect(lines[2]).toBe('');

      const app = await services().applications.create(systemActor(), { name: 'Export app', slug: `export-app-${++seq}` });
      await services().clients.create(systemActor(), org.id, {
        applicationId: app.id, clientName: 'Web', clientType: 'confidential', redirectUris: ['https://a.test/cb', 'https://b.test/cb'],
      });
      const clients = await s.superAdmin.get(`/export/clients?organizationId=${org.id}&format=csv`);
      const [header, row] = (clients.body as string).split('\r\n');
      expect(header).not.toMatch(/secret/);
      const redirectIndex = header!.split(',').indexOf('redirect_uris');
      expect(row!.split(',')[redirectIndex]).toBe('https://a.test/cb https://b.test/cb');
    });

    it('exports organizations, applications, roles, permissions and audit with their filters', async () => {
      const orgs = await s.superAdmin.get('/export/organizations');
      expect(orgs.body.data.some((o: { slug: string; is_super_admin: boolean }) => o.slug === 'porta-admin' && o.is_super_admin)).toBe(true);
      expect((await s.superAdmin.get('/export/applications?format=json')).body.total).toBeGreaterThan(0);
      const adminApp = await services().applications.findBySlug('porta-admin');
      const roles = await s.superAdmin.get(`/export/roles?applicationId=${adminApp!.id}`);
      expect(roles.body.data.map((r: { slug: string }) => r.slug)).toContain('porta-super-admin');
      const permissions = await auditor.get(`/export/permissions?applicationId=${adminApp!.id}&format=csv`);
      expect((permissions.body as string).split('\r\n')[0]).toBe('id,application_id,module_id,name,slug,description,created_at');

      const org = await newOrg('export-audit');
      await auditor.get(`/export/users?organizationId=${org.id}`);
      // A snapshot: the entry recording this very download is not part of it.
      const audit = await auditor.get(`/export/audit?organizationId=${org.id}`);
      expect(audit.body.data.map((e: { event_type: string }) => e.event_type)).toEqual(['export.downloaded', 'organization.created']);
      expect(await events('export.downloaded')).toEqual(expect.arrayContaining([
        expect.objectContaining({ organizationId: org.id, metadata: expect.objectContaining({ entityType: 'audit', total: 2 }) }),
      ]));
      const future = await auditor.get(`/export/audit?organizationId=${org.id}&startDate=2999-01-01`);
      expect(future.body).toMatchObject({ data: [], total: 0 });
    });

    it('answers 400 for an unknown type or a missing filter, 404 for an unknown organization, 403 without export:read', async () => {
      const unknown = await s.superAdmin.get('/export/secrets');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toBe('validation_failed');
      const missing = await s.superAdmin.get('/export/users');
      expect(missing.status).toBe(400);
      expect(missing.body.details).toEqual([{ path: 'organizationId', message: expect.stringContaining('required') }]);
      expect((await s.superAdmin.get('/export/roles')).status).toBe(400);
      expect((await s.superAdmin.get('/export/users?organizationId=x')).status).toBe(400);
      expect((await s.superAdmin.get('/export/users?organizationId=1d4c1b7e-9f44-4b65-8a3a-7b5f0b7a1c11&format=xml')).status).toBe(400);
      expect((await s.superAdmin.get(`/export/users?organizationId=${randomUUID()}`)).status).toBe(404);
      expect((await s.anonymous().get('/export/organizations')).status).toBe(401);
    });

    it('requires export:read plus the type’s read permission, before any 400 or 404', async () => {
      const before = (await events('export.downloaded')).length;
      const noExport = await userAdmin.get('/export/organizations');
      expect(noExport.status).toBe(403);
      expect(noExport.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:export:read', 'admin:org:read'] } });
      const audit = await orgAdmin.get(`/export/audit?organizationId=${randomUUID()}`);
      expect(audit.status).toBe(403);
      expect(audit.body.details).toEqual({ missing: ['admin:export:read', 'admin:audit:read'] });
      expect((await userAdmin.get(`/export/users?organizationId=${randomUUID()}`)).body.details).toEqual({ missing: ['admin:export:read'] });
      expect((await userAdmin.get('/export/secrets')).status).toBe(403);
      expect(await events('export.downloaded')).toHaveLength(before);
    });

    it('records export.downloaded', async () => {
      const org = await newOrg('export-audited');
      await auditor.get(`/export/users?organizationId=${org.id}&format=csv`);
      const entries = (await services().audit.list({ event: 'export.downloaded', org: org.id })).data;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        actorId: auditor.userId, actorType: 'admin', source: 'api', requestId: expect.any(String), organizationId: org.id,
        metadata: { entityType: 'users', format: 'csv', total: 0, organizationId: org.id },
      });
    });
  });

  describe('POST /import', () => {
    const manifest = (p: string, extra: Record<string, unknown> = {}) => ({
      version: '1.0',
      organizations: [{ name: `Acme ${p}`, slug: `${p}-acme`, branding_primary_color: '#112233' }],
      applications: [{ name: `Portal ${p}`, slug: `${p}-portal`, description: 'Portal' }],
      application_modules: [{ application_slug: `${p}-portal`, name: 'Billing', slug: 'billing' }],
      clients: [
        { organization_slug: `${p}-acme`, application_slug: `${p}-portal`, client_name: 'Web', client_type: 'confidential', client_id: `${p}-web`, redirect_uris: ['https://acme.test/cb'], secret_label: 'imported', secret_value: SECRET },
        { organization_slug: `${p}-acme`, application_slug: `${p}-portal`, client_name: 'SPA', client_type: 'public', application_type: 'spa', redirect_uris: ['https://acme.test/spa'] },
      ],
      roles: [{ application_slug: `${p}-portal`, name: 'Editor', slug: 'editor' }],
      permissions: [{ application_slug: `${p}-portal`, name: 'Edit', slug: 'portal:doc:edit', module_slug: 'billing' }],
      claim_definitions: [{ application_slug: `${p}-portal`, claim_name: 'tier', claim_type: 'string' }],
      role_permission_mappings: [{ application_slug: `${p}-portal`, role_slug: 'editor', permission_slugs: ['portal:doc:edit'] }],
      users: [{ organization_slug: `${p}-acme`, email: `ada@${p}.test`, given_name: 'Ada' }],
      user_role_assignments: [{ organization_slug: `${p}-acme`, email: `ada@${p}.test`, application_slug: `${p}-portal`, role_slug: 'editor' }],
      user_claim_values: [{ organization_slug: `${p}-acme`, email: `ada@${p}.test`, application_slug: `${p}-portal`, claim_name: 'tier', value: 'gold' }],
      ...extra,
    });

    it('reports a dry run (the default) without changing anything', async () => {
      const res = await s.superAdmin.post('/import', { manifest: manifest('dry') });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ mode: 'dry-run', updated: [], skipped: [], errors: [] });
      expect(res.body.data.created.map((e: { type: string; slug: string }) => `${e.type}:${e.slug}`)).toEqual([
        'organization:dry-acme', 'application:dry-portal', 'module:billing', 'client:dry-web', 'client:SPA', 'role:editor',
        'permission:portal:doc:edit', 'claim_definition:tier', 'role_permission_mapping:editor', 'user:ada@dry.test',
        'user_role_assignment:editor', 'user_claim_value:tier',
      ]);
      expect(res.body.data.credentials).toEqual([
        { organizationSlug: 'dry-acme', applicationSlug: 'dry-portal', clientName: 'Web', clientId: 'dry-web', clientType: 'confidential', secretPlaintext: SECRET, secretLabel: 'imported', secretExpiresAt: null },
        { organizationSlug: 'dry-acme', applicationSlug: 'dry-portal', clientName: 'SPA', clientId: null, clientType: 'public' },
      ]);
      expect(await services().organizations.findBySlug('dry-acme')).toBeNull();
      expect(await services().applications.findBySlug('dry-portal')).toBeNull();
    });

    it('imports everything in merge mode, then skips it all on a second run', async () => {
      const res = await s.superAdmin.post('/import', { mode: 'merge', manifest: manifest('imp', { config: { access_token_ttl: '1800' } }) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.created).toHaveLength(12);
      expect(res.body.data.updated).toEqual([{ type: 'config', slug: 'access_token_ttl', name: 'access_token_ttl', id: 'access_token_ttl', changes: ['value'] }]);
      const [web, spa] = res.body.data.credentials;
      expect(web).toMatchObject({ clientId: 'imp-web', secretPlaintext: SECRET, secretId: expect.any(String), secretLabel: 'imported' });
      expect(spa.clientId).toMatch(/^[\w-]{20,}$/);

      const org = await services().organizations.getBySlug('imp-acme');
      const app = (await services().applications.findBySlug('imp-portal'))!;
      const user = (await services().users.findByEmail(org.id, 'ada@imp.test'))!;
      expect(await services().access.accessOf(user.id, app.id)).toEqual({ roles: ['editor'], permissions: ['portal:doc:edit'] });
      expect(await services().access.claimsOf(user.id, app.id)).toEqual([expect.objectContaining({ claimName: 'tier', value: 'gold' })]);
      const client = (await services().clients.findByClientId(org.id, 'imp-web'))!;
      expect(await services().clients.verifySecret(client.id, SECRET)).toBe(true);
      // Other readers (this process's own config cache included) see the change within their refresh interval.
      await vi.waitFor(async () => expect(await services().systemConfig.getNumber('access_token_ttl')).toBe(1800), { timeout: 5000, interval: 200 });
      // The OIDC engines learn the new claim name once the shared version counter moved after commit.
      await vi.waitFor(async () => expect((await services().rbac.claimNames()).names).toContain('tier'), { timeout: 5000, interval: 200 });
      const [entry] = (await services().audit.list({ event: 'import.completed', actor: s.superAdminUserId })).data;
      expect(entry?.metadata).toEqual({ mode: 'merge', created: 12, updated: 1, skipped: 0 });

      const again = await s.superAdmin.post('/import', { mode: 'merge', manifest: manifest('imp', { config: { access_token_ttl: 1800 } }) });
      expect(again.body.data).toMatchObject({ created: [], updated: [] });
      expect(again.body.data.skipped).toHaveLength(13);
      expect(again.body.data.skipped[0]).toEqual({ type: 'organization', slug: 'imp-acme', name: expect.any(String), id: expect.any(String), reason: 'exists' });
      // A secret is shown only when this run created it.
      expect(again.body.data.credentials[0]).toEqual({ organizationSlug: 'imp-acme', applicationSlug: 'imp-portal', clientName: 'Web', clientId: 'imp-web', clientType: 'confidential' });
    });

    it('updates what differs in overwrite mode, naming the changed fields', async () => {
      const base = manifest('imp');
      const res = await s.superAdmin.post('/import', {
        mode: 'overwrite',
        manifest: {
          ...base,
          organizations: [{ name: 'Acme renamed', slug: 'imp-acme' }],
          roles: [{ application_slug: 'imp-portal', name: 'Editor', slug: 'editor', description: 'Edits documents' }],
          role_permission_mappings: [{ application_slug: 'imp-portal', role_slug: 'editor', permission_slugs: [] }],
          user_claim_values: [{ organization_slug: 'imp-acme', email: 'ada@imp.test', application_slug: 'imp-portal', claim_name: 'tier', value: 'platinum' }],
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.updated).toEqual([
        { type: 'organization', slug: 'imp-acme', name: 'Acme renamed', id: expect.any(String), changes: ['name'] },
        { type: 'role', slug: 'editor', name: 'Editor', id: expect.any(String), changes: ['description'] },
        { type: 'role_permission_mapping', slug: 'editor', name: 'Editor', id: expect.any(String), changes: ['-portal:doc:edit'] },
        { type: 'user_claim_value', slug: 'tier', name: 'ada@imp.test', id: expect.any(String), changes: ['value'] },
      ]);
      expect(res.body.data.skipped.every((e: { reason: string }) => e.reason === 'unchanged')).toBe(true);
      expect((await services().organizations.getBySlug('imp-acme')).name).toBe('Acme renamed');
    });

    it('rolls everything back and answers 422 import_failed listing every error entry', async () => {
      const res = await s.superAdmin.post('/import', {
        mode: 'merge',
        manifest: {
          version: '1.0',
          organizations: [{ name: 'Failing', slug: 'fail-acme' }],
          clients: [
            { organization_slug: 'fail-acme', application_slug: 'imp-portal', client_name: 'Thief', client_type: 'public', client_id: 'imp-web', redirect_uris: ['https://x.test/cb'] },
            { organization_slug: 'porta-admin', application_slug: 'imp-portal', client_name: 'Sneaky', client_type: 'public', redirect_uris: ['https://x.test/cb'] },
          ],
          roles: [{ application_slug: 'porta-admin', name: 'Mine', slug: 'mine' }],
          users: [{ organization_slug: 'nowhere', email: 'a@b.test' }],
        },
      });
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('import_failed');
      // Every refused entry, with the reason in words as well as its code.
      expect(res.body.details).toEqual([
        { type: 'client', slug: 'imp-web', error: 'client_id_taken', message: expect.stringContaining('imp-web') },
        { type: 'client', slug: 'Sneaky', error: 'protected_resource', message: expect.any(String) },
        { type: 'role', slug: 'mine', error: 'protected_resource', message: expect.any(String) },
        { type: 'user', slug: 'a@b.test', error: 'organization_not_found', message: expect.stringContaining('nowhere') },
      ]);
      expect(await services().organizations.findBySlug('fail-acme')).toBeNull();

      const dry = await s.superAdmin.post('/import', { manifest: { version: '1.0', config: { super_admin_user_id: 'x', no_such_key: 1 } } });
      expect(dry.status).toBe(422);
      expect(dry.body.details).toEqual([
        { type: 'config', slug: 'super_admin_user_id', error: 'protected_resource', message: expect.any(String) },
        { type: 'config', slug: 'no_such_key', error: 'config_key_not_found', message: expect.any(String) },
      ]);
    });

    it('answers 400 for an unsupported version or an invalid manifest, with paths in the body', async () => {
      const version = await s.superAdmin.post('/import', { mode: 'merge', manifest: { version: '2.0' } });
      expect(version.status).toBe(400);
      expect(version.body.details).toEqual([{ path: 'manifest.version', message: expect.stringContaining('not supported') }]);
      const invalid = await s.superAdmin.post('/import', {
        manifest: {
          version: '1.0',
          organizations: [{ name: 'Admin', slug: 'porta-admin' }],
          clients: [{ organization_slug: 'x', application_slug: 'y', client_name: 'C', client_type: 'public', redirect_uris: ['https://a.test/#frag'] }],
          users: [{ organization_slug: 'x', email: 'p@x.test', password: 'long enough password' }],
        },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toBe('validation_failed');
      expect(invalid.body.details.map((d: { path: string }) => d.path)).toEqual([
        'manifest.clients[0].redirect_uris[0]', 'manifest.organizations[0].slug', 'manifest.users[0].password',
      ]);
      expect((await s.superAdmin.post('/import', { mode: 'replace', manifest: { version: '1.0' } })).status).toBe(400);
      expect((await s.superAdmin.post('/import', { mode: 'merge' })).status).toBe(400);
    });

    it('requires import:write and a token', async () => {
      expect((await auditor.post('/import', { manifest: { version: '1.0' } })).status).toBe(403);
      expect((await orgAdmin.post('/import', { manifest: { version: '1.0' } })).status).toBe(403);
      expect((await s.anonymous().post('/import', { manifest: { version: '1.0' } })).status).toBe(401);
    });
  });
});
