/* eslint-disable @typescript-eslint/no-explicit-any -- registration and admin responses are JSON asserted field by field */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/actors/index.js';
import type { Clock } from '../../src/platform/clock.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { describeWithServices } from '../support/services.js';
import { runPorta } from '../support/cli.js';

const JSON_TYPE = 'application/json';
const NATIVE_REDIRECT = 'http://127.0.0.1:33418/callback';

/** Real time, moved forward by `skew`: expiry is tested by moving Porta's clock, never by sleeping. */
let skew = 0;
const clock: Clock = { now: () => Date.now() + skew };

interface Org {
  id: string;
  slug: string;
}

/**
 * Spec 70 §5: RFC 7591 registration and RFC 7592 management per organization, off by default, with
 * initial access tokens made by admins; registered clients are ordinary clients of the token's application.
 */
function suite(backends: 'embedded' | 'services') {
  let s: AdminServer;
  let appAdmin: AdminClient;
  let auditor: AdminClient;
  let orgA: Org;
  let orgB: Org;
  let orgOff: Org;
  let appId: string;

  const registerUrl = (org: Org) => `${s.url}/${org.slug}/auth/register`;
  const register = (org: Org, body: unknown, token?: string) =>
    fetch(registerUrl(org), {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const manage = (uri: string, method: 'GET' | 'PUT' | 'DELETE', token: string, body?: unknown) =>
    fetch(uri, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const discovery = async (org: Org) => (await (await fetch(`${s.url}/${org.slug}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const clientCount = async (org: Org) => (await s.superAdmin.get(`/clients?organizationId=${org.id}&pageSize=100`)).body.total as number;

  async function newToken(org: Org, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
    const res = await appAdmin.post(`/organizations/${org.id}/registration-tokens`, { applicationId: appId, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data;
  }

  const publicNative = { client_name: 'MCP desktop', application_type: 'native', redirect_uris: [NATIVE_REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] };
  const machine = { client_name: 'Billing worker', grant_types: ['client_credentials'], response_types: [], scope: 'openid' };

  beforeAll(async () => {
    s = await startAdminServer({ clock, backends });
    appAdmin = await s.clientWithRoles(['porta-app-admin']);
    auditor = await s.clientWithRoles(['porta-auditor']);
    const { organizations, applications, systemConfig } = s.porta.services;
    await systemConfig.set(systemActor(), 'rate_limit_admin_write_max', '100000');
    await systemConfig.set(systemActor(), 'rate_limit_registration_max', '100000');
    orgA = await organizations.create(systemActor(), { name: 'DCR A', slug: 'dcr-a' });
    orgB = await organizations.create(systemActor(), { name: 'DCR B', slug: 'dcr-b', dynamicRegistration: true });
    orgOff = await organizations.create(systemActor(), { name: 'DCR off', slug: 'dcr-off' });
    appId = (await applications.create(systemActor(), { name: 'DCR app', slug: 'dcr-app' })).id;
    // Turned on the way an admin does it.
    const on = await s.superAdmin.put(`/organizations/${orgA.id}`, { dynamicRegistration: true });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.data.dynamicRegistration).toBe(true);
  });
  afterAll(() => s?.stop());

  describe('the organization setting', () => {
    it('is off by default: no registration_endpoint in discovery, and the endpoint is not there', async () => {
      expect((await s.superAdmin.get(`/organizations/${orgOff.id}`)).body.data.dynamicRegistration).toBe(false);
      expect(await discovery(orgOff)).not.toHaveProperty('registration_endpoint');
      const token = await newToken(orgOff);
      const res = await register(orgOff, publicNative, token.token);
      expect(res.status).toBe(404);
      expect(await clientCount(orgOff)).toBe(0);
    });

    it('when on, discovery advertises the registration endpoint', async () => {
      expect((await discovery(orgA)).registration_endpoint).toBe(`${s.url}/${orgA.slug}/auth/register`);
    });

    it('takes effect at once when switched off and on again', async () => {
      const token = await newToken(orgOff);
      expect((await s.superAdmin.put(`/organizations/${orgOff.id}`, { dynamicRegistration: true })).status).toBe(200);
      expect((await discovery(orgOff)).registration_endpoint).toBe(`${s.url}/${orgOff.slug}/auth/register`);
      expect((await register(orgOff, publicNative, token.token)).status).toBe(201);
      expect((await s.superAdmin.put(`/organizations/${orgOff.id}`, { dynamicRegistration: false })).status).toBe(200);
      expect(await discovery(orgOff)).not.toHaveProperty('registration_endpoint');
      expect((await register(orgOff, publicNative, token.token)).status).toBe(404);
    });

    it('is refused on the super-admin organization, and needs org:update', async () => {
      const adminOrg = await s.porta.services.organizations.getSuperAdmin();
      const res = await s.superAdmin.put(`/organizations/${adminOrg.id}`, { dynamicRegistration: true });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('protected_resource');
      expect((await appAdmin.put(`/organizations/${orgOff.id}`, { dynamicRegistration: true })).status).toBe(403);
      expect((await s.superAdmin.get(`/organizations/${orgOff.id}`)).body.data.dynamicRegistration).toBe(false);
    });
  });

  describe('initial access tokens', () => {
    it('are refused when missing or unknown: 401 invalid_token, nothing stored', async () => {
      const before = await clientCount(orgA);
      const missing = await register(orgA, publicNative);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: 'invalid_token' });
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const unknown = await register(orgA, publicNative, 'not-a-token-anyone-made');
      expect(unknown.status).toBe(401);
      expect(await unknown.json()).toMatchObject({ error: 'invalid_token' });
      expect(await clientCount(orgA)).toBe(before);
    });

    it('are shown once, listed without the token, and refused once revoked', async () => {
      const created = await appAdmin.post(`/organizations/${orgA.slug}/registration-tokens`, { applicationId: 'dcr-app', label: 'revoke me' });
      expect(created.status).toBe(201);
      expect(created.body.warning).toMatch(/not be shown again/);
      expect(created.body.data).toMatchObject({ organizationId: orgA.id, applicationId: appId, status: 'active', useCount: 0, maxUses: null, label: 'revoke me' });
      const { id, token } = created.body.data;
      const listed = await auditor.get(`/organizations/${orgA.id}/registration-tokens`);
      expect(listed.status).toBe(200);
      const row = listed.body.data.find((t: any) => t.id === id);
      expect(row).toMatchObject({ status: 'active' });
      expect(JSON.stringify(listed.body)).not.toContain(token);
      const stored = await s.porta.db.one<{ token_sha256: string }>('SELECT token_sha256 FROM registration_tokens WHERE id = $1', [id]);
      expect(stored.token_sha256).not.toContain(token);

      expect((await appAdmin.delete(`/organizations/${orgA.id}/registration-tokens/${id}`)).status).toBe(204);
      const before = await clientCount(orgA);
      const res = await register(orgA, publicNative, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      expect(await clientCount(orgA)).toBe(before);
      const after = await auditor.get(`/organizations/${orgA.id}/registration-tokens?status=revoked`);
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      expect(after.body.data.map((t: any) => t.id)).toContain(id);
    });

    it('are refused once expired', async () => {
      const { token } = await newToken(orgA, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
      skew = 120_000;
      try {
        const res = await register(orgA, publicNative, token);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      } finally {
        skew = 0;
      }
    });

    it('register at most maxUses clients, even concurrently', async () => {
      const { id, token } = await newToken(orgA, { maxUses: 2 });
      const statuses = await Promise.all(Array.from({ length: 5 }, () => register(orgA, publicNative, token).then((r) => r.status)));
      expect(statuses.filter((st) => st === 201)).toHaveLength(2);
      expect(statuses.filter((st) => st === 401)).toHaveLength(3);
      const listed = await auditor.get(`/organizations/${orgA.id}/registration-tokens?status=used_up`);
      expect(listed.body.data.find((t: any) => t.id === id)).toMatchObject({ useCount: 2, maxUses: 2 });
    });

    it('need client:create to make and client:revoke to revoke; auditors only list', async () => {
      expect((await auditor.post(`/organizations/${orgA.id}/registration-tokens`, { applicationId: appId })).status).toBe(403);
      const { id } = await newToken(orgA);
      expect((await auditor.delete(`/organizations/${orgA.id}/registration-tokens/${id}`)).status).toBe(403);
      const bad = await appAdmin.post(`/organizations/${orgA.id}/registration-tokens`, { applicationId: appId, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'expiresAt', reason: 'invalid_token_expiry' }] });
      const adminApp = await appAdmin.post(`/organizations/${orgA.id}/registration-tokens`, { applicationId: 'porta-admin' });
      expect(adminApp.status).toBe(403);
    });
  });

  describe('registration', () => {
    it('registers a public native client of the token\'s application: 201, no secret, visible and audited in the Admin API', async () => {
      const { id: tokenId, token } = await newToken(orgA);
      const res = await register(orgA, { ...publicNative, logo_uri: 'https://ignored.example/logo.png' }, token);
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      const body = (await res.json()) as Record<string, any>;
      expect(body).toMatchObject({
        client_name: 'MCP desktop',
        application_type: 'native',
        redirect_uris: [NATIVE_REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        registration_client_uri: `${s.url}/${orgA.slug}/auth/register/${body.client_id}`,
      });
      expect(body.client_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(typeof body.registration_access_token).toBe('string');
      expect(body).not.toHaveProperty('client_secret');
      expect(body).not.toHaveProperty('porta');
      expect(body).not.toHaveProperty('logo_uri');

      const client = await s.superAdmin.get(`/clients/${body.client_id}`);
      expect(client.status).toBe(200);
      expect(client.body.data).toMatchObject({
        organizationId: orgA.id, applicationId: appId, clientType: 'public', applicationType: 'native', clientName: 'MCP desktop', requirePkce: true, status: 'active',
      });
      const audit = await auditor.get(`/audit?event=client.registered&targetId=${client.body.data.id}`);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0]).toMatchObject({ organizationId: orgA.id, actorType: 'registration', actorName: `registration-token:${tokenId}`, source: 'registration' });
      const tokens = await auditor.get(`/organizations/${orgA.id}/registration-tokens`);
      expect(tokens.body.data.find((t: any) => t.id === tokenId)).toMatchObject({ useCount: 1, status: 'active' });
    });

    it('gives a confidential client its secret once (stored hashed) and the client gets tokens with it', async () => {
      const { token } = await newToken(orgA);
      const res = await register(orgA, machine, token);
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, any>;
      expect(body).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], client_secret_expires_at: 0 });
      expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
      const hashes = await s.porta.db.many<{ secret_sha256: string; secret_hash: string }>(
        'SELECT s.secret_sha256, s.secret_hash FROM client_secrets s JOIN clients c ON c.id = s.client_id WHERE c.client_id = $1',
        [body.client_id],
      );
      expect(hashes).toHaveLength(1);
      expect(JSON.stringify(hashes)).not.toContain(body.client_secret);

      const tokenRes = await fetch(`${s.url}/${orgA.slug}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${body.client_id}:${body.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(tokenRes.status, await tokenRes.clone().text()).toBe(200);
      expect(await tokenRes.json()).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer' });
    });

    it.each([
      ['an http redirect URI on a non-loopback host', { redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri'],
      ['a redirect URI with a fragment', { redirect_uris: ['https://app.example.com/cb#x'] }, 'invalid_redirect_uri'],
      ['the implicit response type', { response_types: ['token'] }, 'invalid_client_metadata'],
      ['the implicit grant', { grant_types: ['implicit'], response_types: ['token'] }, 'invalid_client_metadata'],
      ['an unknown authentication method', { token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata'],
      ['an unsupported application type', { application_type: 'spa' }, 'invalid_client_metadata'],
      ['an unsupported scope', { scope: 'openid admin' }, 'invalid_client_metadata'],
      ['client_credentials for a public client', { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], response_types: [] }, 'invalid_client_metadata'],
      ['private_key_jwt without keys', { token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    ])('refuses %s and stores nothing', async (_what, change, error) => {
      const { id, token } = await newToken(orgA);
      const before = await clientCount(orgA);
      const res = await register(orgA, { client_name: 'Bad', redirect_uris: ['https://app.example.com/cb'], ...change }, token);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error });
      expect(await clientCount(orgA)).toBe(before);
      const listed = await auditor.get(`/organizations/${orgA.id}/registration-tokens`);
      expect(listed.body.data.find((t: any) => t.id === id)).toMatchObject({ useCount: 0 });
    });
  });

  describe('management (RFC 7592)', () => {
    it('reads, updates (rotating the registration access token) and deletes a registered client', async () => {
      const { token } = await newToken(orgA);
      const created = (await (await register(orgA, { ...machine, client_name: 'Managed' }, token)).json()) as Record<string, any>;
      const uri = created.registration_client_uri as string;
      const rat = created.registration_access_token as string;

      const read = await manage(uri, 'GET', rat);
      expect(read.status).toBe(200);
      const current = (await read.json()) as Record<string, any>;
      expect(current).toMatchObject({ client_id: created.client_id, client_name: 'Managed', registration_access_token: rat, registration_client_uri: uri });
      expect(current).not.toHaveProperty('client_secret');
      expect(current).not.toHaveProperty('porta');
      expect((await manage(uri, 'GET', 'wrong-token')).status).toBe(401);

      const update = { client_id: created.client_id, client_name: 'Managed v2', grant_types: ['client_credentials'], response_types: [], scope: 'openid email' };
      const updated = await manage(uri, 'PUT', rat, update);
      expect(updated.status, await updated.clone().text()).toBe(200);
      const after = (await updated.json()) as Record<string, any>;
      expect(after).toMatchObject({ client_name: 'Managed v2', scope: 'openid email' });
      expect(after).not.toHaveProperty('client_secret');
      const rotated = after.registration_access_token as string;
      expect(rotated).not.toBe(rat);
      expect((await manage(uri, 'GET', rat)).status).toBe(401);
      expect((await manage(uri, 'GET', rotated)).status).toBe(200);
      const admin = await s.superAdmin.get(`/clients/${created.client_id}`);
      expect(admin.body.data).toMatchObject({ clientName: 'Managed v2', scope: 'openid email' });
      const audit = await auditor.get(`/audit?event=client.updated&targetId=${admin.body.data.id}`);
      expect(audit.body.data[0]).toMatchObject({ actorType: 'registration', source: 'registration' });

      // RFC 7592 §2.2: a repeated client_secret must be the client's own.
      const withSecret = await manage(uri, 'PUT', rotated, { ...update, client_secret: created.client_secret });
      expect(withSecret.status, await withSecret.clone().text()).toBe(200);
      const latest = ((await withSecret.json()) as Record<string, any>).registration_access_token as string;
      const wrongSecret = await manage(uri, 'PUT', latest, { ...update, client_secret: 'not-the-secret-of-this-client-at-all-0123456789' });
      expect(wrongSecret.status).toBe(400);
      expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_request' });

      const badUpdate = await manage(uri, 'PUT', latest, { ...update, token_endpoint_auth_method: 'none' });
      expect(badUpdate.status).toBe(400);
      expect(await badUpdate.json()).toMatchObject({ error: 'invalid_client_metadata' });

      const deleted = await manage(uri, 'DELETE', latest);
      expect(deleted.status).toBe(204);
      expect((await s.superAdmin.get(`/clients/${created.client_id}`)).body.data.status).toBe('revoked');
      expect((await manage(uri, 'GET', latest)).status).toBe(401);
      const tokenRes = await fetch(`${s.url}/${orgA.slug}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${created.client_id}:${created.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(tokenRes.status).toBe(401);
      const revoked = await auditor.get(`/audit?event=client.revoked&targetId=${admin.body.data.id}`);
      expect(revoked.body.data[0]).toMatchObject({ actorType: 'registration' });
    });

    it('stores registration access tokens only as hashes', async () => {
      const { token } = await newToken(orgA);
      const created = (await (await register(orgA, machine, token)).json()) as Record<string, any>;
      const rows = await s.porta.db.many<{ id: string; payload: unknown }>("SELECT id, payload FROM oidc_payloads WHERE type = 'RegistrationAccessToken'");
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain(created.registration_access_token);
    });
  });

  describe('tenant isolation', () => {
    it('a token of organization A registers nothing in organization B', async () => {
      const { token } = await newToken(orgA);
      const before = await clientCount(orgB);
      const res = await register(orgB, publicNative, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      expect(await clientCount(orgB)).toBe(before);
      // The same token still works where it belongs.
      expect((await register(orgA, publicNative, token)).status).toBe(201);
    });

    it('a client of A is not managed at B, and A\'s tokens are not B\'s to list or revoke', async () => {
      const { id, token } = await newToken(orgA);
      const created = (await (await register(orgA, machine, token)).json()) as Record<string, any>;
      const atB = `${s.url}/${orgB.slug}/auth/register/${created.client_id}`;
      expect((await manage(atB, 'GET', created.registration_access_token)).status).toBe(401);
      expect((await manage(created.registration_client_uri, 'GET', created.registration_access_token)).status).toBe(200);
      const listedAtB = await auditor.get(`/organizations/${orgB.id}/registration-tokens`);
      expect(listedAtB.body.data.map((t: any) => t.id)).not.toContain(id);
      expect((await appAdmin.delete(`/organizations/${orgB.id}/registration-tokens/${id}`)).status).toBe(404);
    });
  });

  it('is rate limited per IP', async () => {
    const { systemConfig } = s.porta.services;
    await systemConfig.set(systemActor(), 'rate_limit_registration_max', '2');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await register(orgB, publicNative, 'no-token')).status);
      expect(statuses).toContain(429);
    } finally {
      await systemConfig.set(systemActor(), 'rate_limit_registration_max', '100000');
    }
  });
}

describe('dynamic client registration, RFC 7591/7592 (embedded backends)', () => suite('embedded'));
describeWithServices('dynamic client registration, RFC 7591/7592 (PostgreSQL + Redis)', () => suite('services'));

// The CLI goes through the Admin API (in-process in direct mode), provisioning through the import use cases.
describe('dynamic registration from the CLI and provisioning (direct mode)', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-cli-dcr-'));
  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORTA_SERVER']) delete e[name];
    return e;
  };
  const cli = async (args: string[], input = '') => {
    const run = await runPorta([...args, '--json', '--direct'], { env: env(), input });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.trim() === '' ? null : (JSON.parse(run.stdout) as any);
  };
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('provisions the setting, creates, lists and revokes tokens, and switches the setting off', async () => {
    const file = JSON.stringify({ organizations: [{ name: 'Acme', slug: 'acme-dcr', dynamic_registration: true, applications: [{ name: 'Portal', slug: 'portal-dcr' }] }] });
    await cli(['provision', '-f', '-'], file);
    expect((await cli(['org', 'show', 'acme-dcr'])).data.dynamicRegistration).toBe(true);

    const created = (await cli(['org', 'registration-token', 'create', '--org', 'acme-dcr', '--app', 'portal-dcr', '--expires-in', '2d', '--max-uses', '3', '--label', 'cli'])).data;
    expect(created).toMatchObject({ status: 'active', maxUses: 3, label: 'cli', useCount: 0 });
    expect(typeof created.token).toBe('string');
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(47 * 3600_000);

    const listed = await cli(['org', 'registration-token', 'list', '--org', 'acme-dcr', '--app', 'portal-dcr']);
    expect(listed.data.map((t: any) => t.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    await cli(['org', 'registration-token', 'revoke', created.id, '--org', 'acme-dcr', '--force']);
    expect((await cli(['org', 'registration-token', 'list', '--org', 'acme-dcr', '--status', 'revoked'])).data.map((t: any) => t.id)).toEqual([created.id]);

    expect((await cli(['org', 'update', 'acme-dcr', '--dynamic-registration', 'false'])).data.dynamicRegistration).toBe(false);
  });
});
