import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import { mintAccessToken, startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { expectCursorRefusals, walkCursorList } from '../support/cursor-lists.js';

const REDIRECT = 'https://app.example.com/callback';
const WARNING = 'Store the secret securely. It will not be shown again.';

describe('admin API: clients and secrets (spec 20 §5.5)', () => {
  let s: AdminServer;
  let appAdmin: AdminClient;
  let auditor: AdminClient;
  let org: { id: string; slug: string };
  let otherOrg: { id: string; slug: string };
  let appId: string;

  beforeAll(async () => {
    s = await startAdminServer();
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    const { organizations, applications } = s.porta.services;
    org = await organizations.create(systemActor(), { name: 'Client Org', slug: 'client-org', defaultLoginMethods: ['password'] });
    otherOrg = await organizations.create(systemActor(), { name: 'Other Client Org', slug: 'other-client-org' });
    appId = (await applications.create(systemActor(), { name: 'Client App', slug: 'client-app' })).id;
  });
  afterAll(() => s?.stop());

  const base = () => ({ organizationId: org.id, applicationId: appId, clientName: 'Web', clientType: 'confidential', redirectUris: [REDIRECT] });
  const create = async (body: Record<string, unknown> = {}) => {
    const res = await appAdmin.post('/clients', { ...base(), ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data as { client: { id: string; clientId: string; organizationId: string }; secret: { id: string; plaintext: string } | null };
  };
  const tokenRequest = (clientId: string, secret: string) =>
    fetch(`${s.url}/${org.slug}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });

  it('creates a confidential client with defaults and returns its secret once, with a warning', async () => {
    const res = await appAdmin.post('/clients', { ...base(), clientName: 'Portal', secretLabel: 'primary' });
    expect(res.status).toBe(201);
    expect(res.body.warning).toBe(WARNING);
    const { client, secret } = res.body.data;
    expect(client).toMatchObject({
      organizationId: org.id,
      applicationId: appId,
      clientName: 'Portal',
      clientType: 'confidential',
      applicationType: 'web',
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      responseTypes: ['code'],
      scope: 'openid profile email',
      tokenEndpointAuthMethod: 'client_secret_basic',
      requirePkce: true,
      requireConsent: false,
      loginMethods: null,
      effectiveLoginMethods: ['password'],
      status: 'active',
    });
    expect(client.clientId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret).toMatchObject({ clientId: client.id, label: 'primary', status: 'active', expiresAt: null, lastUsedAt: null });
    expect(secret.plaintext).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(JSON.stringify(res.body)).not.toMatch(/hash|sha256/i);
    expect((await tokenRequest(client.clientId, secret.plaintext)).status).toBe(200);

    const history = await auditor.get(`/clients/${client.id}/history`);
    expect(history.body.data[0]).toMatchObject({ eventType: 'client.created', actorId: appAdmin.userId });
    const [entry] = (await s.porta.services.audit.list({ targetId: client.id })).data;
    expect(entry).toMatchObject({ targetType: 'client', organizationId: org.id });
  });

  it('creates a public client without a secret', async () => {
    const res = await appAdmin.post('/clients', { ...base(), clientType: 'public', applicationType: 'spa', allowedOrigins: ['https://app.example.com'], loginMethods: ['magic_link'] });
    expect(res.status).toBe(201);
    expect(res.body.data.secret).toBeNull();
    expect(res.body.data.client).toMatchObject({ tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code', 'refresh_token'], effectiveLoginMethods: ['magic_link'] });
  });

  it('refuses invalid input with 400 validation_failed', async () => {
    const cases: Record<string, unknown>[] = [
      { clientType: 'public', applicationType: 'spa', requirePkce: false },
      { redirectUris: [] },
      { redirectUris: ['https://app.example.com/cb#frag'] },
      { redirectUris: ['http://app.example.com/cb'] },
      { clientType: 'public', grantTypes: ['authorization_code', 'client_credentials'] },
      { clientName: '' },
      { clientId: 'chosen-by-caller' },
      { organizationId: 'client-org' },
      { organizationId: '00000000-0000-4000-8000-000000000000' },
      { applicationId: '00000000-0000-4000-8000-000000000000' },
      { clientType: 'public', secretLabel: 'nope' },
      { loginMethods: [] },
    ];
    for (const body of cases) {
      const res = await appAdmin.post('/clients', { ...base(), ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
  });

  it('accepts no new clients for a suspended organization or an inactive or archived application', async () => {
    const { organizations, applications } = s.porta.services;
    const suspended = await organizations.create(systemActor(), { name: 'Suspended Org', slug: 'suspended-client-org' });
    await organizations.suspend(systemActor(), suspended.id);
    const res = await appAdmin.post('/clients', { ...base(), organizationId: suspended.id });
    expect(res.status).toBe(400);
    expect(res.body.details[0]).toMatchObject({ path: 'organizationId', reason: 'organization_inactive' });

    const inactive = await applications.create(systemActor(), { name: 'Inactive App', slug: 'inactive-client-app' });
    await applications.setStatus(systemActor(), inactive.id, 'inactive');
    const archived = await applications.create(systemActor(), { name: 'Archived App', slug: 'archived-client-app' });
    await applications.setStatus(systemActor(), archived.id, 'archived');
    for (const [id, reason] of [[inactive.id, 'application_inactive'], [archived.id, 'application_not_found']]) {
      const refused = await appAdmin.post('/clients', { ...base(), applicationId: id });
      expect(refused.status).toBe(400);
      expect(refused.body.details[0]).toMatchObject({ path: 'applicationId', reason });
    }
  });

  it('lists with organization, application, status and search filters', async () => {
    await create({ clientName: 'Searchable One', organizationId: otherOrg.id });
    const two = await create({ clientName: 'Searchable Two', organizationId: otherOrg.id });
    await appAdmin.post(`/clients/${two.client.id}/deactivate`);
    const all = await auditor.get(`/clients?organizationId=${otherOrg.id}&sortBy=client_name&sortOrder=asc`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 2, page: 1, pageSize: 20, totalPages: 1 });
    expect(all.body.data.map((c: { clientName: string }) => c.clientName)).toEqual(['Searchable One', 'Searchable Two']);
    expect(all.body.data[0].effectiveLoginMethods).toEqual(['password', 'magic_link']);
    const active = await auditor.get(`/clients?organizationId=${otherOrg.id}&status=active&applicationId=${appId}`);
    expect(active.body.data.map((c: { clientName: string }) => c.clientName)).toEqual(['Searchable One']);
    const byClientId = await auditor.get(`/clients?search=${encodeURIComponent(two.client.clientId)}`);
    expect(byClientId.body.data.map((c: { id: string }) => c.id)).toEqual([two.client.id]);
    expect((await auditor.get('/clients?organizationId=other-client-org')).status).toBe(400);
    expect((await auditor.get('/clients?sortBy=status')).status).toBe(400);
  });

  it('lists by cursor forwards and backwards without gaps or duplicates, equal names included, honouring filters', async () => {
    const { organizations, clients } = s.porta.services;
    const cursorOrg = await organizations.create(systemActor(), { name: 'Cursor Client Org', slug: 'cursor-client-org' });
    const made: Array<{ id: string }> = [];
    for (let n = 1; n <= 7; n += 1) {
      const draft = { applicationId: appId, clientName: n % 2 === 0 ? 'Twin' : `Client ${n}`, clientType: 'public' as const, applicationType: 'spa' as const, redirectUris: [REDIRECT] };
      made.push((await clients.create(systemActor(), cursorOrg.id, draft)).client);
    }
    for (const client of made.slice(0, 2)) await clients.setStatus(systemActor(), cursorOrg.id, client.id, 'inactive');

    for (const [sortBy, sortOrder] of [['client_name', 'asc'], ['client_name', 'desc'], ['created_at', 'desc']] as const) {
      const path = `/clients?organizationId=${cursorOrg.id}&sortBy=${sortBy}&sortOrder=${sortOrder}`;
      const expected = (await auditor.get(path)).body.data.map((c: { id: string }) => c.id);
      expect(expected).toHaveLength(7);
      const walk = await walkCursorList(auditor, `${path}&limit=3`);
      expect(walk).toEqual({ forward: expected, backward: expected, pages: 3 });
    }
    const inactive = await walkCursorList(auditor, `/clients?organizationId=${cursorOrg.id}&status=inactive&limit=1`);
    expect(new Set(inactive.forward)).toEqual(new Set(made.slice(0, 2).map((c) => c.id)));
    const first = await auditor.get(`/clients?organizationId=${cursorOrg.id}&limit=2`);
    expect(first.body.data[0].effectiveLoginMethods).toEqual(['password', 'magic_link']);
    const elsewhere = await auditor.get(`/clients?organizationId=${otherOrg.id}&limit=100`);
    expect(elsewhere.body.data.some((c: { id: string }) => made.some((m) => m.id === c.id))).toBe(false);
  });

  it('refuses malformed, tampered and mismatched cursors with 400 invalid_cursor', async () => {
    await expectCursorRefusals(auditor, '/clients', 'client_name');
  });

  it('reads by internal id or client_id with an ETag and updates with If-Match', async () => {
    const { client } = await create({ clientName: 'Editable' });
    const byId = await auditor.get(`/clients/${client.id}`);
    expect(byId.status).toBe(200);
    const etag = byId.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const byClientId = await auditor.get(`/clients/${client.clientId}`);
    expect(byClientId.body.data.id).toBe(client.id);

    const res = await appAdmin.put(`/clients/${client.clientId}`, { clientName: 'Edited', loginMethods: ['magic_link'], requireConsent: true }, { 'If-Match': etag });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ clientName: 'Edited', loginMethods: ['magic_link'], effectiveLoginMethods: ['magic_link'], requireConsent: true });
    const stale = await appAdmin.put(`/clients/${client.id}`, { clientName: 'Stale' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.details.currentEntity.clientName).toBe('Edited');
    const inherit = await appAdmin.put(`/clients/${client.id}`, { loginMethods: null });
    expect(inherit.body.data.effectiveLoginMethods).toEqual(['password']);
    for (const body of [{ clientType: 'public' }, { organizationId: otherOrg.id }, { requirePkce: 'no' }, { redirectUris: ['not a uri'] }]) {
      expect((await appAdmin.put(`/clients/${client.id}`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await auditor.get('/clients/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await auditor.get('/clients/no-such-client')).body.error).toBe('not_found');
    const history = await auditor.get(`/clients/${client.id}/history?event_type=client.updated`);
    expect(history.body.data).toHaveLength(2);
  });

  it('deactivates and activates; a deactivated client cannot authenticate', async () => {
    const { client, secret } = await create({ clientName: 'Toggle' });
    expect((await appAdmin.post(`/clients/${client.id}/activate`)).body.error).toBe('invalid_transition');
    expect((await appAdmin.post(`/clients/${client.id}/deactivate`)).status).toBe(204);
    expect((await tokenRequest(client.clientId, secret!.plaintext)).status).toBe(401);
    expect((await appAdmin.post(`/clients/${client.id}/activate`)).status).toBe(204);
    expect((await tokenRequest(client.clientId, secret!.plaintext)).status).toBe(200);
    const history = await auditor.get(`/clients/${client.id}/history`);
    expect(history.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['client.activated', 'client.deactivated', 'client.created']);
  });

  it('revokes permanently, deleting grants and tokens; revoking again is 409', async () => {
    const { client, secret } = await create({ clientName: 'Doomed' });
    const user = await s.porta.services.users.create(systemActor(), org.id, { email: 'doomed@example.com', password: 'Doomed-password-123', emailVerified: true });
    const accessToken = await mintAccessToken(s.porta, org.id, client.clientId, user.id);
    const rowsOf = async () =>
      (await s.porta.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM oidc_payloads WHERE payload->>'clientId' = $1`, [client.clientId])).n;
    expect(await rowsOf()).toBe(2);
    const userinfo = () => fetch(`${s.url}/${org.slug}/auth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await userinfo()).status).toBe(200);

    expect((await appAdmin.post(`/clients/${client.id}/revoke`)).status).toBe(204);
    expect(await rowsOf()).toBe(0);
    expect((await userinfo()).status).toBe(401);
    const refused = await tokenRequest(client.clientId, secret!.plaintext);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');

    const again = await appAdmin.post(`/clients/${client.id}/revoke`);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('invalid_transition');
    expect((await appAdmin.post(`/clients/${client.id}/activate`)).status).toBe(409);
    expect((await appAdmin.put(`/clients/${client.id}`, { clientName: 'Back' })).status).toBe(409);
    expect((await auditor.get(`/clients/${client.id}`)).body.data.status).toBe('revoked');
    const history = await auditor.get(`/clients/${client.id}/history?event_type=client.revoked`);
    expect(history.body.data[0].metadata).toMatchObject({ previousStatus: 'active', tokensDeleted: 2 });
  });

  it('generates, lists and revokes secrets; plaintext only once and never a hash', async () => {
    const { client, secret: first } = await create({ clientName: 'Rotating' });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const made = await appAdmin.post(`/clients/${client.id}/secrets`, { label: 'rotation', expiresAt });
    expect(made.status).toBe(201);
    expect(made.body.warning).toBe(WARNING);
    expect(made.body.data).toMatchObject({ clientId: client.id, label: 'rotation', status: 'active', expiresAt });
    expect(made.body.data.plaintext).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect((await tokenRequest(client.clientId, made.body.data.plaintext)).status).toBe(200);

    const list = await auditor.get(`/clients/${client.clientId}/secrets`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([made.body.data.id, first!.id]);
    expect(JSON.stringify(list.body)).not.toMatch(/plaintext|hash|sha256/i);

    expect((await appAdmin.post(`/clients/${client.id}/secrets/${first!.id}/revoke`)).status).toBe(204);
    expect((await tokenRequest(client.clientId, first!.plaintext)).status).toBe(401);
    const after = await auditor.get(`/clients/${client.id}/secrets`);
    expect(after.body.data.find((x: { id: string }) => x.id === first!.id).status).toBe('revoked');

    const other = await create({ clientName: 'Other' });
    expect((await appAdmin.post(`/clients/${other.client.id}/secrets/${made.body.data.id}/revoke`)).status).toBe(404);
    expect((await appAdmin.post(`/clients/${client.id}/secrets/not-a-uuid/revoke`)).status).toBe(404);
    expect((await appAdmin.post(`/clients/${client.id}/secrets`, { expiresAt: '2001-01-01T00:00:00Z' })).status).toBe(400);
    expect((await appAdmin.post(`/clients/${client.id}/secrets`, { value: 'x'.repeat(40) })).status).toBe(400);

    const entries = await auditor.get(`/clients/${client.id}/history?event_type=client.secret`);
    expect(entries.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['client.secret.revoked', 'client.secret.generated']);
  });

  it('refuses secrets for public clients', async () => {
    const { client } = await create({ clientType: 'public', applicationType: 'native', redirectUris: ['com.example.app:/cb'] });
    const res = await appAdmin.post(`/clients/${client.id}/secrets`, {});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('never revokes or deactivates the admin CLI client (403 protected_resource)', async () => {
    for (const action of ['revoke', 'deactivate']) {
      const res = await s.superAdmin.post(`/clients/porta-admin-cli/${action}`);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('protected_resource');
    }
    expect((await s.superAdmin.get('/clients/porta-admin-cli')).body.data.status).toBe('active');
  });

  it('answers 401 without a token and 403 for roles lacking the permission', async () => {
    expect((await s.anonymous().get('/clients')).status).toBe(401);
    const { client } = await create({ clientName: 'Guarded' });
    const denied = await auditor.post('/clients', base());
    expect(denied.status).toBe(403);
    expect(denied.body.details).toEqual({ missing: ['admin:client:create'] });
    expect((await auditor.post(`/clients/${client.id}/revoke`)).status).toBe(403);
    expect((await auditor.post(`/clients/${client.id}/secrets`, {})).status).toBe(403);
    const userAdmin = await s.clientWithRoles(['porta-user-admin']);
    expect((await userAdmin.get(`/clients/${client.id}/secrets`)).status).toBe(403);
  });
});
