import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createMemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { createOrganizationService } from '../../src/organizations/index.js';
import { createApplicationService } from '../../src/applications/index.js';
import { AUDIT_EXPORT_LIMIT, ExportQuery, createExportService, type ExportService } from '../../src/exports/index.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { adminActor, adminPermissionsOf, cliDirectActor, systemActor, type Actor } from '../../src/actors/index.js';
import type { AdminPermission } from '../../src/actors/index.js';

/** An admin the database does not know (no audit entry of theirs can be written) holding exactly these permissions. */
const holding = (...permissions: AdminPermission[]): Actor =>
  adminActor({ userId: randomUUID(), organizationId: randomUUID(), permissions: new Set(permissions), isSuperAdmin: false });

async function text(gen: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of gen) out += chunk;
  return out;
}

function exportsSuite(open: () => Promise<{ db: Db; dispose(): Promise<void> }>) {
  let db: Db;
  let dispose: () => Promise<void>;
  let exportsService: ExportService;
  let audit: AuditService;
  let orgId: string;
  const system = systemActor();
  const downloads = async () => (await audit.list({ event: 'export.downloaded', limit: 500 })).data;
  const clock = createManualClock(Date.UTC(2026, 2, 4, 5, 6, 7));

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const log = createLog({ env: 'test', level: 'silent' });
    const kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    const organizations = createOrganizationService({ db, kv, clock, log, audit });
    exportsService = createExportService({ db, clock, audit, organizations, applications: createApplicationService({ db, kv, clock, log, audit }) });
    orgId = (await organizations.create(system, { name: 'Export org', slug: 'export-org' })).id;
    // Many rows sharing one created_at: the keyset must still page through each exactly once.
    await db.query(
      `INSERT INTO users (organization_id, email, password_hash, created_at)
       SELECT $1, 'user' || n || '@example.com', 'hash-' || n, timestamptz '2026-01-01T00:00:00.123456Z' + ((n / 400) * interval '1 microsecond')
         FROM generate_series(1, 1203) AS n`,
      [orgId],
    );
    await db.query(
      `INSERT INTO audit_log (organization_id, event_type, event_category, created_at)
       SELECT $1, 'test.event', 'admin', timestamptz '2026-01-01T00:00:00Z' + n * interval '1 second' FROM generate_series(1, $2::int) AS n`,
      [orgId, AUDIT_EXPORT_LIMIT + 5],
    );
  });
  afterAll(() => dispose?.());

  it('streams every row once across batches, in creation order, without hashes', async () => {
    const prepared = await exportsService.download(system, 'users', ExportQuery.parse({ organizationId: orgId }));
    expect(prepared).toMatchObject({ total: 1203, filename: 'users-export-2026-03-04T05-06-07.json', contentType: 'application/json; charset=utf-8' });
    const body = JSON.parse(await text(prepared.body())) as { data: Array<Record<string, unknown>>; total: number; exportedAt: string };
    expect(body.total).toBe(1203);
    expect(body.exportedAt).toBe('2026-03-04T05:06:07.000Z');
    expect(new Set(body.data.map((u) => u.id)).size).toBe(1203);
    expect(JSON.stringify(body)).not.toContain('hash-');
  });

  it('keeps the newest audit entries up to the limit', async () => {
    const prepared = await exportsService.download(system, 'audit', ExportQuery.parse({ organizationId: orgId, format: 'csv' }));
    expect(prepared.total).toBe(AUDIT_EXPORT_LIMIT);
    const lines = (await text(prepared.body())).trimEnd().split('\r\n');
    expect(lines).toHaveLength(AUDIT_EXPORT_LIMIT + 1);
    expect(lines[1]).toContain(new Date(Date.UTC(2026, 0, 1) + (AUDIT_EXPORT_LIMIT + 5) * 1000).toISOString());
    const ranged = await exportsService.download(system, 'audit', ExportQuery.parse({ organizationId: orgId, startDate: '2026-01-01T00:00:01Z', endDate: '2026-01-01T00:00:03Z' }));
    expect(ranged.total).toBe(3);
  });

  it('refuses filters that do not apply and requires the ones that do', async () => {
    await expect(exportsService.download(system, 'organizations', ExportQuery.parse({ organizationId: orgId }))).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(exportsService.download(system, 'users', ExportQuery.parse({ startDate: '2026-01-01' }))).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(exportsService.download(system, 'sessions', ExportQuery.parse({}))).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('records export.downloaded with the filters, the row count and who downloaded through which edge', async () => {
    const before = (await downloads()).length;
    const ops = cliDirectActor('ops', { requestId: 'req-export-1' });
    const prepared = await exportsService.download(ops, 'users', ExportQuery.parse({ organizationId: orgId, format: 'csv' }));
    const [entry] = await downloads();
    expect(await downloads()).toHaveLength(before + 1);
    expect(entry).toMatchObject({
      eventType: 'export.downloaded', eventCategory: 'admin', organizationId: orgId,
      metadata: { entityType: 'users', format: 'csv', total: 1203, organizationId: orgId },
      actorType: 'cli_direct', actorName: 'ops', source: 'cli-direct', requestId: 'req-export-1',
    });
    expect(prepared.total).toBe(1203);
  });

  it('requires export:read plus the type’s read permission (audit exports need audit:read), before anything else', async () => {
    const before = (await downloads()).length;
    const cases: Array<[Actor, string, Record<string, string>, AdminPermission[]]> = [
      [holding('admin:audit:read'), 'audit', { organizationId: orgId }, ['admin:export:read']],
      [holding('admin:export:read'), 'audit', { organizationId: orgId }, ['admin:audit:read']],
      [holding('admin:export:read', 'admin:user:read'), 'audit', { organizationId: orgId }, ['admin:audit:read']],
      [holding(), 'users', { organizationId: orgId }, ['admin:export:read', 'admin:user:read']],
      [holding('admin:export:read'), 'organizations', {}, ['admin:org:read']],
      [holding(), 'sessions', {}, ['admin:export:read']],
      // A 403 comes before any 400 or 404: it never reveals whether the organization exists.
      [holding('admin:export:read'), 'users', { organizationId: randomUUID() }, ['admin:user:read']],
    ];
    for (const [actor, type, query, missing] of cases) {
      const err = await expectAppError(exportsService.download(actor, type, ExportQuery.parse(query)), 'forbidden', 'forbidden');
      expect(err.details, `${type} ${[...actor.permissions].join(' ')}`).toEqual({ missing });
    }
    expect(await downloads()).toHaveLength(before);
    // The porta-auditor role holds both.
    const auditor = adminActor({ userId: randomUUID(), organizationId: randomUUID(), permissions: adminPermissionsOf(['porta-auditor']), isSuperAdmin: false });
    // Allowed, so only its audit entry fails: this admin is unknown to the database (actor_id is a foreign key).
    await expect(exportsService.download(auditor, 'audit', ExportQuery.parse({ organizationId: orgId }))).rejects.not.toMatchObject({ kind: 'forbidden' });
    expect(await downloads()).toHaveLength(before);
  });
}

onEachDatabase('exports', exportsSuite);
