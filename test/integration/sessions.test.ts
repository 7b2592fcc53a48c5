import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { adminActor, adminPermissionsOf, systemActor } from '../../src/actors/index.js';
import { createAdapterFactory } from '../../src/oidc/adapter.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import type { SessionService } from '../../src/sessions/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SYSTEM = systemActor();

function sessionSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let sessions: SessionService;
  let orgId: string;
  let userId: string;
  const log = createLog({ env: 'test', level: 'silent' });

  const settle = () => new Promise((r) => setTimeout(r, 100));

  /** A live session in the engine's store, as a sign-in leaves it; its uid is the mirror's session id. */
  const engineSessions = () => createAdapterFactory({ db, kv, log, clock, organizationId: orgId })('Session');
  async function startLive(uid: string): Promise<void> {
    await engineSessions().upsert(`engine-${uid}`, { jti: `engine-${uid}`, kind: 'Session', uid, accountId: userId, exp: Math.floor(clock.now() / 1000) + 3600 }, 3600);
  }
  const isLive = async (uid: string) => (await engineSessions().findByUid(uid)) !== undefined;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 0, 10));
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    sessions = svc.sessions;
    orgId = (await db.one<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ('Mirror', 'mirror-org') RETURNING id`)).id;
    userId = (await db.one<{ id: string }>(`INSERT INTO users (organization_id, email) VALUES ($1, 'm@example.com') RETURNING id`, [orgId])).id;
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  const snapshot = (sessionId: string, overrides: Record<string, unknown> = {}) => ({
    sessionId, userId, organizationId: orgId, clientId: null, grantId: null, ipAddress: '198.51.100.4', userAgent: 'UA-1',
    expiresAt: new Date(clock.now() + DAY), ...overrides,
  });

  it('upserts without overwriting known values with null, keeps the creating request, and moves the activity time', async () => {
    sessions.mirrorSaved(snapshot('s-1', { grantId: 'g-1' }));
    await settle();
    clock.advance(HOUR);
    sessions.mirrorSaved(snapshot('s-1', { grantId: null, ipAddress: '203.0.113.9', userAgent: 'UA-2', clientId: '00000000-0000-4000-8000-00000000dead' }));
    await settle();
    const row = await sessions.get('s-1');
    expect(row).toMatchObject({ grantId: 'g-1', ipAddress: '198.51.100.4', userAgent: 'UA-1', clientId: null, revokedAt: null });
    expect(row.lastActivityAt.getTime() - row.createdAt.getTime()).toBe(HOUR);
  });

  it('lists active sessions newest activity first, and all of them with activeOnly=false', async () => {
    clock.advance(1000);
    sessions.mirrorSaved(snapshot('s-2'));
    sessions.mirrorSaved(snapshot('s-old', { expiresAt: new Date(clock.now() + 1000) }));
    await settle();
    clock.advance(2000);
    const active = await sessions.list({ userId });
    expect(active.data.map((s) => s.sessionId)).toEqual(['s-2', 's-1']);
    expect(active).toMatchObject({ total: 2, page: 1, pageSize: 20 });
    expect((await sessions.list({ userId, activeOnly: 'false' as unknown as boolean })).total).toBe(3);
    await expectAppError(sessions.get('nope'), 'not_found', 'session_not_found');
  });

  it('revokes: marks the row, destroys the live session once committed, and is 404 for an untracked id', async () => {
    await startLive('s-2');
    // Rolled back with the caller's transaction: the row stays active and the live session untouched.
    await expect(db.transaction(async () => {
      await sessions.revoke('s-2');
      throw new Error('caller failed');
    })).rejects.toThrow('caller failed');
    expect((await sessions.get('s-2')).revokedAt).toBeNull();
    expect(await isLive('s-2')).toBe(true);

    expect(await sessions.revoke('s-2')).toMatchObject({ sessionId: 's-2', userId, organizationId: orgId });
    expect((await sessions.get('s-2')).revokedAt).not.toBeNull();
    expect(await isLive('s-2')).toBe(false);
    // Only tracked sessions are addressed now: a live session without a mirror row is not found.
    await startLive('untracked');
    await expectAppError(sessions.revoke('untracked'), 'not_found', 'session_not_found');
    expect(await isLive('untracked')).toBe(true);
    await expectAppError(sessions.revoke('ghost'), 'not_found', 'session_not_found');
  });

  it('revokeTracked authorizes, revokes and audits session.revoked in one transaction', async () => {
    sessions.mirrorSaved(snapshot('s-admin'));
    await settle();
    await startLive('s-admin');
    const { id: auditorId } = await db.one<{ id: string }>(`INSERT INTO users (organization_id, email) VALUES ($1, 'auditor@example.com') RETURNING id`, [orgId]);
    const auditor = adminActor({ userId: auditorId, organizationId: orgId, permissions: adminPermissionsOf(['porta-auditor']), isSuperAdmin: false });
    const err = await expectAppError(sessions.revokeTracked(auditor, 's-admin'), 'forbidden', 'forbidden');
    expect(err.details).toEqual({ missing: ['admin:session:revoke'] });
    expect((await sessions.get('s-admin')).revokedAt).toBeNull();
    expect(await isLive('s-admin')).toBe(true);
    await expectAppError(sessions.revokeTracked(SYSTEM, 'ghost'), 'not_found', 'session_not_found');

    await sessions.revokeTracked(SYSTEM, 's-admin');
    expect((await sessions.get('s-admin')).revokedAt).not.toBeNull();
    expect(await isLive('s-admin')).toBe(false);
    const { data } = await svc.audit.list({ event: 'session.revoked', targetId: 's-admin' });
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ targetType: 'session', organizationId: orgId, userId, actorType: 'system', source: 'system', eventCategory: 'security' });
  });

  it('ends every active session, grant and token of a user and counts them', async () => {
    sessions.mirrorSaved(snapshot('s-3'));
    await settle();
    await startLive('s-3');
    await db.query(
      "INSERT INTO oidc_payloads (id, type, payload, organization_id, account_id) VALUES ('rt-1', 'RefreshToken', '{}', $1, $2), ('g-1', 'Grant', '{}', $1, $2)",
      [orgId, userId],
    );
    expect(await sessions.endAllForUser(orgId, userId)).toEqual({ sessions: 2, tokens: 2 });
    expect(await isLive('s-3')).toBe(false);
    expect(await db.many('SELECT id FROM oidc_payloads WHERE account_id = $1', [userId])).toEqual([]);
    expect(await sessions.endAllForUser(orgId, userId)).toEqual({ sessions: 0, tokens: 0 });
    expect((await sessions.list({ userId })).total).toBe(0);
  });

  it('purges rows whose expiry is more than 7 days past', async () => {
    clock.advance(7 * DAY);
    expect(await sessions.purgeOld()).toBe(1);
    expect(await sessions.find('s-old')).toBeNull();
    expect(await sessions.find('s-1')).not.toBeNull();
    clock.advance(2 * DAY);
    expect(await sessions.purgeOld()).toBe(4);
  });
}

onEachDatabase('session mirror', sessionSuite);
