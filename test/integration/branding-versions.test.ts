import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { systemActor } from '../../src/actors/index.js';
import { createAuditService } from '../../src/audit/index.js';
import { createBrandingService, type BrandingService } from '../../src/branding/index.js';
import { createOrganizationService, type Organization } from '../../src/organizations/index.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
const SHA256 = createHash('sha256').update(PNG).digest('hex');
const sys = systemActor();

/**
 * Issue 13: the asset versions every page asks for are a per-process copy. Two services on the same
 * stores stand for two processes: a write shows at once in the writing one, in the other within a second.
 */
function brandingVersionsSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: MemoryKv;
  let clock: ManualClock;
  let a: BrandingService;
  let b: BrandingService;
  let org: Organization;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.now());
    kv = createMemoryKv({ clock });
    const log = createLog({ env: 'test', level: 'silent' });
    const audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    const process = () => {
      const organizations = createOrganizationService({ db, kv, clock, log, audit });
      return createBrandingService({ db, kv, clock, log, audit, organizations });
    };
    a = process();
    b = process();
    org = await createOrganizationService({ db, kv, clock, log, audit }).create(sys, { name: `Branded ${randomBytes(4).toString('hex')}` });
  });
  afterAll(async () => {
    await kv?.close();
    await dispose?.();
  });

  it('an upload and a delete show in the writing process at once, in the other within a second', async () => {
    expect(await a.versions(org.id)).toEqual({});
    expect(await b.versions(org.id)).toEqual({});

    await b.upload(sys, org.id, 'logo', { data: PNG, contentType: 'image/png' });
    expect(await b.versions(org.id)).toEqual({ logo: SHA256 });
    expect(await a.versions(org.id)).toEqual({});
    clock.advance(1_000);
    expect(await a.versions(org.id)).toEqual({ logo: SHA256 });
    expect(await b.versions(org.id)).toEqual({ logo: SHA256 });

    await a.remove(sys, org.id, 'logo');
    expect(await a.versions(org.id)).toEqual({});
    expect(await b.versions(org.id)).toEqual({ logo: SHA256 });
    clock.advance(1_000);
    expect(await b.versions(org.id)).toEqual({});
  });

  it('forget (the organization destroyed) drops every process’s copy', async () => {
    await b.upload(sys, org.id, 'favicon', { data: PNG, contentType: 'image/png' });
    clock.advance(1_000);
    expect(Object.keys(await a.versions(org.id))).toEqual(['favicon']);
    await db.query('DELETE FROM branding_assets WHERE organization_id = $1', [org.id]);
    await b.forget(org.id);
    expect(await b.versions(org.id)).toEqual({});
    clock.advance(1_000);
    expect(await a.versions(org.id)).toEqual({});
  });

  it('hands every caller its own object', async () => {
    const first = await a.versions(org.id);
    (first as Record<string, string>).logo = 'tampered';
    expect(await a.versions(org.id)).toEqual({});
  });
}

onEachDatabase('branding versions, a per-process copy', brandingVersionsSuite);
