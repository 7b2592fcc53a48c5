import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { expectCursorRefusals, walkCursorList } from '../support/cursor-lists.js';
import { mintAccessToken, startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';

interface UserBody {
  id: string;
  organizationId: string;
  email: string;
  emailVerified: boolean;
  hasPassword: boolean;
  givenName: string | null;
  familyName: string | null;
  status: string;
  lockedReason: string | null;
  address: Record<string, string | null> | null;
  updatedAt: string;
}

describe('admin API: users (spec 20 §5.6, GDPR 50 §11)', () => {
  let s: AdminServer;
  let userAdmin: AdminClient;
  let auditor: AdminClient;
  let acme: Tenant;
  let globex: Tenant;
  let seq = 0;

  beforeAll(async () => {
    s = await startAdminServer();
    // This file makes far more writes than the per-minute admin write limit allows.
    await s.porta.services.systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    userAdmin = await s.clientWithRoles(['porta-user-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    acme = await createTenant(s.porta.services, 'acme-users');
    globex = await createTenant(s.porta.services, 'globex-users');
  });
  afterAll(() => s?.stop());

  const usersOf = (orgId: string) => `/organizations/${orgId}/users`;
  const createUser = async (orgId = acme.orgId, body: Record<string, unknown> = {}) => {
    const res = await userAdmin.post(usersOf(orgId), { email: `person-${++seq}@example.com`, password: 'Secret-pass-1', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data as UserBody;
  };
  const eventsOf = async (userId: string) => (await s.porta.services.audit.history('user', userId, { limit: 100 })).data;

  it('creates a user (201, ETag, no password hash), records user.created and refuses duplicates case-insensitively', async () => {
    const res = await userAdmin.post(usersOf(acme.orgId), {
      email: 'Grace@Example.com',
      password: 'Secret-pass-1',
      givenName: 'Grace',
      familyName: 'Hopper',
      birthdate: '1906-12-09',
      address: { locality: 'Arlington', country: 'us' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toMatch(/^W\/"/);
    expect(res.body.data).toMatchObject({
      organizationId: acme.orgId, givenName: 'Grace', familyName: 'Hopper', birthdate: '1906-12-09', hasPassword: true,
      status: 'active', emailVerified: false, address: { locality: 'Arlington', country: 'US', street: null },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|argon/);
    const entries = await eventsOf(res.body.data.id);
    expect(entries.map((e) => e.eventType)).toEqual(['user.created']);
    expect(entries[0]!.actorId).toBe(userAdmin.userId);

    const duplicate = await userAdmin.post(usersOf(acme.orgId), { email: 'grace@EXAMPLE.com' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toBe('email_taken');
    // Uniqueness is per organization.
    expect((await userAdmin.post(usersOf(globex.orgId), { email: 'grace@example.com' })).status).toBe(201);
  });

  it('validates input, answers 404 for an unknown organization, 401 without a token and 403 without user:create', async () => {
    for (const body of [{ email: 'not-an-email' }, { email: 'a@b.co', password: 'short' }, { email: 'a@b.co', address: { country: 'USA' } }, {}]) {
      const res = await userAdmin.post(usersOf(acme.orgId), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
    expect((await userAdmin.post(usersOf('00000000-0000-4000-8000-000000000000'), { email: 'x@example.com' })).status).toBe(404);
    expect((await s.anonymous().post(usersOf(acme.orgId), { email: 'x@example.com' })).status).toBe(401);
    const denied = await auditor.post(usersOf(acme.orgId), { email: 'x@example.com' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:user:create'] } });
  });

  it('lists users of one organization with search, status filter and allow-listed sorting', async () => {
    const org = (await s.porta.services.organizations.create(systemActor(), { name: 'Listing Org', slug: 'listing-users' })).id;
    await createUser(org, { email: 'zed@example.com', givenName: 'Zed' });
    await createUser(org, { email: 'amy@example.com', givenName: 'Amy', familyName: 'Searchable' });
    const inactive = await createUser(org, { email: 'bob@example.com', givenName: 'Bob' });
    expect((await userAdmin.post(`${usersOf(org)}/${inactive.id}/deactivate`)).status).toBe(204);

    const sorted = await auditor.get(`${usersOf(org)}?sortBy=given_name&sortOrder=asc&pageSize=2`);
    expect(sorted.status).toBe(200);
    expect(sorted.body).toMatchObject({ total: 3, page: 1, pageSize: 2, totalPages: 2 });
    expect(sorted.body.data.map((u: UserBody) => u.givenName)).toEqual(['Amy', 'Bob']);
    const searched = await auditor.get(`${usersOf(org)}?search=searchABLE`);
    expect(searched.body.data.map((u: UserBody) => u.email)).toEqual(['amy@example.com']);
    const filtered = await auditor.get(`${usersOf(org)}?status=inactive`);
    expect(filtered.body.data.map((u: UserBody) => u.id)).toEqual([inactive.id]);
    expect((await auditor.get(`${usersOf(org)}?sortBy=password_hash`)).status).toBe(400);
    expect((await auditor.get(`${usersOf(org)}?status=gone`)).status).toBe(400);
  });

  it('lists users by cursor forwards and backwards, with equal and missing given names, filters and tenant scope', async () => {
    const org = (await s.porta.services.organizations.create(systemActor(), { name: 'Cursor Users', slug: 'cursor-users' })).id;
    const names = ['Amy', 'Amy', undefined, 'Bob', undefined, 'Amy', 'Cy', undefined];
    const made: UserBody[] = [];
    for (const [i, givenName] of names.entries()) made.push(await createUser(org, { email: `cursor-${i}@example.com`, ...(givenName ? { givenName } : {}) }));
    for (const user of made.slice(0, 3)) expect((await userAdmin.post(`${usersOf(org)}/${user.id}/deactivate`)).status).toBe(204);

    for (const [sortBy, sortOrder] of [['given_name', 'asc'], ['given_name', 'desc'], ['email', 'asc'], ['last_login_at', 'desc'], ['created_at', 'desc']] as const) {
      const path = `${usersOf(org)}?sortBy=${sortBy}&sortOrder=${sortOrder}`;
      const expected = (await auditor.get(path)).body.data.map((u: UserBody) => u.id);
      expect(expected).toHaveLength(8);
      const walk = await walkCursorList(auditor, `${path}&limit=3`);
      expect(walk, `${sortBy} ${sortOrder}`).toEqual({ forward: expected, backward: expected, pages: 3 });
    }
    const inactive = await walkCursorList(auditor, `${usersOf(org)}?status=inactive&sortBy=given_name&sortOrder=asc&limit=2`);
    expect(new Set(inactive.forward)).toEqual(new Set(made.slice(0, 3).map((u) => u.id)));
    const searched = await walkCursorList(auditor, `${usersOf(org)}?search=amy&limit=1`);
    expect(searched.forward).toHaveLength(3);

    const first = await auditor.get(`${usersOf(org)}?limit=4`);
    const leaked = await auditor.get(`${usersOf(globex.orgId)}?cursor=${encodeURIComponent(first.body.nextCursor)}&limit=100`);
    expect(leaked.status).toBe(200);
    expect(leaked.body.data.some((u: UserBody) => u.organizationId !== globex.orgId)).toBe(false);
    expect((await auditor.get(`${usersOf('00000000-0000-4000-8000-000000000000')}?limit=5`)).status).toBe(404);
    await expectCursorRefusals(auditor, usersOf(org), 'email');
  });

  it('reads one user with an ETag and hides users of other organizations (404)', async () => {
    const user = await createUser();
    const res = await auditor.get(`${usersOf(acme.orgId)}/${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(user.id);
    expect(res.headers.get('etag')).toMatch(/^W\/"/);
    expect((await auditor.get(`${usersOf(globex.orgId)}/${user.id}`)).status).toBe(404);
    expect((await auditor.get(`${usersOf(acme.orgId)}/not-a-uuid`)).status).toBe(404);
    const foreign = `${usersOf(globex.orgId)}/${user.id}`;
    for (const [method, path, body] of [
      ['PUT', '', { givenName: 'X' }],
      ['POST', '/deactivate', undefined],
      ['POST', '/lock', undefined],
      ['POST', '/password', { password: 'Long-enough-1' }],
      ['DELETE', '/password', undefined],
      ['POST', '/verify-email', undefined],
      ['POST', '/purge', { confirmPurge: true }],
    ] as const) {
      const res = await s.superAdmin.request(method, `${foreign}${path}`, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    expect((await auditor.get(`${usersOf(acme.orgId)}/${user.id}`)).body.data.status).toBe('active');
    expect((await auditor.get(`${usersOf(globex.orgId)}/${user.id}/export`)).status).toBe(404);
  });

  it('updates the profile (null clears), honours If-Match with 412 and keeps the e-mail immutable', async () => {
    const user = await createUser(acme.orgId, { givenName: 'Old', familyName: 'Name' });
    const path = `${usersOf(acme.orgId)}/${user.id}`;
    const read = await userAdmin.get(path);
    const etag = read.headers.get('etag')!;

    const updated = await userAdmin.put(path, { givenName: 'New', familyName: null, email: user.email }, { 'If-Match': etag });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ givenName: 'New', familyName: null, email: user.email });
    expect(updated.headers.get('etag')).not.toBe(etag);

    const stale = await userAdmin.put(path, { givenName: 'Stale' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('precondition_failed');
    expect(stale.body.details.currentETag).toBe(updated.headers.get('etag'));
    expect(stale.body.details.currentEntity.givenName).toBe('New');

    const email = await userAdmin.put(path, { email: 'other@example.com' });
    expect(email.status).toBe(400);
    expect(email.body.details[0].path).toBe('email');
    expect((await userAdmin.put(path, { status: 'locked' })).status).toBe(400);
    expect((await userAdmin.put(path, { websiteUrl: 'javascript:alert(1)' })).status).toBe(400);
    expect((await auditor.put(path, { givenName: 'Nope' })).status).toBe(403);
    expect((await eventsOf(user.id)).map((e) => e.eventType)).toContain('user.updated');
  });

  it('moves through deactivate/reactivate, suspend/unsuspend, lock/unlock with 204, 409 for illegal moves and audit entries', async () => {
    const user = await createUser();
    const path = `${usersOf(acme.orgId)}/${user.id}`;
    const status = async () => (await userAdmin.get(path)).body.data as UserBody;

    expect((await userAdmin.post(`${path}/deactivate`)).status).toBe(204);
    expect((await status()).status).toBe('inactive');
    const again = await userAdmin.post(`${path}/deactivate`);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('invalid_transition');
    expect((await userAdmin.post(`${path}/suspend`)).status).toBe(409);
    expect((await userAdmin.post(`${path}/reactivate`)).status).toBe(204);

    expect((await userAdmin.post(`${path}/suspend`, { reason: 'x'.repeat(501) })).status).toBe(400);
    expect((await userAdmin.post(`${path}/suspend`, { reason: 'Chargeback' })).status).toBe(204);
    expect((await status()).status).toBe('suspended');
    expect((await userAdmin.post(`${path}/unsuspend`)).status).toBe(204);

    expect((await userAdmin.post(`${path}/lock`)).status).toBe(204);
    expect(await status()).toMatchObject({ status: 'locked', lockedReason: 'admin_lock' });
    expect((await userAdmin.post(`${path}/unlock`)).status).toBe(204);
    expect(await status()).toMatchObject({ status: 'active', lockedReason: null });
    expect((await userAdmin.post(`${path}/unlock`)).status).toBe(409);
    expect((await auditor.post(`${path}/lock`)).status).toBe(403);

    const entries = await eventsOf(user.id);
    expect(entries.map((e) => e.eventType).reverse()).toEqual([
      'user.created', 'user.deactivated', 'user.reactivated', 'user.suspended', 'user.unsuspended', 'user.locked', 'user.unlocked',
    ]);
    expect(entries.find((e) => e.eventType === 'user.suspended')!.metadata).toMatchObject({ reason: 'Chargeback', previousStatus: 'active' });
    expect(entries.find((e) => e.eventType === 'user.locked')!.metadata).toMatchObject({ trigger: 'admin', reason: 'admin_lock' });
  });

  it('sets and clears the password, verifies the e-mail and serves the history page', async () => {
    const user = await createUser(acme.orgId, { password: undefined });
    const path = `${usersOf(acme.orgId)}/${user.id}`;
    expect(user.hasPassword).toBe(false);
    expect((await userAdmin.post(`${path}/password`, { password: 'short' })).status).toBe(400);
    expect((await userAdmin.post(`${path}/password`, { password: 'A-much-better-one' })).status).toBe(204);
    expect((await userAdmin.get(path)).body.data.hasPassword).toBe(true);
    const authenticated = await s.porta.services.users.authenticate(acme.orgId, user.email, 'A-much-better-one');
    expect(authenticated.ok).toBe(true);
    expect((await userAdmin.delete(`${path}/password`)).status).toBe(204);
    expect((await userAdmin.get(path)).body.data.hasPassword).toBe(false);
    expect((await userAdmin.post(`${path}/verify-email`)).status).toBe(204);
    expect((await userAdmin.get(path)).body.data.emailVerified).toBe(true);

    const history = await auditor.get(`${path}/history?limit=2`);
    expect(history.status).toBe(200);
    expect(history.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['user.email_verified', 'user.password_cleared']);
    expect(history.body.hasMore).toBe(true);
    const next = await auditor.get(`${path}/history?limit=2&after=${history.body.nextCursor}`);
    expect(next.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['user.password_set', 'user.created']);
    expect((await auditor.get(`${path}/history?event_type=user.password`)).body.data).toHaveLength(2);
  });

  it('offers the same operations under /users/:userId, with activate as reactivate', async () => {
    const user = await createUser();
    const path = `/users/${user.id}`;
    const read = await auditor.get(path);
    expect(read.status).toBe(200);
    expect(read.body.data.organizationId).toBe(acme.orgId);
    expect((await userAdmin.put(path, { nickname: 'alias' }, { 'If-Match': read.headers.get('etag')! })).body.data.nickname).toBe('alias');
    expect((await userAdmin.post(`${path}/deactivate`)).status).toBe(204);
    expect((await userAdmin.post(`${path}/activate`)).status).toBe(204);
    expect((await userAdmin.post(`${path}/lock`, { reason: 'fraud review' })).status).toBe(204);
    expect((await auditor.get(path)).body.data).toMatchObject({ status: 'locked', lockedReason: 'fraud review' });
    expect((await userAdmin.post(`${path}/unlock`)).status).toBe(204);
    expect((await userAdmin.post(`${path}/password`, { password: 'Alias-password-1' })).status).toBe(204);
    expect((await userAdmin.post(`${path}/verify-email`)).status).toBe(204);
    expect((await auditor.get(`${path}/history`)).body.data.length).toBeGreaterThanOrEqual(7);
    expect((await auditor.get('/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('protects the super-admin user (§3.3): never deactivated, suspended or locked; profile and password only by itself or a super admin', async () => {
    const orgId = (await s.porta.services.organizations.getSuperAdmin()).id;
    const path = `${usersOf(orgId)}/${s.superAdminUserId}`;
    for (const action of ['deactivate', 'suspend', 'lock']) {
      for (const client of [userAdmin, s.superAdmin]) {
        const res = await client.post(`${path}/${action}`);
        expect(res.status, action).toBe(403);
        expect(res.body.error).toBe('protected_resource');
      }
    }
    expect((await userAdmin.put(path, { nickname: 'pwned' })).body.error).toBe('protected_resource');
    expect((await userAdmin.post(`${path}/password`, { password: 'Takeover-1234' })).status).toBe(403);
    expect((await userAdmin.delete(`/users/${s.superAdminUserId}/password`)).status).toBe(403);
    expect((await s.superAdmin.put(path, { nickname: 'root' })).status).toBe(200);
    expect((await auditor.get(path)).body.data.status).toBe('active');
  });

  it('exports a user’s data (50-operations §11) and records user.data_exported in the gdpr category', async () => {
    const user = await createUser(acme.orgId, { givenName: 'Export', phoneNumber: '+1 555 0100' });
    await seedRbac(acme, user.id);
    await mintAccessToken(s.porta, acme.orgId, acme.spa.clientId, user.id);
    await userAdmin.post(`${usersOf(acme.orgId)}/${user.id}/verify-email`);

    const res = await auditor.get(`${usersOf(acme.orgId)}/${user.id}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('attachment');
    expect(res.body).toMatchObject({
      user: { id: user.id, email: user.email, givenName: 'Export', phoneNumber: '+1 555 0100', status: 'active', emailVerified: true },
      organization: { id: acme.orgId, slug: acme.slug },
      roles: [{ roleSlug: 'gdpr-editor', roleName: 'GDPR Editor', applicationId: acme.appId, applicationSlug: 'app-acme-users' }],
      customClaims: [{ applicationId: acme.appId, claimName: 'department', value: 'research' }],
      twoFactor: { enabled: false, method: null, totpConfigured: false, recoveryCodesRemaining: 0 },
      sessions: [],
      activeGrants: [{ clientId: acme.spa.clientId, clientName: 'SPA acme-users', scope: 'openid profile email' }],
    });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.auditLog.map((e: { eventType: string }) => e.eventType)).toEqual(['user.email_verified', 'user.created']);
    expect(Object.keys(res.body.auditLog[0]).sort()).toEqual(['createdAt', 'description', 'eventCategory', 'eventType', 'id', 'ipAddress']);
    const exported = (await eventsOf(user.id)).find((e) => e.eventType === 'user.data_exported');
    expect(exported?.actorId).toBe(auditor.userId);
    const [entry] = (await s.porta.services.audit.list({ event: 'user.data_exported', targetId: user.id })).data;
    expect(entry?.eventCategory).toBe('gdpr');
  });

  it('purges a user only with confirmation, in one go: tokens, claims and roles deleted, user and audit anonymised', async () => {
    const user = await createUser(acme.orgId, { givenName: 'Forget', familyName: 'Me' });
    const path = `${usersOf(acme.orgId)}/${user.id}`;
    await seedRbac(acme, user.id);
    await mintAccessToken(s.porta, acme.orgId, acme.spa.clientId, user.id);
    const tokens = () => s.porta.db.one<{ n: number }>('SELECT count(*)::int AS n FROM oidc_payloads WHERE account_id = $1', [user.id]);
    expect((await tokens()).n).toBe(2);
    // Suspending already ends every grant and token (issue 9 item 13): the purge finds none left.
    await userAdmin.post(`${path}/suspend`, { reason: 'asked to be forgotten' });
    expect((await tokens()).n).toBe(0);

    const unconfirmed = await userAdmin.post(`${path}/purge`);
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error).toBe('confirmation_required');
    expect((await userAdmin.post(`${path}/purge`, { confirmPurge: false })).status).toBe(400);
    expect((await auditor.post(`${path}/purge`, { confirmPurge: true })).status).toBe(403);

    const res = await userAdmin.post(`${path}/purge`, undefined, { 'X-Confirm-Purge': 'true' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      userId: user.id,
      anonymizedEmail: `purged-${user.id}@purged.invalid`,
      deletedRoles: 1,
      deletedClaims: 1,
      deletedTwoFactor: 0,
      deletedTokens: 0,
      revokedSessions: 0,
      anonymizedAuditEntries: 2,
    });
    const after = (await userAdmin.get(path)).body.data as UserBody;
    expect(after).toMatchObject({ email: `purged-${user.id}@purged.invalid`, givenName: null, familyName: null, hasPassword: false, status: 'inactive' });
    const remaining = await s.porta.db.one<{ n: number }>('SELECT count(*)::int AS n FROM oidc_payloads WHERE account_id = $1', [user.id]);
    expect(remaining.n).toBe(0);

    const entries = await eventsOf(user.id);
    expect(entries[0]).toMatchObject({ eventType: 'user.purged', actorId: userAdmin.userId });
    expect(entries[0]!.metadata).toMatchObject({ deletedRoles: 1, deletedTokens: 0 });
    expect(JSON.stringify(entries[0]!.metadata)).not.toContain('@');
    for (const older of entries.slice(1)) expect(older.metadata).toEqual({ purged: true });
    const [raw] = (await s.porta.services.audit.list({ event: 'user.suspended', targetId: user.id })).data;
    expect(raw).toMatchObject({ ipAddress: null, userAgent: null });
    const [purged] = (await s.porta.services.audit.list({ event: 'user.purged', targetId: user.id })).data;
    expect(purged?.eventCategory).toBe('gdpr');
  });

  it('refuses to purge the super-admin user and holders of porta-super-admin (403 protected_resource)', async () => {
    const orgId = (await s.porta.services.organizations.getSuperAdmin()).id;
    const self = await s.superAdmin.post(`${usersOf(orgId)}/${s.superAdminUserId}/purge`, { confirmPurge: true });
    expect(self.status).toBe(403);
    expect(self.body.error).toBe('protected_resource');
    const holder = await s.clientWithRoles(['porta-super-admin']);
    const res = await s.superAdmin.post(`${usersOf(orgId)}/${holder.userId}/purge`, { confirmPurge: true });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('protected_resource');
    expect((await s.superAdmin.get(`${usersOf(orgId)}/${holder.userId}`)).body.data.status).toBe('active');
  });

  /** One role and one claim value of the tenant's application for the user (set-up, not the API under test). */
  async function seedRbac(tenant: Tenant, userId: string): Promise<void> {
    const db = s.porta.db;
    const role = await db.one<{ id: string }>(
      `INSERT INTO roles (application_id, name, slug) VALUES ($1, 'GDPR Editor', 'gdpr-editor')
       ON CONFLICT (application_id, slug) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [tenant.appId],
    );
    const claim = await db.one<{ id: string }>(
      `INSERT INTO custom_claim_definitions (application_id, claim_name, claim_type) VALUES ($1, 'department', 'string')
       ON CONFLICT (application_id, claim_name) DO UPDATE SET claim_type = EXCLUDED.claim_type RETURNING id`,
      [tenant.appId],
    );
    await db.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)', [userId, role.id]);
    await db.query(`INSERT INTO custom_claim_values (user_id, claim_id, value) VALUES ($1, $2, '"research"'::jsonb)`, [userId, claim.id]);
  }
});
