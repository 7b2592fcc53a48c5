import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createMigrator, createPostgresDb, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { createServices, type Services } from '../../src/services.js';
import { cliDirectActor } from '../../src/actors/index.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';
import { waitFor } from '../support/db-roles.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 6, 1, 3);

describeWithPostgres('automatic audit retention: daily, one instance of many, as the system actor', () => {
  let database: TestDatabase;
  const dbs: Db[] = [];
  const instances: Services[] = [];
  const clock = createManualClock(T0);

  const remaining = async () =>
    (await dbs[0]!.many<{ event_type: string }>("SELECT event_type FROM audit_log WHERE event_type <> 'audit.cleanup' ORDER BY created_at")).map((r) => r.event_type);
  const automaticRuns = async () =>
    dbs[0]!.many<{ actor_type: string; source: string; actor_name: string; metadata: Record<string, unknown>; created_at: Date }>(
      "SELECT actor_type, source, actor_name, metadata, created_at FROM audit_log WHERE event_type = 'audit.cleanup' ORDER BY created_at",
    );
  /** Every instance asks twice at the same moment: the instances race, and so do two connections of one pool. */
  const race = async () => {
    const results = await Promise.all(instances.flatMap((s) => [s.audit.runRetentionIfDue(), s.audit.runRetentionIfDue()]));
    return results.filter((r) => r !== null);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url });
    const log = createLog({ env: 'test', level: 'silent' });
    for (let i = 0; i < 2; i++) {
      const db = createPostgresDb({ url: database.url });
      dbs.push(db);
      if (i === 0) await createMigrator(db).up();
      // Request-only: no timers of their own; the test drives the retention run and its timer.
      instances.push(await createServices({ config, db, kv: createMemoryKv({ clock }), clock, log, isSchemaCurrent: () => true, isRequestOnly: true }));
    }
    const seeder = cliDirectActor('seeder');
    for (const [eventType, at] of [['ancient.entry', T0 - 100 * DAY], ['nearly.expired', T0 - 89.5 * DAY], ['recent.entry', T0 - DAY]] as const) {
      clock.set(at);
      await instances[0]!.audit.record(seeder, { eventType, eventCategory: 'system' });
    }
    clock.set(T0);
  });
  afterAll(async () => {
    for (const s of instances) s.stop();
    for (const db of dbs) await db.close();
    await database?.drop();
  });

  it('runs once when two instances race for it, with audit_retention_days (90 by default), as the system actor', async () => {
    const ran = await race();
    expect(ran).toEqual([{ dryRun: false, retentionDays: 90, cutoff: new Date(T0 - 90 * DAY).toISOString(), entriesFound: 1, deleted: 1 }]);
    expect(await remaining()).toEqual(['nearly.expired', 'recent.entry']);
    const runs = await automaticRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ actor_type: 'system', source: 'system', actor_name: 'audit-retention', metadata: { deleted: 1, retentionDays: 90 } });
    expect(runs[0]!.created_at.getTime()).toBe(T0);
  });

  it('does not run again within the day, and runs once more when the clock has moved a day', async () => {
    clock.set(T0 + 23 * HOUR);
    expect(await race()).toEqual([]);
    clock.set(T0 + DAY);
    const ran = await race();
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ deleted: 1, cutoff: new Date(T0 + DAY - 90 * DAY).toISOString() });
    expect(await remaining()).toEqual(['recent.entry']);
    expect(await automaticRuns()).toHaveLength(2);
  });

  it('the timer checks by itself and runs when a day has passed on the clock', async () => {
    clock.set(T0 + 2 * DAY);
    const stops = instances.map((s) => s.audit.startRetentionTimer({ firstCheckMs: 0, intervalMs: 20 }));
    try {
      const runs = await waitFor(automaticRuns, (r) => r.length === 3);
      expect(runs.map((r) => r.created_at.getTime())).toEqual([T0, T0 + DAY, T0 + 2 * DAY]);
      // Many more checks, no second run on the same day.
      await new Promise((r) => setTimeout(r, 200));
      expect(await automaticRuns()).toHaveLength(3);
    } finally {
      for (const stop of stops) stop();
    }
  });
});
