import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { expectCursorRefusals, walkCursorList } from '../support/cursor-lists.js';

describe('admin API: organizations (spec 20 §5.1, §5.2 2FA policy)', () => {
  let s: AdminServer;
  let orgAdmin: AdminClient;
  let auditor: AdminClient;
  let superAdminOrgId: string;

  beforeAll(async () => {
    s = await startAdminServer();
    // More writes than one window of the admin write limit allows (spec 50 §7).
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    superAdminOrgId = (await s.porta.services.organizations.getSuperAdmin()).id;
  });
  afterAll(() => s?.stop());

  const create = async (body: Record<string, unknown>) => {
    const res = await s.superAdmin.post('/organizations', body);
    expect(res.status).toBe(201);
    return res.body.data as { id: string; slug: string; status: string; updatedAt: string };
  };

  it('creates an organization with defaults, derives its slug and records organization.created', async () => {
    const res = await s.superAdmin.post('/organizations', { name: 'Acme Widgets' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      name: 'Acme Widgets',
      slug: 'acme-widgets',
      status: 'active',
      isSuperAdmin: false,
      defaultLocale: 'en',
      defaultLoginMethods: ['password', 'magic_link'],
      twoFactorPolicy: 'optional',
      branding: { logoUrl: null, faviconUrl: null, primaryColor: null, companyName: null, customCss: null },
    });
    const entries = await s.porta.services.audit.list({ targetType: 'organization', targetId: res.body.data.id });
    expect(entries.data.map((e) => e.eventType)).toEqual(['organization.created']);
    expect(entries.data[0]).toMatchObject({ actorId: s.superAdminUserId, actorType: 'admin', source: 'api', actorName: null, organizationId: res.body.data.id });
    expect(entries.data[0]!.metadata).toEqual({ name: 'Acme Widgets', slug: 'acme-widgets' });
  });

  it('refuses a taken, reserved or malformed slug and unsafe CSS', async () => {
    await create({ name: 'Taken', slug: 'taken-slug' });
    const taken = await s.superAdmin.post('/organizations', { name: 'Other', slug: 'taken-slug' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe('slug_taken');
    for (const body of [
      { name: 'R', slug: 'admin' },
      { name: 'F', slug: 'Bad Slug' },
      { name: 'C', branding: { customCss: '</style><script>x</script>' } },
      { name: 'M', defaultLoginMethods: [] },
      { name: '' },
      { name: 'U', unknown: true },
    ]) {
      const res = await s.superAdmin.post('/organizations', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
      expect(Array.isArray(res.body.details)).toBe(true);
    }
  });

  it('lists with filters, search, sorting and paging', async () => {
    await create({ name: 'Zeta Listing', slug: 'zeta-listing' });
    const suspended = await create({ name: 'Yota Listing', slug: 'yota-listing' });
    expect((await s.superAdmin.post(`/organizations/${suspended.id}/suspend`)).status).toBe(204);

    const res = await auditor.get('/organizations?search=listing&sortBy=name&sortOrder=asc&pageSize=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 2, page: 1, pageSize: 1, totalPages: 2 });
    expect(res.body.data.map((o: { slug: string }) => o.slug)).toEqual(['yota-listing']);

    const active = await auditor.get('/organizations?search=listing&status=active');
    expect(active.body.data.map((o: { slug: string }) => o.slug)).toEqual(['zeta-listing']);
    expect((await auditor.get('/organizations?sortBy=slug')).status).toBe(400);
    expect((await auditor.get('/organizations?pageSize=101')).status).toBe(400);
  });

  it('lists by cursor forwards and backwards without gaps or duplicates, equal names included, honouring filters', async () => {
    const made = [];
    for (let n = 1; n <= 7; n += 1) made.push(await create({ name: n % 2 === 0 ? 'Cursor Twin' : `Cursor ${n}`, slug: `cursor-walk-${n}` }));
    for (const org of made.slice(0, 3)) expect((await s.superAdmin.post(`/organizations/${org.id}/suspend`)).status).toBe(204);

    for (const [sortBy, sortOrder] of [['name', 'asc'], ['name', 'desc'], ['created_at', 'desc']] as const) {
      const offset = await auditor.get(`/organizations?search=cursor-walk&sortBy=${sortBy}&sortOrder=${sortOrder}&pageSize=100`);
      const expected = offset.body.data.map((o: { id: string }) => o.id);
      expect(expected).toHaveLength(7);
      const walk = await walkCursorList(auditor, `/organizations?search=cursor-walk&sortBy=${sortBy}&sortOrder=${sortOrder}&limit=2`);
      expect(walk.forward).toEqual(expected);
      expect(walk.backward).toEqual(expected);
      expect(walk.pages).toBe(4);
    }

    const suspended = await walkCursorList(auditor, '/organizations?search=cursor-walk&status=suspended&sortBy=name&sortOrder=asc&limit=1');
    expect(new Set(suspended.forward)).toEqual(new Set(made.slice(0, 3).map((o) => o.id)));
    expect(suspended.backward).toEqual(suspended.forward);

    expect((await auditor.get('/organizations?cursor=')).body.error).toBe('invalid_cursor');
    const firstPage = await auditor.get('/organizations?limit=100');
    expect(firstPage.status).toBe(200);
    expect(firstPage.body).toMatchObject({ previousCursor: null });
    expect(firstPage.body.total).toBeUndefined();
  });

  it('refuses malformed, tampered and mismatched cursors with 400 invalid_cursor', async () => {
    await expectCursorRefusals(auditor, '/organizations', 'name');
  });

  it('validates slugs', async () => {
    await create({ name: 'Validate', slug: 'validate-taken' });
    const cases = [
      ['fresh-slug', { isValid: true }],
      ['validate-taken', { isValid: false, reason: 'taken' }],
      ['login', { isValid: false, reason: 'reserved' }],
      ['-no', { isValid: false, reason: 'format' }],
    ] as const;
    for (const [slug, expected] of cases) {
      const res = await auditor.get(`/organizations/validate-slug?slug=${encodeURIComponent(slug)}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ slug, ...expected });
    }
    expect((await auditor.get('/organizations/validate-slug')).status).toBe(400);
  });

  it('reads one organization by id or slug with an ETag; unknown is 404', async () => {
    const org = await create({ name: 'Readable', slug: 'readable-org' });
    const byId = await auditor.get(`/organizations/${org.id}`);
    expect(byId.status).toBe(200);
    expect(byId.headers.get('etag')).toMatch(/^W\/"/);
    const bySlug = await auditor.get('/organizations/readable-org');
    expect(bySlug.body.data.id).toBe(org.id);
    expect(bySlug.headers.get('etag')).toBe(byId.headers.get('etag'));
    expect((await auditor.get('/organizations/00000000-0000-4000-8000-000000000000')).body.error).toBe('not_found');
    expect((await auditor.get('/organizations/no-such-org')).status).toBe(404);
  });

  it('updates with If-Match (412 on a stale tag) and records organization.updated', async () => {
    const org = await create({ name: 'Updatable', slug: 'updatable-org' });
    const etag = (await orgAdmin.get(`/organizations/${org.id}`)).headers.get('etag')!;
    const res = await orgAdmin.put(`/organizations/${org.id}`, { name: 'Updated', defaultLocale: 'de', branding: { primaryColor: '#112233' } }, { 'If-Match': etag });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ name: 'Updated', defaultLocale: 'de', branding: { primaryColor: '#112233' } });
    expect(res.headers.get('etag')).not.toBe(etag);

    const stale = await orgAdmin.put(`/organizations/${org.id}`, { name: 'Again' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: 'precondition_failed', details: { currentETag: res.headers.get('etag'), currentEntity: { name: 'Updated' } } });
    expect((await orgAdmin.put(`/organizations/${org.id}`, { name: 'Star' }, { 'If-Match': '*' })).status).toBe(200);
    expect((await orgAdmin.put(`/organizations/${org.id}`, { slug: 'new-slug' })).status).toBe(400);
    expect((await orgAdmin.put(`/organizations/${org.id}`, { twoFactorPolicy: 'required_totp' })).status).toBe(400);

    const history = await auditor.get(`/organizations/${org.id}/history?event_type=organization.updated`);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ hasMore: false, nextCursor: null });
    expect(history.body.data).toHaveLength(2);
    expect(history.body.data[0]).toMatchObject({ eventType: 'organization.updated', actorId: orgAdmin.userId });
  });

  it('sets and clears branding fields', async () => {
    const org = await create({ name: 'Branded', slug: 'branded-org', branding: { companyName: 'Branded Inc', logoUrl: 'https://cdn.example.com/l.png' } });
    const res = await orgAdmin.put(`/organizations/${org.id}/branding`, { logoUrl: null, primaryColor: '#abcdef' });
    expect(res.status).toBe(200);
    expect(res.body.data.branding).toEqual({ logoUrl: null, faviconUrl: null, primaryColor: '#abcdef', companyName: 'Branded Inc', customCss: null });
    expect((await orgAdmin.put(`/organizations/${org.id}/branding`, { logoUrl: 'http://insecure.example.com/x.png' })).status).toBe(400);
    const history = await auditor.get(`/organizations/${org.id}/history`);
    expect(history.body.data[0].eventType).toBe('organization.branding_updated');
  });

  it('moves through suspend, activate, archive and restore; illegal moves are 409', async () => {
    const org = await create({ name: 'Lifecycle', slug: 'lifecycle-org' });
    const status = async () => (await auditor.get(`/organizations/${org.id}`)).body.data.status;
    expect((await orgAdmin.post(`/organizations/${org.id}/suspend`, { reason: 'unpaid invoices' })).status).toBe(204);
    expect(await status()).toBe('suspended');
    const again = await orgAdmin.post(`/organizations/${org.id}/suspend`);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('invalid_transition');
    expect((await orgAdmin.post(`/organizations/${org.id}/activate`)).status).toBe(204);
    expect((await orgAdmin.post(`/organizations/${org.id}/restore`)).status).toBe(409);
    expect((await orgAdmin.post(`/organizations/${org.id}/archive`)).status).toBe(204);
    expect(await status()).toBe('archived');
    expect((await orgAdmin.post('/organizations/lifecycle-org/restore')).status).toBe(204);
    expect(await status()).toBe('active');
    expect((await orgAdmin.post(`/organizations/${org.id}/suspend`, { reason: 'x'.repeat(501) })).status).toBe(400);

    const history = await auditor.get(`/organizations/${org.id}/history`);
    expect(history.body.data.map((e: { eventType: string }) => e.eventType)).toEqual([
      'organization.restored', 'organization.archived', 'organization.activated', 'organization.suspended', 'organization.created',
    ]);
    expect(history.body.data[3].metadata).toMatchObject({ reason: 'unpaid invoices', previousStatus: 'active', status: 'suspended' });
    const page = await auditor.get(`/organizations/${org.id}/history?limit=2`);
    expect(page.body).toMatchObject({ hasMore: true });
    const next = await auditor.get(`/organizations/${org.id}/history?limit=2&after=${encodeURIComponent(page.body.nextCursor)}`);
    expect(next.body.data[0].eventType).toBe('organization.activated');
  });

  it('never suspends, archives or restores the super-admin organization', async () => {
    for (const action of ['suspend', 'archive', 'restore']) {
      const res = await s.superAdmin.post(`/organizations/${superAdminOrgId}/${action}`);
      expect(res.status, action).toBe(403);
      expect(res.body.error).toBe('protected_resource');
    }
    expect((await auditor.get(`/organizations/${superAdminOrgId}`)).body.data.status).toBe('active');
  });

  it('reads and changes the 2FA policy with ETag; only a super admin changes the super-admin organization’s', async () => {
    const org = await create({ name: 'Two Factor', slug: 'two-factor-org' });
    const read = await auditor.get(`/organizations/${org.id}/two-factor/policy`);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ twoFactorPolicy: 'optional', validPolicies: ['optional', 'required_email', 'required_totp', 'required_any', 'required_passkey'] });
    const etag = read.headers.get('etag')!;

    const res = await orgAdmin.put(`/organizations/${org.id}/two-factor/policy`, { twoFactorPolicy: 'required_totp' }, { 'If-Match': etag });
    expect(res.status).toBe(200);
    expect(res.body.data.twoFactorPolicy).toBe('required_totp');
    expect((await orgAdmin.put(`/organizations/${org.id}/two-factor/policy`, { twoFactorPolicy: 'optional' }, { 'If-Match': etag })).status).toBe(412);
    expect((await orgAdmin.put(`/organizations/${org.id}/two-factor/policy`, { twoFactorPolicy: 'sometimes' })).status).toBe(400);
    const history = await auditor.get(`/organizations/${org.id}/history?event_type=org.2fa.policy_changed`);
    expect(history.body.data[0].metadata).toMatchObject({ previousPolicy: 'optional', newPolicy: 'required_totp' });
    const passkey = await orgAdmin.put(`/organizations/${org.id}/two-factor/policy`, { twoFactorPolicy: 'required_passkey' });
    expect(passkey.status).toBe(200);
    expect(passkey.body.data.twoFactorPolicy).toBe('required_passkey');

    const refused = await orgAdmin.put(`/organizations/${superAdminOrgId}/two-factor/policy`, { twoFactorPolicy: 'required_any' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('protected_resource');
    const allowed = await s.superAdmin.put(`/organizations/${superAdminOrgId}/two-factor/policy`, { twoFactorPolicy: 'optional' });
    expect(allowed.status).toBe(200);
  });

  it('answers 401 without a token and 403 for roles lacking the permission', async () => {
    expect((await s.anonymous().get('/organizations')).status).toBe(401);
    expect((await s.anonymous().post('/organizations', { name: 'Nope' })).status).toBe(401);
    const denied = await auditor.post('/organizations', { name: 'Nope' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:org:create'] } });
    const appAdmin = await s.clientWithRoles(['porta-app-admin']);
    expect((await appAdmin.get('/organizations')).status).toBe(403);
    expect((await auditor.get('/organizations?search=Nope')).body.total).toBe(0);
  });

  it('refuses every write to an actor lacking its permission with details.missing, changing nothing', async () => {
    const org = await create({ name: 'Guarded', slug: 'guarded-org' });
    const read = async () => ({
      org: (await auditor.get(`/organizations/${org.id}`)).body.data,
      history: (await auditor.get(`/organizations/${org.id}/history`)).body.data.length,
    });
    const before = await read();
    const writes: [string, string, unknown, string][] = [
      ['PUT', `/organizations/${org.id}`, { name: 'Nope' }, 'admin:org:update'],
      ['PUT', `/organizations/${org.id}/branding`, { companyName: 'Nope' }, 'admin:org:update'],
      ['PUT', `/organizations/${org.id}/two-factor/policy`, { twoFactorPolicy: 'required_any' }, 'admin:org:update'],
      ['POST', `/organizations/${org.id}/suspend`, { reason: 'nope' }, 'admin:org:suspend'],
      ['POST', `/organizations/${org.id}/activate`, undefined, 'admin:org:suspend'],
      ['POST', `/organizations/${org.id}/archive`, undefined, 'admin:org:archive'],
      ['POST', `/organizations/${org.id}/restore`, undefined, 'admin:org:archive'],
    ];
    for (const [method, path, body, permission] of writes) {
      const res = await auditor.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body, `${method} ${path}`).toMatchObject({ error: 'forbidden', details: { missing: [permission] } });
    }
    // A 403 does not tell whether the target exists.
    const unknown = await auditor.put('/organizations/00000000-0000-4000-8000-000000000000', { name: 'Nope' });
    expect([unknown.status, unknown.body.error]).toEqual([403, 'forbidden']);
    expect(await read()).toEqual(before);
  });

  it('lets an org admin change other organizations but only a super admin the super-admin organization', async () => {
    const path = `/organizations/${superAdminOrgId}`;
    const before = (await auditor.get(path)).body.data;
    const historyBefore = (await auditor.get(`${path}/history`)).body.data.length;
    const refused: [string, string, unknown][] = [
      ['PUT', path, { name: 'Taken over' }],
      ['PUT', path, { defaultLoginMethods: ['password'] }],
      ['PUT', `${path}/branding`, { primaryColor: '#ff0000' }],
      ['PUT', `${path}/two-factor/policy`, { twoFactorPolicy: 'required_any' }],
      ['POST', `${path}/activate`, undefined],
      ['POST', `${path}/suspend`, undefined],
      ['POST', `${path}/archive`, undefined],
    ];
    for (const [method, url, body] of refused) {
      const res = await orgAdmin.request(method, url, body);
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.error, `${method} ${url}`).toBe('protected_resource');
    }
    expect((await auditor.get(path)).body.data).toEqual(before);
    expect((await auditor.get(`${path}/history`)).body.data.length).toBe(historyBefore);

    const renamed = await s.superAdmin.put(path, { name: 'Porta Admin (renamed)' });
    expect(renamed.status).toBe(200);
    expect((await s.superAdmin.put(`${path}/branding`, { primaryColor: '#123456' })).status).toBe(200);
    const history = await auditor.get(`${path}/history`);
    expect(history.body.data.slice(0, 2).map((e: { eventType: string; actorId: string }) => [e.eventType, e.actorId])).toEqual([
      ['organization.branding_updated', s.superAdminUserId],
      ['organization.updated', s.superAdminUserId],
    ]);
    expect((await s.superAdmin.put(path, { name: before.name, branding: before.branding })).status).toBe(200);
  });

  it('refuses to leave the super-admin organization with only magic links while no mail transport is configured', async () => {
    const path = `/organizations/${superAdminOrgId}`;
    const before = (await auditor.get(path)).body.data;
    const res = await s.superAdmin.put(path, { defaultLoginMethods: ['magic_link'] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'defaultLoginMethods', reason: 'no_usable_login_method' }] });
    expect(res.body.message).toMatch(/SMTP/);
    expect((await auditor.get(path)).body.data).toEqual(before);
    expect((await s.superAdmin.put(path, { defaultLoginMethods: ['password'] })).status).toBe(200);
    const tenant = await create({ name: 'Links Only', slug: 'links-only-org' });
    expect((await orgAdmin.put(`/organizations/${tenant.id}`, { defaultLoginMethods: ['magic_link'] })).status).toBe(200);
    expect((await s.superAdmin.put(path, { defaultLoginMethods: before.defaultLoginMethods })).status).toBe(200);
  });
});
