import { onEachDatabase } from '../support/databases.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { AppError } from '../../src/platform/errors.js';
import { createApplicationService, type ApplicationService } from '../../src/applications/index.js';

type Open = () => Promise<{ db: Db; dispose(): Promise<void> }>;

const MISSING = '00000000-0000-4000-8000-000000000000';
const token = () => randomBytes(4).toString('hex');

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

function applicationSuite(open: Open) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: Kv;
  let apps: ApplicationService;
  let other: ApplicationService;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const clock = createManualClock();
    const log = createLog({ env: 'test', level: 'silent' });
    kv = createMemoryKv({ clock });
    apps = createApplicationService({ db, kv, clock, log });
    other = createApplicationService({ db, kv, clock, log });
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('applications', () => {
    it('creates with a derived, globally unique slug', async () => {
      const name = `Billing App ${token()}`;
      const first = await apps.create({ name, description: 'Invoices' });
      expect(first).toMatchObject({ name, description: 'Invoices', status: 'active' });
      expect(first.slug).toMatch(/^billing-app-[0-9a-f]{8}$/);
      expect(first.createdAt).toMatch(/Z$/);
      expect((await apps.create({ name })).slug).toBe(`${first.slug}-2`);
      expect((await apps.create({ name: 'Admin' })).slug).toBe('admin');
    });

    it('takes an explicit slug, reserved words included, and refuses duplicates and bad formats', async () => {
      const slug = `crm-${token()}`;
      expect((await apps.create({ name: 'CRM', slug })).slug).toBe(slug);
      const dup = await errorOf(apps.create({ name: 'CRM 2', slug }));
      expect([dup.kind, dup.code]).toEqual(['conflict', 'application_slug_taken']);
      expect((await apps.create({ name: 'Api', slug: 'api' })).slug).toBe('api');
      for (const bad of ['ab', '-crm', 'CRM', 'c r m']) {
        const err = await errorOf(apps.create({ name: 'Bad', slug: bad }));
        expect([err.kind, err.code], bad).toEqual(['invalid', 'invalid_slug']);
      }
      expect((await errorOf(apps.create({ name: '' }))).code).toBe('validation_failed');
      expect((await errorOf(apps.create({ name: 'Long', description: 'd'.repeat(2001) }))).code).toBe('validation_failed');
    });

    it('finds by id and slug; getById throws application_not_found', async () => {
      const app = await apps.create({ name: `Find ${token()}` });
      expect(await apps.findById(app.id)).toEqual(app);
      expect(await apps.findBySlug(app.slug)).toEqual(app);
      expect(await apps.findByIdOrSlug(app.slug)).toEqual(app);
      expect(await apps.getByIdOrSlug(app.id)).toEqual(app);
      expect(await apps.findById(MISSING)).toBeNull();
      expect(await apps.findById('nope')).toBeNull();
      expect(await apps.findBySlug('no-such-app')).toBeNull();
      const err = await errorOf(apps.getById(MISSING));
      expect([err.kind, err.code]).toEqual(['not_found', 'application_not_found']);
    });

    it('lists with filter, search, paging and sort', async () => {
      const tag = `al${token()}`;
      for (const n of ['Zulu', 'Yankee', 'Xray']) await apps.create({ name: `${n} ${tag}` });
      const xray = await apps.findBySlug(`xray-${tag}`);
      await apps.setStatus(xray!.id, 'inactive');
      const page = await apps.list({ search: tag, sort: 'name', order: 'asc', pageSize: 2 });
      expect(page).toMatchObject({ total: 3, page: 1, pageSize: 2, totalPages: 2 });
      expect(page.data.map((a) => a.name)).toEqual([`Xray ${tag}`, `Yankee ${tag}`]);
      expect((await apps.list({ search: tag, status: 'active' })).total).toBe(2);
      expect((await apps.list({ search: tag, status: 'inactive' })).data.map((a) => a.slug)).toEqual([`xray-${tag}`]);
      expect((await errorOf(apps.list({ pageSize: 500 })))?.code).toBe('validation_failed');
    });

    it('updates name, description and slug, dropping the cached copy', async () => {
      const app = await apps.create({ name: `Upd ${token()}`, description: 'old' });
      await other.findById(app.id);
      const slug = `upd-new-${token()}`;
      const updated = await apps.update(app.id, { name: 'Updated', description: null, slug });
      expect(updated).toMatchObject({ name: 'Updated', description: null, slug });
      expect(await other.findById(app.id)).toEqual(updated);
      const taken = await apps.create({ name: `Taken ${token()}` });
      expect((await errorOf(apps.update(app.id, { slug: taken.slug }))).code).toBe('application_slug_taken');
      expect((await errorOf(apps.update(app.id, { slug: 'no' }))).code).toBe('invalid_slug');
      expect((await errorOf(apps.update(MISSING, { name: 'x' }))).code).toBe('application_not_found');
    });

    it('caches findById for 300 s under porta:cache:app:{id}', async () => {
      const app = await apps.create({ name: `Cache ${token()}` });
      await other.findById(app.id);
      expect(await kv.get(`porta:cache:app:${app.id}`)).not.toBeNull();
      expect(await kv.ttl(`porta:cache:app:${app.id}`)).toBe(300);
      await db.query('UPDATE applications SET name = $2 WHERE id = $1', [app.id, 'Behind the back']);
      expect((await other.findById(app.id))?.name).toBe(app.name);
    });

    it('changes status along the allowed paths', async () => {
      const app = await apps.create({ name: `Status ${token()}` });
      await other.findById(app.id);
      expect(await apps.setStatus(app.id, 'inactive')).toMatchObject({ previousStatus: 'active', application: { status: 'inactive' } });
      expect((await other.findById(app.id))?.status).toBe('inactive');
      const same = await errorOf(apps.setStatus(app.id, 'inactive'));
      expect([same.kind, same.code]).toEqual(['conflict', 'invalid_transition']);
      expect((await apps.setStatus(app.id, 'archived')).previousStatus).toBe('inactive');
      expect((await errorOf(apps.setStatus(app.id, 'inactive'))).code).toBe('invalid_transition');
      expect((await apps.setStatus(app.id, 'active')).application.status).toBe('active');
      expect((await apps.setStatus(app.id, 'archived')).previousStatus).toBe('active');
      expect((await errorOf(apps.setStatus(app.id, 'deleted' as never))).code).toBe('validation_failed');
      expect((await errorOf(apps.setStatus(MISSING, 'active'))).code).toBe('application_not_found');
    });

    it('never deactivates, archives or re-slugs the admin application', async () => {
      const admin = (await apps.findBySlug('porta-admin')) ?? (await apps.create({ name: 'Porta Admin', slug: 'porta-admin' }));
      for (const status of ['inactive', 'archived'] as const) {
        const err = await errorOf(apps.setStatus(admin.id, status));
        expect([err.kind, err.code]).toEqual(['forbidden', 'admin_application_protected']);
      }
      expect((await errorOf(apps.update(admin.id, { slug: 'porta-console' }))).code).toBe('admin_application_protected');
      expect((await apps.update(admin.id, { description: 'The console' })).description).toBe('The console');
    });
  });

  describe('modules', () => {
    it('creates modules with slugs unique per application', async () => {
      const a = await apps.create({ name: `Mod A ${token()}` });
      const b = await apps.create({ name: `Mod B ${token()}` });
      const reports = await apps.createModule(a.id, { name: 'Reports', description: 'Charts' });
      expect(reports).toMatchObject({ applicationId: a.id, name: 'Reports', slug: 'reports', description: 'Charts', status: 'active' });
      expect((await apps.createModule(a.id, { name: 'Reports' })).slug).toBe('reports-2');
      expect((await apps.createModule(b.id, { name: 'Reports' })).slug).toBe('reports');
      const dup = await errorOf(apps.createModule(a.id, { name: 'Other', slug: 'reports' }));
      expect([dup.kind, dup.code]).toEqual(['conflict', 'module_slug_taken']);
      expect((await errorOf(apps.createModule(a.id, { name: 'X', slug: 'X!' }))).code).toBe('invalid_slug');
      expect((await errorOf(apps.createModule(MISSING, { name: 'Orphan' }))).code).toBe('application_not_found');
      expect((await apps.listModules(a.id)).map((m) => m.slug)).toEqual(['reports', 'reports-2']);
      expect((await errorOf(apps.listModules(MISSING))).code).toBe('application_not_found');
    });

    it('finds and updates a module only through its own application', async () => {
      const a = await apps.create({ name: `Own A ${token()}` });
      const b = await apps.create({ name: `Own B ${token()}` });
      const mod = await apps.createModule(a.id, { name: 'Exports', slug: 'exports' });
      expect(await apps.findModuleBySlug(a.id, 'exports')).toEqual(mod);
      expect(await apps.findModuleBySlug(b.id, 'exports')).toBeNull();
      expect(await apps.findModuleById(b.id, mod.id)).toBeNull();
      expect((await errorOf(apps.getModule(b.id, mod.id))).code).toBe('module_not_found');
      expect((await errorOf(apps.updateModule(b.id, mod.id, { name: 'Stolen' }))).code).toBe('module_not_found');

      const updated = await apps.updateModule(a.id, mod.id, { name: 'Data Exports', description: 'CSV', status: 'inactive' });
      expect(updated).toMatchObject({ id: mod.id, name: 'Data Exports', slug: 'exports', description: 'CSV', status: 'inactive' });
      expect(await apps.getModule(a.id, mod.id)).toEqual(updated);
      await apps.createModule(a.id, { name: 'Imports', slug: 'imports' });
      expect((await errorOf(apps.updateModule(a.id, mod.id, { slug: 'imports' }))).code).toBe('module_slug_taken');
      expect((await errorOf(apps.updateModule(a.id, mod.id, { status: 'archived' as never }))).code).toBe('validation_failed');
    });

    it('deactivates an active module once, only through its own application', async () => {
      const a = await apps.create({ name: `Deact A ${token()}` });
      const b = await apps.create({ name: `Deact B ${token()}` });
      const mod = await apps.createModule(a.id, { name: 'Audit' });
      expect((await errorOf(apps.deactivateModule(b.id, mod.id))).code).toBe('module_not_found');
      expect((await errorOf(apps.deactivateModule(a.id, 'audit'))).code).toBe('module_not_found');
      expect(await apps.deactivateModule(a.id, mod.id)).toMatchObject({ id: mod.id, status: 'inactive' });
      const again = await errorOf(apps.deactivateModule(a.id, mod.id));
      expect([again.kind, again.code]).toEqual(['conflict', 'invalid_transition']);
    });
  });
}

onEachDatabase('applications', applicationSuite);
