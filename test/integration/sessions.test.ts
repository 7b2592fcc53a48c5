import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createSessionService, type SessionService } from '../../src/sessions/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function sessionSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let sessions: SessionService;
  let orgId: string;
  let userId: string;
  const destroyed: string[] = [];
  const live = new Set<string>();

  const settle = () => new Promise((r) => setTimeout(r, 100));

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 0, 10));
    sessions = createSessionService({
      db, clock, log: createLog({ env: 'test', level: 'info' }),
      destroyLive: async (_org, id) => {
        destroyed.push(id);
        return live.delete(id);
      },
    });
    orgId = (await db.one<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ('Mirror', 'mirror-org') RETURNING id`)).id;
    userId = (await db.one<{ id: string }>(`INSERT INTO users (organization_id, email) VALUES ($1, 'm@example.com') RETURNING id`, [orgId])).id;
  });
  afterAll(() => dispose());

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

  it('revokes: marks the row, destroys the live session, and is 404 only when neither exists', async () => {
    live.add('s-2');
    await sessions.revoke('s-2');
    expect(destroyed).toContain('s-2');
    expect((await sessions.get('s-2')).revokedAt).not.toBeNull();
    live.add('untracked');
    await sessions.revoke('untracked', orgId);
    expect(live.has('untracked')).toBe(false);
    await expectAppError(sessions.revoke('ghost', orgId), 'not_found', 'session_not_found');
  });

  it('revokes every active session of a user and counts them', async () => {
    sessions.mirrorSaved(snapshot('s-3'));
    await settle();
    expect(await sessions.revokeAllForUser(userId)).toBe(2);
    expect(await sessions.revokeAllForUser(userId)).toBe(0);
    expect((await sessions.list({ userId })).total).toBe(0);
  });

  it('purges rows whose expiry is more than 7 days past', async () => {
    clock.advance(7 * DAY);
    expect(await sessions.purgeOld()).toBe(1);
    expect(await sessions.find('s-old')).toBeNull();
    expect(await sessions.find('s-1')).not.toBeNull();
    clock.advance(2 * DAY);
    expect(await sessions.purgeOld()).toBe(3);
  });
}

onEachDatabase('session mirror', sessionSuite);
