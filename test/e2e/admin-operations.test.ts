import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { createTenant, type Tenant } from '../support/oidc-fixtures.js';
import { systemActor } from '../../src/actors/index.js';

const system = systemActor();

interface KeyBody {
  id: string;
  kid: string;
  algorithm: string;
  status: string;
}

describe('admin API: config, keys, audit, stats (spec 20 §5.8)', () => {
  let s: AdminServer;
  let auditor: AdminClient;
  let orgAdmin: AdminClient;
  let acme: Tenant;

  beforeAll(async () => {
    s = await startAdminServer();
    await s.porta.services.systemConfig.set(system, 'rate_limit_admin_write_max', '100000');
    auditor = await s.clientWithRoles(['porta-auditor']);
    orgAdmin = await s.clientWithRoles(['porta-org-admin']);
    acme = await createTenant(s.porta.services, 'acme-ops');
  });
  afterAll(() => s?.stop());

  describe('config', () => {
    it('lists entries by key with sensitive values masked and reads one; unknown key is 404', async () => {
      const res = await auditor.get('/config');
      expect(res.status).toBe(200);
      const keys = res.body.data.map((e: { key: string }) => e.key);
      expect(keys).toEqual([...keys].sort());
      const ttl = res.body.data.find((e: { key: string }) => e.key === 'access_token_ttl');
      expect(ttl).toMatchObject({ value: 3600, valueType: 'duration', isSensitive: false, description: expect.any(String) });
      expect(ttl.updatedAt).toEqual(expect.any(String));
      const superAdmin = await auditor.get('/config/super_admin_user_id');
      expect(superAdmin.body.data).toMatchObject({ value: '***', isSensitive: true });
      expect(JSON.stringify(res.body)).not.toContain(s.superAdminUserId);
      expect((await auditor.get('/config/no_such_key')).status).toBe(404);
      expect((await s.anonymous().get('/config')).status).toBe(401);
      expect((await (await s.clientWithRoles(['porta-user-admin'])).get('/config')).status).toBe(403);
    });

    it('sets a value parsed per type, checks bounds, refuses read-only keys and audits config.updated', async () => {
      const res = await s.superAdmin.put('/config/account_lockout_threshold', { value: '10' });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ key: 'account_lockout_threshold', value: 10 });
      expect(await s.porta.services.systemConfig.getNumber('account_lockout_threshold')).toBe(10);
      const [entry] = (await s.porta.services.audit.list({ event: 'config.updated', targetId: 'account_lockout_threshold' })).data;
      expect(entry).toMatchObject({
        targetType: 'config', actorId: s.superAdminUserId, actorType: 'admin', actorName: null, source: 'api',
        requestId: expect.any(String), metadata: { key: 'account_lockout_threshold', previous: 5, value: 10 },
      });

      for (const value of ['0', '101', 'ten', '1.5', true]) {
        const bad = await s.superAdmin.put('/config/account_lockout_threshold', { value });
        expect(bad.status, String(value)).toBe(400);
        expect(bad.body.error).toBe('validation_failed');
      }
      expect((await s.superAdmin.put('/config/account_lockout_threshold', {})).status).toBe(400);
      const readonly = await s.superAdmin.put('/config/super_admin_user_id', { value: acme.userId });
      expect(readonly.status).toBe(403);
      expect(readonly.body.error).toBe('protected_resource');
      expect((await s.superAdmin.put('/config/no_such_key', { value: '1' })).status).toBe(404);
      const before = (await s.porta.services.audit.list({ event: 'config.updated' })).total;
      const denied = await auditor.put('/config/account_lockout_threshold', { value: '7' });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:config:update'] } });
      expect((await auditor.put('/config/no_such_key', { value: '7' })).status).toBe(403);
      expect((await auditor.put('/config/super_admin_user_id', { value: acme.userId })).body.error).toBe('forbidden');
      expect(await s.porta.services.systemConfig.getNumber('account_lockout_threshold')).toBe(10);
      expect((await s.porta.services.audit.list({ event: 'config.updated' })).total).toBe(before);
    });

    it('masks sensitive values in the response and in the audit entry', async () => {
      await s.porta.services.systemConfig.define('smtp_password', { value: 'old-secret', valueType: 'string', isSensitive: true });
      const res = await s.superAdmin.put('/config/smtp_password', { value: 'new-secret' });
      expect(res.status).toBe(200);
      expect(res.body.data.value).toBe('***');
      expect(await s.porta.services.systemConfig.getString('smtp_password')).toBe('new-secret');
      const [entry] = (await s.porta.services.audit.list({ event: 'config.updated', targetId: 'smtp_password' })).data;
      expect(entry!.metadata).toMatchObject({ key: 'smtp_password', previous: '***', value: '***' });
      expect(JSON.stringify(entry)).not.toContain('secret');
    });
  });

  describe('signing keys', () => {
    const list = async () => (await auditor.get('/keys')).body.data as KeyBody[];

    it('generates, rotates and revokes keys per algorithm, refusing to revoke the last active key of one', async () => {
      const initial = await list();
      expect(initial.map((k) => [k.algorithm, k.status]).sort()).toEqual([['ES256', 'active'], ['RS256', 'active']]);
      const [initialRs, initialEs] = [initial.find((k) => k.algorithm === 'RS256')!, initial.find((k) => k.algorithm === 'ES256')!];

      const generated = await s.superAdmin.post('/keys/generate');
      expect(generated.status).toBe(201);
      expect(generated.body.data).toEqual({ id: expect.any(String), kid: expect.any(String), algorithm: 'RS256', message: expect.stringContaining('60 s') });
      const rs = generated.body.data as KeyBody;
      const ecRes = await s.superAdmin.post('/keys/generate', { algorithm: 'ES256' });
      expect(ecRes.status).toBe(201);
      const ec = ecRes.body.data as KeyBody;
      expect(ec.algorithm).toBe('ES256');
      for (const algorithm of ['PS256', 'HS256', 'rs256']) {
        const bad = await s.superAdmin.post('/keys/generate', { algorithm });
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({ error: 'validation_failed', details: [expect.objectContaining({ path: 'algorithm' })] });
      }
      expect((await s.superAdmin.post('/keys/rotate', { algorithm: 'none' })).status).toBe(400);
      const keys = await list();
      expect(keys.map((k) => k.kid)).toEqual([ec.kid, rs.kid, initialEs.kid, initialRs.kid]);
      expect(keys.every((k) => k.status === 'active')).toBe(true);

      const esOnly = await s.superAdmin.post('/keys/rotate', { algorithm: 'ES256' });
      expect(esOnly.status).toBe(200);
      expect(esOnly.body.data).toMatchObject({ algorithms: ['ES256'], activeKid: ec.kid, activeKids: { ES256: ec.kid }, retiredCount: 1, retiredKids: [initialEs.kid] });
      const rotated = await s.superAdmin.post('/keys/rotate');
      expect(rotated.body.data).toMatchObject({
        algorithms: ['RS256', 'ES256'], activeKid: rs.kid, activeKids: { RS256: rs.kid, ES256: ec.kid }, retiredCount: 1, retiredKids: [initialRs.kid],
      });
      const idle = await s.superAdmin.post('/keys/rotate');
      expect(idle.body.data).toMatchObject({ activeKid: rs.kid, retiredCount: 0, retiredKids: [], message: expect.stringContaining('Nothing to retire') });

      for (const only of [rs, ec]) {
        const refused = await s.superAdmin.post(`/keys/${only.kid}/revoke`);
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ error: 'in_use', message: expect.stringContaining(`only active ${only.algorithm} signing key`) });
      }
      const next = (await s.superAdmin.post('/keys/generate', { algorithm: 'RS256' })).body.data as KeyBody;
      expect((await s.superAdmin.post(`/keys/${rs.id}/revoke`)).status).toBe(204);
      expect((await list()).find((k) => k.kid === rs.kid)?.status).toBe('revoked');
      expect((await list()).filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([next.kid, ec.kid]);
      expect((await s.superAdmin.post('/keys/no-such-kid/revoke')).status).toBe(404);

      const entries = (await s.porta.services.audit.list({ event: 'signing_key.' })).data;
      expect(entries.map((e) => e.eventType)).toEqual([
        'signing_key.revoked', 'signing_key.generated', 'signing_key.rotated', 'signing_key.rotated', 'signing_key.rotated', 'signing_key.generated', 'signing_key.generated',
      ]);
      expect(entries.every((e) => e.actorType === 'admin' && e.source === 'api' && e.actorId === s.superAdminUserId)).toBe(true);
      expect(entries[0]).toMatchObject({ targetType: 'signing_key', targetId: rs.id, metadata: { kid: rs.kid, algorithm: 'RS256' } });
      expect(entries[1]).toMatchObject({ targetId: next.id, metadata: { kid: next.kid, algorithm: 'RS256' } });
      expect(entries[2]).toMatchObject({ metadata: { algorithms: ['RS256', 'ES256'], activeKids: { RS256: rs.kid, ES256: ec.kid }, retiredKids: [] } });
      expect(entries[4]).toMatchObject({ targetId: ec.id, metadata: { algorithms: ['ES256'], activeKids: { ES256: ec.kid }, retiredKids: [initialEs.kid] } });
      expect(entries[5]).toMatchObject({ targetId: ec.id, metadata: { kid: ec.kid, algorithm: 'ES256' } });
      const jwks = (await (await fetch(`${s.url}/${acme.slug}/auth/jwks`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual([next.kid, ec.kid]);
    });

    it('requires key:generate / key:rotate (403 details.missing), changing and recording nothing', async () => {
      await s.superAdmin.post('/keys/generate');
      const before = await list();
      const events = (await s.porta.services.audit.list({ event: 'signing_key.' })).total;
      const active = before.filter((k) => k.status === 'active');
      expect(active.length).toBeGreaterThan(1);
      const denied = await auditor.post('/keys/generate');
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ error: 'forbidden', details: { missing: ['admin:key:generate'] } });
      const rotate = await auditor.post('/keys/rotate');
      expect(rotate.status).toBe(403);
      expect(rotate.body.details).toEqual({ missing: ['admin:key:rotate'] });
      const revoke = await auditor.post(`/keys/${active[1]!.kid}/revoke`);
      expect(revoke.status).toBe(403);
      expect(revoke.body.details).toEqual({ missing: ['admin:key:rotate'] });
      expect((await orgAdmin.post('/keys/rotate')).status).toBe(403);
      expect(await list()).toEqual(before);
      expect((await s.porta.services.audit.list({ event: 'signing_key.' })).total).toBe(events);
      expect((await s.anonymous().get('/keys')).status).toBe(401);
    });
  });

  describe('audit log', () => {
    it('lists newest first with filters and an opaque cursor; a bad cursor is 400 invalid_cursor', async () => {
      for (const n of [1, 2, 3]) {
        await s.porta.services.audit.record(system, { eventType: `test.paging.${n}`, eventCategory: 'system', organizationId: acme.orgId });
      }
      const first = await auditor.get('/audit?event=test.paging.&limit=2');
      expect(first.status).toBe(200);
      expect(Object.keys(first.body).sort()).toEqual(['data', 'nextCursor', 'total']);
      expect(first.body.total).toBe(3);
      expect(first.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['test.paging.3', 'test.paging.2']);
      const second = await auditor.get(`/audit?event=test.paging.&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((e: { eventType: string }) => e.eventType)).toEqual(['test.paging.1']);
      expect(second.body.nextCursor).toBeNull();
      expect((await auditor.get(`/audit?event=test.paging.2&org=${acme.orgId}&category=system`)).body.total).toBe(1);
      expect((await auditor.get('/audit?category=gdpr&event=test.paging.')).body.total).toBe(0);

      const bad = await auditor.get('/audit?cursor=bm9wZQ');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('invalid_cursor');
      expect((await auditor.get('/audit?limit=501')).status).toBe(400);
      expect((await auditor.get('/audit?org=not-a-uuid')).status).toBe(400);
      expect((await orgAdmin.get('/audit')).status).toBe(403);
    });

    it('shows who acted through which edge, and filters by source and acting service account', async () => {
      await s.superAdmin.put('/config/otp_code_ttl', { value: '900' });
      const res = await auditor.get('/audit?event=config.updated&source=api&limit=1');
      expect(res.status).toBe(200);
      expect(res.body.data[0]).toMatchObject({
        eventType: 'config.updated', targetId: 'otp_code_ttl', actorId: s.superAdminUserId, actorType: 'admin', actorName: null,
        actorClientId: null, source: 'api', requestId: expect.any(String), ipAddress: expect.any(String),
      });
      expect((await auditor.get('/audit?event=test.paging.&source=system')).body.total).toBe(3);
      expect((await auditor.get('/audit?event=test.paging.&source=api')).body.total).toBe(0);
      expect((await auditor.get('/audit?actorClient=00000000-0000-4000-8000-000000000000')).body).toMatchObject({ data: [], total: 0 });
      expect((await auditor.get('/audit?actorClient=robot')).status).toBe(400);
    });

    it('cleans up entries past the retention period (dry run first) with config:update and audits audit.cleanup', async () => {
      await s.porta.db.query(
        "INSERT INTO audit_log (event_type, event_category, created_at) VALUES ('test.ancient', 'system', now() - interval '200 days')",
      );
      const dry = await s.superAdmin.post('/audit/cleanup', { dryRun: true });
      expect(dry.status).toBe(200);
      expect(dry.body.data).toMatchObject({ dryRun: true, retentionDays: 90, entriesFound: 1, deleted: 0, cutoff: expect.any(String) });
      const real = await s.superAdmin.post('/audit/cleanup', { retentionDays: 100 });
      expect(real.body.data).toMatchObject({ dryRun: false, retentionDays: 100, entriesFound: 1, deleted: 1 });
      expect((await s.porta.services.audit.list({ event: 'test.ancient' })).total).toBe(0);
      const [entry] = (await s.porta.services.audit.list({ event: 'audit.cleanup' })).data;
      expect(entry).toMatchObject({ actorId: s.superAdminUserId, actorType: 'admin', source: 'api', metadata: { deleted: 1, retentionDays: 100 } });

      expect((await s.superAdmin.post('/audit/cleanup', { retentionDays: 0 })).status).toBe(400);
      await s.porta.db.query(
        "INSERT INTO audit_log (event_type, event_category, created_at) VALUES ('test.ancient', 'system', now() - interval '200 days')",
      );
      const cleanups = (await s.porta.services.audit.list({ event: 'audit.cleanup' })).total;
      const denied = await auditor.post('/audit/cleanup', { dryRun: false, retentionDays: 1 });
      expect(denied.status).toBe(403);
      expect(denied.body.details).toEqual({ missing: ['admin:config:update'] });
      expect((await s.porta.services.audit.list({ event: 'test.ancient' })).total).toBe(1);
      expect((await s.porta.services.audit.list({ event: 'audit.cleanup' })).total).toBe(cleanups);
    });
  });

  describe('stats', () => {
    it('answers the overview with counts by status, login activity and system health, cacheable privately for 60 s', async () => {
      await s.porta.services.audit.record(system, { eventType: 'user.login.password.success', eventCategory: 'authentication', organizationId: acme.orgId });
      await s.porta.services.audit.record(system, { eventType: 'user.login.password.failed', eventCategory: 'authentication', organizationId: acme.orgId });
      const res = await orgAdmin.get('/stats/overview');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=60');
      const data = res.body.data;
      expect(data.organizations).toMatchObject({ total: expect.any(Number), active: expect.any(Number), suspended: 0, archived: 0 });
      expect(data.organizations.total).toBeGreaterThanOrEqual(2);
      expect(data.users).toMatchObject({ inactive: expect.any(Number), locked: expect.any(Number), newLast7d: data.users.total, newLast30d: data.users.total });
      expect(data.users.activeLast30d).toBe(0);
      expect(data.applications).toMatchObject({ active: expect.any(Number), inactive: 0, archived: 0 });
      expect(data.clients).toMatchObject({ active: data.clients.total, inactive: 0, revoked: 0 });
      expect(data.loginActivity).toEqual({
        last24h: { successful: 1, failed: 1 }, last7d: { successful: 1, failed: 1 }, last30d: { successful: 1, failed: 1 },
      });
      expect(data.systemHealth).toEqual({ database: 'ok', redis: 'ok' });
      expect(Date.parse(data.generatedAt)).not.toBeNaN();
    });

    it('answers per organization (404 for an unknown one) and requires stats:read', async () => {
      const res = await auditor.get(`/stats/organization/${acme.orgId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, max-age=60');
      expect(res.body.data).toMatchObject({
        organizationId: acme.orgId,
        users: { total: 1, active: 1, inactive: 0, suspended: 0, locked: 0, newLast7d: 1 },
        clients: { total: 2, active: 2, inactive: 0, revoked: 0 },
        loginActivity: { last24h: { successful: 1, failed: 1 } },
      });
      expect((await auditor.get('/stats/organization/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await auditor.get('/stats/organization/acme-ops')).status).toBe(404);
      expect((await (await s.clientWithRoles(['porta-user-admin'])).get('/stats/overview')).status).toBe(403);
    });
  });
});
