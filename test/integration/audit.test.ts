import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import {
  ADMIN_PERMISSIONS,
  adminActor,
  adminPermissionsOf,
  cliDirectActor,
  serviceAccountActor,
  viaSource,
  type Actor,
} from '../../src/actors/index.js';

const DAY = 86_400_000;
const TARGET = '5b0f3c3e-0000-4000-8000-000000000001';

function auditSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let audit: AuditService;
  let admin: Actor;
  let robot: Actor;
  const seeder = cliDirectActor('seeder', { ip: '192.0.2.7', userAgent: 'vitest' });
  const others = (entries: { eventType: string; metadata: Record<string, unknown> }[]) => entries.filter((e) => e.eventType !== 'audit.cleanup');

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 5, 1));
    audit = createAuditService({ db, clock, log: createLog({ env: 'test', level: 'silent' }), retentionDays: async () => 90 });
    // Who acts in these tests exists in the database: actor_id and actor_client_id are foreign keys.
    const org = await db.one<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ('Audit org', 'audit-org') RETURNING id`);
    const app = await db.one<{ id: string }>(`INSERT INTO applications (name, slug) VALUES ('Audit app', 'audit-app') RETURNING id`);
    const client = await db.one<{ id: string }>(
      `INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type, is_service_account)
       VALUES ($1, $2, 'audit-robot', 'Audit robot', 'confidential', true) RETURNING id`,
      [org.id, app.id],
    );
    const user = await db.one<{ id: string }>(`INSERT INTO users (organization_id, email) VALUES ($1, 'root@audit.test') RETURNING id`, [org.id]);
    admin = adminActor(
      { userId: user.id, organizationId: org.id, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true },
      { ip: '198.51.100.4', userAgent: 'admin-ui', requestId: 'req-admin-1' },
    );
    robot = serviceAccountActor({ clientId: client.id, name: 'Audit robot', organizationId: org.id, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: false });

    // Ten days of entries, one per day, oldest first: three login events and a mix of admin writes.
    const events = ['organization.created', 'user.login.password.success', 'user.login.password.failed', 'client.created', 'user.login.password.failed',
      'organization.suspended', 'config.updated', 'client.secret.generated', 'client.revoked', 'organization.activated'];
    for (const [i, eventType] of events.entries()) {
      clock.set(Date.UTC(2026, 5, 1) + i * DAY);
      await audit.record(seeder, {
        eventType,
        eventCategory: eventType.startsWith('user.login') ? 'authentication' : 'admin',
        targetType: eventType.split('.')[0]!,
        targetId: TARGET,
        metadata: { n: i },
      });
    }
  });
  afterAll(() => dispose());

  it('lists newest first with totals, and filters by exact type, prefix, category and time', async () => {
    const all = await audit.list({ limit: 3 });
    expect(all.total).toBe(10);
    expect(all.data.map((e) => e.metadata.n)).toEqual([9, 8, 7]);
    expect(all.data[0]).toMatchObject({
      eventType: 'organization.activated', ipAddress: '192.0.2.7', userAgent: 'vitest',
      actorId: null, actorType: 'cli_direct', actorName: 'seeder', actorClientId: null, source: 'cli-direct', requestId: null,
    });

    expect((await audit.list({ event: 'user.login.password.failed' })).total).toBe(2);
    expect((await audit.list({ event: 'client.' })).data.map((e) => e.eventType)).toEqual(['client.revoked', 'client.secret.generated', 'client.created']);
    expect((await audit.list({ category: 'authentication' })).total).toBe(3);
    const window = await audit.list({ since: new Date(Date.UTC(2026, 5, 3)).toISOString(), until: new Date(Date.UTC(2026, 5, 5)).toISOString() });
    expect(window.data.map((e) => e.metadata.n)).toEqual([4, 3, 2]);
  });

  it('pages with an opaque cursor until the end, and refuses a forged cursor', async () => {
    const seen: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.list({ limit: 4, cursor });
      seen.push(...page.data.map((e) => e.metadata.n));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    await expectAppError(audit.list({ cursor: 'not-a-cursor' }), 'invalid', 'invalid_cursor');
  });

  it('serves a target history page by page, with an event-type prefix', async () => {
    const first = await audit.history('organization', TARGET, { limit: 2 });
    expect(first.data.map((e) => e.eventType)).toEqual(['organization.activated', 'organization.suspended']);
    expect(first.hasMore).toBe(true);
    const rest = await audit.history('organization', TARGET, { limit: 2, after: first.nextCursor! });
    expect(rest).toMatchObject({ hasMore: false, nextCursor: null });
    expect(rest.data.map((e) => e.eventType)).toEqual(['organization.created']);
    expect((await audit.history('client', TARGET, { event_type: 'client.secret' })).data).toHaveLength(1);
  });

  it('counts login activity over 24 h, 7 d and 30 d', async () => {
    clock.set(Date.UTC(2026, 5, 10, 12));
    const activity = await audit.loginActivity();
    expect(activity.last30d).toEqual({ successful: 1, failed: 2 });
    expect(activity.last7d).toEqual({ successful: 0, failed: 1 });
    expect(activity.last24h).toEqual({ successful: 0, failed: 0 });
  });

  it('refuses clean-up without config:update (403 details.missing), deleting and recording nothing', async () => {
    clock.set(Date.UTC(2026, 5, 1) + 95 * DAY);
    const auditor = adminActor({ userId: randomUUID(), organizationId: randomUUID(), permissions: adminPermissionsOf(['porta-auditor']), isSuperAdmin: false });
    const err = await expectAppError(audit.cleanup(auditor, { retentionDays: 1 }), 'forbidden', 'forbidden');
    expect(err.details).toEqual({ missing: ['admin:config:update'] });
    expect((await audit.list()).total).toBe(10);
  });

  it('rolls clean-up back when its own audit entry cannot be written', async () => {
    // actor_id references users: an admin unknown to the database makes the audit insert fail.
    const ghost = adminActor({ userId: randomUUID(), organizationId: randomUUID(), permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true });
    await expect(audit.cleanup(ghost, { retentionDays: 1 })).rejects.toThrow();
    expect((await audit.list()).total).toBe(10);
  });

  it('cleans up entries older than the retention period, with a dry run first, recording audit.cleanup', async () => {
    const dry = await audit.cleanup(admin, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, retentionDays: 90, entriesFound: 5, deleted: 0 });
    expect(others((await audit.list()).data)).toHaveLength(10);
    const done = await audit.cleanup(viaSource(admin, 'import'), { retentionDays: 90 });
    expect(done).toMatchObject({ dryRun: false, entriesFound: 5, deleted: 5 });
    expect(others((await audit.list()).data).map((e) => e.metadata.n)).toEqual([9, 8, 7, 6, 5]);
    const entries = (await audit.list({ event: 'audit.cleanup' })).data;
    expect(entries.map((e) => [e.metadata, e.actorType, e.source])).toEqual([
      [done, 'admin', 'import'],
      [dry, 'admin', 'api'],
    ]);
    expect(entries[1]).toMatchObject({ actorId: admin.userId, actorName: null, requestId: 'req-admin-1', ipAddress: '198.51.100.4', eventCategory: 'admin' });
    await expectAppError(audit.cleanup(admin, { retentionDays: 0 }), 'invalid', 'validation_failed');
  });

  it('filters by acting service account and by source, and shows who acted', async () => {
    clock.set(Date.UTC(2026, 8, 1));
    await audit.record(robot, { eventType: 'test.actor.robot', metadata: {} });
    await audit.record(viaSource(admin, 'bulk'), { eventType: 'test.actor.bulk', metadata: {} });
    await audit.record(admin, { eventType: 'test.actor.api', metadata: {} });

    const byRobot = await audit.list({ actorClient: robot.clientId! });
    expect(byRobot.data.map((e) => e.eventType)).toEqual(['test.actor.robot']);
    expect(byRobot.data[0]).toMatchObject({ actorType: 'service_account', actorClientId: robot.clientId, actorName: 'Audit robot', actorId: null, source: 'api' });
    expect((await audit.list({ source: 'bulk' })).data.map((e) => e.eventType)).toEqual(['test.actor.bulk']);
    expect((await audit.list({ source: 'api', event: 'test.actor.' })).data.map((e) => e.eventType)).toEqual(['test.actor.api', 'test.actor.robot']);
    expect((await audit.list({ actor: admin.userId!, event: 'test.actor.' })).total).toBe(2);
    await expectAppError(audit.list({ actorClient: 'robot' }), 'invalid', 'validation_failed');
  });

  it('pages through entries written in the same instant in a stable order, without loss or duplicates', async () => {
    clock.set(Date.UTC(2026, 9, 1, 12));
    const ids: string[] = [];
    for (let n = 1; n <= 11; n++) ids.push((await audit.record(seeder, { eventType: 'test.same.instant', metadata: { n } })).id);
    const at = (await audit.list({ event: 'test.same.instant', limit: 500 })).data.map((e) => e.createdAt.getTime());
    expect(new Set(at)).toEqual(new Set([Date.UTC(2026, 9, 1, 12)]));

    const walk = async (limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await audit.list({ event: 'test.same.instant', limit, cursor });
        expect(page.total).toBe(11);
        seen.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen;
    };
    // Newest first: ties go to the later insert (higher seq).
    const expected = [...ids].reverse();
    expect(await walk(3)).toEqual(expected);
    expect(await walk(4)).toEqual(expected);
    expect(await walk(1)).toEqual(expected);
    expect(await walk(11)).toEqual(expected);
  });
}

onEachDatabase('audit log', auditSuite);
