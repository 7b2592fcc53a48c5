import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';

const DAY = 86_400_000;
const TARGET = '5b0f3c3e-0000-4000-8000-000000000001';

function auditSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let audit: AuditService;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.UTC(2026, 5, 1));
    audit = createAuditService({ db, clock, log: createLog({ env: 'test', level: 'info' }), retentionDays: async () => 90 });
    // Ten days of entries, one per day, oldest first: three login events and a mix of admin writes.
    const events = ['organization.created', 'user.login.password.success', 'user.login.password.failed', 'client.created', 'user.login.password.failed',
      'organization.suspended', 'config.updated', 'client.secret.generated', 'client.revoked', 'organization.activated'];
    for (const [i, eventType] of events.entries()) {
      clock.set(Date.UTC(2026, 5, 1) + i * DAY);
      await audit.record({
        eventType,
        eventCategory: eventType.startsWith('user.login') ? 'authentication' : 'admin',
        targetType: eventType.split('.')[0]!,
        targetId: TARGET,
        ipAddress: '192.0.2.7',
        userAgent: 'vitest',
        metadata: { n: i },
      });
    }
  });
  afterAll(() => dispose());

  it('lists newest first with totals, and filters by exact type, prefix, category and time', async () => {
    const all = await audit.list({ limit: 3 });
    expect(all.total).toBe(10);
    expect(all.data.map((e) => e.metadata.n)).toEqual([9, 8, 7]);
    expect(all.data[0]).toMatchObject({ eventType: 'organization.activated', ipAddress: '192.0.2.7', userAgent: 'vitest', actorId: null });

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

  it('cleans up entries older than the retention period, with a dry run first', async () => {
    clock.set(Date.UTC(2026, 5, 1) + 95 * DAY);
    const dry = await audit.cleanup({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, retentionDays: 90, entriesFound: 5, deleted: 0 });
    expect((await audit.list()).total).toBe(10);
    const done = await audit.cleanup({ retentionDays: 90 });
    expect(done).toMatchObject({ dryRun: false, entriesFound: 5, deleted: 5 });
    expect((await audit.list()).data.map((e) => e.metadata.n)).toEqual([9, 8, 7, 6, 5]);
    await expectAppError(audit.cleanup({ retentionDays: 0 }), 'invalid', 'validation_failed');
  });
}

onEachDatabase('audit log', auditSuite);
