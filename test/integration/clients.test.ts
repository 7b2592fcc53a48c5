import { expectAppError } from '../support/errors.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { adminActor, adminPermissionsOf, cliDirectActor, systemActor, ADMIN_PERMISSIONS } from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import { createPasswordHasher } from '../../src/users/index.js';
import { clientCacheKey, createClientService, type ClientService, type CreateClientInput } from '../../src/clients/index.js';

const MINUTE = 60_000;
const SYSTEM = systemActor();
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

function clientSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: MemoryKv;
  let clock: ManualClock;
  let svc: Services;
  let clients: ClientService;
  let adminOrg: string;
  let orgA: string;
  let orgB: string;
  let app: string;
  let inactiveApp: string;
  let archivedApp: string;
  const passwords = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const log = createLog({ env: 'test', level: 'silent' });
  // Typed loosely on purpose: several cases feed deliberately invalid input.
  const web = (extra: Record<string, unknown> = {}) =>
    ({ applicationId: app, clientName: 'Portal', clientType: 'confidential', redirectUris: ['https://portal.example/cb'], ...extra }) as CreateClientInput;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    adminOrg = (await db.one<{ id: string }>("SELECT id FROM organizations WHERE slug = 'porta-admin'")).id;
    orgA = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Org A', 'org-a') RETURNING id")).id;
    orgB = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Org B', 'org-b') RETURNING id")).id;
    const insertApp = async (slug: string, status: string) =>
      (await db.one<{ id: string }>('INSERT INTO applications (name, slug, status) VALUES ($1, $1, $2) RETURNING id', [slug, status])).id;
    app = await insertApp('portal', 'active');
    inactiveApp = await insertApp('dormant', 'inactive');
    archivedApp = await insertApp('gone', 'archived');
    clock = createManualClock();
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    clients = svc.clients;
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  describe('create', () => {
    it('creates a confidential web client with defaults and one secret shown once', async () => {
      const { client, secret } = await clients.create(SYSTEM, orgA, web());
      expect(client).toMatchObject({
        organizationId: orgA,
        applicationId: app,
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
        status: 'active',
      });
      expect(client.clientId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(secret).toMatchObject({ clientId: client.id, label: null, status: 'active', expiresAt: null, createdAt: new Date(clock.now()).toISOString() });
      expect(secret?.plaintext).toMatch(/^[A-Za-z0-9_-]{64}$/);
      const row = await db.one<{ secret_hash: string; secret_sha256: string }>('SELECT secret_hash, secret_sha256 FROM client_secrets WHERE id = $1', [secret!.id]);
      expect(row.secret_hash).toMatch(/^\$argon2id\$/);
      expect(row.secret_sha256).toBe(sha256(secret!.plaintext));
      expect(await passwords.verify(row.secret_hash, secret!.plaintext)).toBe(true);
      expect(await clients.verifySecret(client.id, secret!.plaintext)).toBe(true);
    });

    it('creates public SPA, native and machine clients', async () => {
      const spa = await clients.create(SYSTEM, orgA, web({ clientType: 'public', applicationType: 'spa', allowedOrigins: ['http://localhost:5173'] }));
      expect(spa.secret).toBeNull();
      expect(spa.client).toMatchObject({ tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code', 'refresh_token'], allowedOrigins: ['http://localhost:5173'] });
      expect(Number((await db.one<{ n: string }>('SELECT count(*) AS n FROM client_secrets WHERE client_id = $1', [spa.client.id])).n)).toBe(0);
      const native = await clients.create(SYSTEM, orgA, web({ clientType: 'public', applicationType: 'native', redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/callback'] }));
      expect(native.client.redirectUris).toEqual(['com.example.app:/cb', 'http://127.0.0.1/callback']);
      const m2m = await clients.create(SYSTEM, orgA, web({ redirectUris: undefined, grantTypes: ['client_credentials'], scope: 'openid' }));
      expect(m2m.client).toMatchObject({ redirectUris: [], grantTypes: ['client_credentials'] });
      expect(m2m.secret).not.toBeNull();
    });

    it('accepts a provisioned client_id and secret value, storing the secret only hashed', async () => {
      const value = 'provisioned-secret-value-0123456789-ABCDEFG';
      const { client, secret } = await clients.create(SYSTEM, orgA, web({ clientId: 'portal.web~1', secret: { value, label: 'ci', expiresAt: '2027-01-01T00:00:00Z' } }));
      expect(client.clientId).toBe('portal.web~1');
      expect(secret).toMatchObject({ plaintext: value, label: 'ci', expiresAt: '2027-01-01T00:00:00.000Z' });
      expect(await clients.verifySecret(client.id, value)).toBe(true);
      const dump = await db.many<{ j: string }>(
        "SELECT row_to_json(s)::text AS j FROM client_secrets s WHERE client_id = $1 UNION ALL SELECT row_to_json(c)::text FROM clients c WHERE id = $1",
        [client.id],
      );
      expect(dump).toHaveLength(2);
      for (const { j } of dump) expect(j).not.toContain(value);
      await expectAppError(clients.create(SYSTEM, orgB, web({ clientId: 'portal.web~1' })), 'conflict', 'client_id_taken');
    });

    it('keeps the built-in client ids for Porta: porta-account and the admin clients are refused to provisioning', async () => {
      for (const clientId of ['porta-account', 'porta-admin-console', 'porta-admin-cli']) {
        await expectAppError(clients.create(cliDirectActor('ops'), orgA, web({ clientId })), 'conflict', 'client_id_taken');
      }
    });

    it('names every rejected input', async () => {
      const invalid: [CreateClientInput, string][] = [
        [web({ applicationId: '00000000-0000-4000-8000-000000000000' }), 'application_not_found'],
        [web({ applicationId: 'portal' }), 'application_not_found'],
        [web({ applicationId: archivedApp }), 'application_not_found'],
        [web({ applicationId: inactiveApp }), 'application_inactive'],
        [web({ clientName: '' }), 'validation_failed'],
        [web({ clientType: 'trusted' }), 'validation_failed'],
        [web({ redirectUris: Array.from({ length: 11 }, (_, i) => `https://portal.example/cb${i}`) }), 'validation_failed'],
        [web({ grantTypes: ['implicit'] }), 'validation_failed'],
        [web({ grantTypes: [] }), 'validation_failed'],
        [web({ responseTypes: ['code', 'id_token'] }), 'validation_failed'],
        [web({ requirePkce: 'no' }), 'validation_failed'],
        [web({ clientType: 'public', requirePkce: false }), 'public_client_pkce'],
        [web({ loginMethods: [] }), 'validation_failed'],
        [web({ loginMethods: ['sso'] }), 'validation_failed'],
        [web({ clientId: 'a b' }), 'validation_failed'],
        [web({ clientId: 'ab' }), 'validation_failed'],
        [web({ secret: { value: 'too-short' } }), 'validation_failed'],
        [web({ secret: { expiresAt: 'tomorrow' } }), 'validation_failed'],
        [web({ secret: { expiresAt: '2025-12-31T23:59:59Z' } }), 'invalid_secret_expiry'],
        [web({ clientType: 'public', secret: { label: 'x' } }), 'public_client_secret'],
        [web({ clientType: 'public', grantTypes: ['client_credentials'] }), 'public_client_credentials'],
        [web({ applicationType: 'spa' }), 'spa_requires_public'],
        [web({ redirectUris: ['http://portal.example/cb'] }), 'invalid_redirect_uri'],
        [web({ redirectUris: [] }), 'redirect_uris_required'],
        [web({ postLogoutRedirectUris: ['portal.example'] }), 'invalid_post_logout_redirect_uri'],
        [web({ grantTypes: ['refresh_token'] }), 'invalid_grant_types'],
        [web({ tokenEndpointAuthMethod: 'none' }), 'invalid_auth_method'],
        [web({ scope: 'openid admin' }), 'invalid_scope'],
        [web({ allowedOrigins: ['https://portal.example/'] }), 'invalid_origin'],
      ];
      for (const [input, code] of invalid) await expectAppError(clients.create(SYSTEM, orgA, input), 'invalid', code);
      // The organization is checked by the use case now (it was the route's): unknown or malformed → 400 `organization_not_found`.
      await expectAppError(clients.create(SYSTEM, '00000000-0000-4000-8000-000000000000', web()), 'invalid', 'organization_not_found');
      await expectAppError(clients.create(SYSTEM, 'org-b', web()), 'invalid', 'organization_not_found');
      const archived = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug, status) VALUES ('Closed', 'closed-org', 'archived') RETURNING id")).id;
      await expectAppError(clients.create(SYSTEM, archived, web()), 'invalid', 'organization_inactive');
    });

    it('creates clients in the admin organization only as the system (bootstrap), never for an admin or the CLI', async () => {
      const before = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM clients WHERE organization_id = $1', [adminOrg]);
      const { id: rootId } = await db.one<{ id: string }>("INSERT INTO users (organization_id, email) VALUES ($1, 'root@admin.test') RETURNING id", [adminOrg]);
      const superAdmin = adminActor({ userId: rootId, organizationId: adminOrg, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true });
      for (const actor of [superAdmin, cliDirectActor('ops')]) {
        const err = await expectAppError(clients.create(actor, adminOrg, web()), 'forbidden', 'protected_resource');
        expect(String((err as { message?: string }).message)).toMatch(/service accounts/);
      }
      const appAdmin = adminActor({ userId: rootId, organizationId: adminOrg, permissions: adminPermissionsOf(['porta-auditor']), isSuperAdmin: false });
      expect((await expectAppError(clients.create(appAdmin, adminOrg, web()), 'forbidden', 'forbidden')).details).toEqual({ missing: ['admin:client:create'] });
      expect((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM clients WHERE organization_id = $1', [adminOrg])).n).toBe(before.n);
      const { client } = await clients.create(SYSTEM, adminOrg, web({ clientName: 'Built in' }));
      expect(client).toMatchObject({ organizationId: adminOrg, clientName: 'Built in' });
      const [entry] = (await svc.audit.list({ event: 'client.created', targetId: client.id })).data;
      expect(entry).toMatchObject({ actorType: 'system', source: 'system', organizationId: adminOrg });
    });
  });

  describe('secrets', () => {
    it('accepts any active, unexpired secret and nothing else', async () => {
      const { client, secret: first } = await clients.create(SYSTEM, orgA, web());
      const second = await clients.generateSecret(SYSTEM, orgA, client.id, { label: 'rotation' });
      const expiring = await clients.generateSecret(SYSTEM, orgA, client.id, { label: 'short', expiresAt: new Date(clock.now() + 10 * MINUTE).toISOString() });
      const provisioned = await clients.generateSecret(SYSTEM, orgA, client.id, { value: 'x'.repeat(32) });
      for (const s of [first!, second, expiring, provisioned]) expect(await clients.verifySecret(client.id, s.plaintext)).toBe(true);
      expect(await clients.verifySecret(client.id, 'wrong')).toBe(false);
      expect(await clients.verifySecret(client.id, `${second.plaintext}x`)).toBe(false);
      expect(await clients.verifySecret(client.id, '')).toBe(false);
      expect(await clients.verifySecret(client.id, 'x'.repeat(2000))).toBe(false);
      expect(await clients.verifySecret('not-a-uuid', second.plaintext)).toBe(false);
      expect(await clients.hasActiveSecret(client.id, second.plaintext)).toBe(true);
      expect(await clients.hasActiveSecret(client.id, 'wrong')).toBe(false);

      await clients.revokeSecret(SYSTEM, orgA, client.id, second.id);
      await clients.revokeSecret(SYSTEM, orgA, client.id, second.id);
      expect(await clients.verifySecret(client.id, second.plaintext)).toBe(false);
      expect(await clients.verifySecret(client.id, first!.plaintext)).toBe(true);

      clock.advance(10 * MINUTE);
      expect(await clients.verifySecret(client.id, expiring.plaintext)).toBe(false);
      expect(await clients.verifySecret(client.id, provisioned.plaintext)).toBe(true);

      const other = await clients.create(SYSTEM, orgA, web());
      expect(await clients.verifySecret(other.client.id, first!.plaintext)).toBe(false);
      await expectAppError(clients.revokeSecret(SYSTEM, orgA, other.client.id, first!.id), 'not_found', 'client_secret_not_found');
      await expectAppError(clients.revokeSecret(SYSTEM, orgA, client.id, 'nope'), 'not_found', 'client_secret_not_found');

      const listed = await clients.listSecrets(orgA, client.id);
      expect(listed).toHaveLength(4);
      for (const s of listed) {
        expect(Object.keys(s).sort()).toEqual(['clientId', 'createdAt', 'expiresAt', 'id', 'label', 'lastUsedAt', 'revokedAt', 'status']);
      }
      expect(listed.find((s) => s.id === second.id)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    });

    it('refuses secrets for public clients and past expiry dates', async () => {
      const { client } = await clients.create(SYSTEM, orgA, web({ clientType: 'public' }));
      await expectAppError(clients.generateSecret(SYSTEM, orgA, client.id, {}), 'invalid', 'public_client_secret');
      const conf = await clients.create(SYSTEM, orgA, web());
      await expectAppError(clients.generateSecret(SYSTEM, orgA, conf.client.id, { expiresAt: new Date(clock.now() - 1) }), 'invalid', 'invalid_secret_expiry');
      await expectAppError(clients.generateSecret(SYSTEM, orgA, conf.client.id, { value: 'short' }), 'invalid', 'validation_failed');
    });

    it('records last_used_at at most once a minute, in the background', async () => {
      const touches: string[] = [];
      const spyDb: Db = {
        ...db,
        query: (sql, params) => {
          if (sql.includes('last_used_at = $2')) touches.push(sql);
          return db.query(sql, params);
        },
      };
      // The one wiring's dependencies, on a database that sees every statement.
      const spied = createClientService({
        db: spyDb, kv, clock, log, passwords, audit: svc.audit, organizations: svc.organizations, applications: svc.applications,
        sessions: () => svc.sessions, isMailConfigured: false,
      });
      const { client, secret } = await spied.create(SYSTEM, orgA, web());
      const lastUsed = async () => (await spied.listSecrets(orgA, client.id))[0]?.lastUsedAt;

      expect(await spied.verifySecret(client.id, secret!.plaintext)).toBe(true);
      const firstAt = new Date(clock.now()).toISOString();
      await vi.waitFor(async () => expect(await lastUsed()).toBe(firstAt));
      clock.advance(30_000);
      expect(await spied.verifySecret(client.id, secret!.plaintext)).toBe(true);
      expect(touches).toHaveLength(1);
      clock.advance(31_000);
      expect(await spied.verifySecret(client.id, secret!.plaintext)).toBe(true);
      expect(touches).toHaveLength(2);
      const secondAt = new Date(clock.now()).toISOString();
      await vi.waitFor(async () => expect(await lastUsed()).toBe(secondAt));
    });
  });

  describe('read, update, status', () => {
    it('caches findByClientId and drops the entry on every write', async () => {
      const { client } = await clients.create(SYSTEM, orgA, web({ clientName: 'Cached' }));
      const key = clientCacheKey(orgA, client.clientId);
      expect(key).toBe(`cache:client:${orgA}:${client.clientId}`);
      expect(await clients.findByClientId(orgA, client.clientId)).toEqual(client);
      expect(await kv.get(key)).not.toBeNull();
      // A write behind the service's back stays invisible until the entry goes.
      await db.query("UPDATE clients SET client_name = 'Sneaky' WHERE id = $1", [client.id]);
      expect((await clients.findByClientId(orgA, client.clientId))?.clientName).toBe('Cached');

      await clients.update(SYSTEM, orgA, client.id, { clientName: 'Renamed' });
      expect(await kv.get(key)).toBeNull();
      expect((await clients.findByClientId(orgA, client.clientId))?.clientName).toBe('Renamed');

      await clients.setStatus(SYSTEM, orgA, client.id, 'inactive');
      expect((await clients.findByClientId(orgA, client.clientId))?.status).toBe('inactive');

      await clients.findByClientId(orgA, client.clientId);
      const s = await clients.generateSecret(SYSTEM, orgA, client.id);
      expect(await kv.get(key)).toBeNull();
      await clients.findByClientId(orgA, client.clientId);
      await clients.revokeSecret(SYSTEM, orgA, client.id, s.id);
      expect(await kv.get(key)).toBeNull();

      clock.advance(301_000);
      expect(await clients.findByClientId(orgA, 'no-such-client')).toBeNull();
      expect(await kv.get(clientCacheKey(orgA, 'no-such-client'))).toBeNull();
    });

    it('updates by merging and re-checking every rule', async () => {
      const { client } = await clients.create(SYSTEM, orgA, web({ loginMethods: ['password'] }));
      const updated = await clients.update(SYSTEM, orgA, client.id, {
        redirectUris: ['https://portal.example/cb2'],
        scope: 'openid email phone',
        requireConsent: true,
        loginMethods: null,
        tokenEndpointAuthMethod: 'client_secret_post',
      });
      expect(updated).toMatchObject({
        clientName: 'Portal',
        redirectUris: ['https://portal.example/cb2'],
        scope: 'openid email phone',
        requireConsent: true,
        loginMethods: null,
        tokenEndpointAuthMethod: 'client_secret_post',
        grantTypes: client.grantTypes,
      });
      await expectAppError(clients.update(SYSTEM, orgA, client.id, { applicationType: 'spa' }), 'invalid', 'spa_requires_public');
      await expectAppError(clients.update(SYSTEM, orgA, client.id, { redirectUris: [] }), 'invalid', 'redirect_uris_required');
      await expectAppError(clients.update(SYSTEM, orgA, client.id, { clientType: 'public' } as never), 'invalid', 'validation_failed');
      await expectAppError(clients.update(SYSTEM, orgA, client.id, { clientId: 'renamed' } as never), 'invalid', 'validation_failed');
      expect(await clients.getById(orgA, client.id)).toEqual(updated);
    });

    it('moves between active and inactive; revoked is final', async () => {
      const { client } = await clients.create(SYSTEM, orgA, web());
      await expectAppError(clients.setStatus(SYSTEM, orgA, client.id, 'active'), 'conflict', 'invalid_transition');
      expect((await clients.setStatus(SYSTEM, orgA, client.id, 'inactive')).status).toBe('inactive');
      await expectAppError(clients.setStatus(SYSTEM, orgA, client.id, 'inactive'), 'conflict', 'invalid_transition');
      expect((await clients.setStatus(SYSTEM, orgA, client.id, 'active')).status).toBe('active');
      expect((await clients.setStatus(SYSTEM, orgA, client.id, 'revoked')).status).toBe('revoked');
      for (const status of ['active', 'inactive', 'revoked'] as const) {
        await expectAppError(clients.setStatus(SYSTEM, orgA, client.id, status), 'conflict', 'invalid_transition');
      }
      await expectAppError(clients.update(SYSTEM, orgA, client.id, { clientName: 'x' }), 'conflict', 'client_revoked');
      await expectAppError(clients.generateSecret(SYSTEM, orgA, client.id), 'conflict', 'client_revoked');
      await expectAppError(clients.setStatus(SYSTEM, orgA, client.id, 'deleted' as never), 'invalid', 'validation_failed');
    });

    it('lists by application, status and search, per organization or across all', async () => {
      const other = (await db.one<{ id: string }>("INSERT INTO applications (name, slug) VALUES ('Listing', 'listing') RETURNING id")).id;
      for (const name of ['Alpha', 'Beta', 'Gamma']) await clients.create(SYSTEM, orgB, web({ applicationId: other, clientName: `${name} list` }));
      const gamma = (await clients.list(orgB, { search: 'gamma' })).data[0]!;
      await clients.setStatus(SYSTEM, orgB, gamma.id, 'inactive');
      await clients.create(SYSTEM, orgA, web({ applicationId: other, clientName: 'Delta list' }));

      const page = await clients.list(orgB, { applicationId: other, sortBy: 'client_name', sortOrder: 'asc', pageSize: 2 });
      expect(page).toMatchObject({ total: 3, page: 1, pageSize: 2, totalPages: 2 });
      expect(page.data.map((c) => c.clientName)).toEqual(['Alpha list', 'Beta list']);
      expect((await clients.list(orgB, { applicationId: other, status: 'inactive' })).data.map((c) => c.clientName)).toEqual(['Gamma list']);
      expect((await clients.list(orgB, { search: gamma.clientId })).total).toBe(1);
      expect((await clients.list(null, { applicationId: other })).total).toBe(4);
      expect((await clients.list(orgA, { applicationId: other })).total).toBe(1);
      await expectAppError(clients.list(orgA, { sortBy: 'secret' as never }), 'invalid', 'validation_failed');
    });
  });

  describe('tenant isolation', () => {
    it("org B's calls with org A's ids answer not found", async () => {
      const { client, secret } = await clients.create(SYSTEM, orgA, web());
      expect(await clients.findById(orgB, client.id)).toBeNull();
      expect(await clients.findByClientId(orgB, client.clientId)).toBeNull();
      await expectAppError(clients.getById(orgB, client.id), 'not_found', 'client_not_found');
      await expectAppError(clients.update(SYSTEM, orgB, client.id, { clientName: 'x' }), 'not_found', 'client_not_found');
      await expectAppError(clients.setStatus(SYSTEM, orgB, client.id, 'inactive'), 'not_found', 'client_not_found');
      await expectAppError(clients.generateSecret(SYSTEM, orgB, client.id), 'not_found', 'client_not_found');
      await expectAppError(clients.listSecrets(orgB, client.id), 'not_found', 'client_not_found');
      await expectAppError(clients.revokeSecret(SYSTEM, orgB, client.id, secret!.id), 'not_found', 'client_not_found');
      expect((await clients.list(orgB, { search: client.clientId })).total).toBe(0);
      expect(await clients.getById(orgA, client.id)).toEqual(client);
      expect(await clients.verifySecret(client.id, secret!.plaintext)).toBe(true);
      expect((await clients.findInAnyOrg(client.clientId))?.id).toBe(client.id);
      expect((await clients.findInAnyOrg(client.id))?.clientId).toBe(client.clientId);
      expect(await clients.findInAnyOrg('missing')).toBeNull();
    });
  });
}

onEachDatabase('clients service', clientSuite);
