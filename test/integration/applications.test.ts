import { onEachDatabase } from '../support/databases.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createManualClock } from '../../src/platform/clock.js';
import { createLog } from '../../src/platform/log.js';
import { AppError } from '../../src/platform/errors.js';
import { createApplicationService, type ApplicationService } from '../../src/applications/index.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { adminActor, adminPermissionsOf, systemActor, type Actor } from '../../src/actors/index.js';

type Open = () => Promise<{ db: Db; dispose(): Promise<void> }>;

const MISSING = '00000000-0000-4000-8000-000000000000';
const token = () => randomBytes(4).toString('hex');
const sys = systemActor();

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
  let audit: AuditService;
  let apps: ApplicationService;
  /** Another process on the same stores: it sees a write within a second (the shared counter's check). */
  let other: ApplicationService;
  const clock = createManualClock();

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    const log = createLog({ env: 'test', level: 'silent' });
    kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    apps = createApplicationService({ db, kv, clock, log, audit });
    other = createApplicationService({ db, kv, clock, log, audit });
  });
  afterAll(async () => {
    await dispose?.();
  });

  describe('applications', () => {
    it('creates with a derived, globally unique slug', async () => {
      const name = `Billing App ${token()}`;
      const first = await apps.create(sys, { name, description: 'Invoices' });
      expect(first).toMatchObject({ name, description: 'Invoices', status: 'active' });
      expect(first.slug).toMatch(/^billing-app-[0-9a-f]{8}$/);
      expect(first.createdAt).toMatch(/Z$/);
      expect((await apps.create(sys, { name })).slug).toBe(`${first.slug}-2`);
      expect((await apps.create(sys, { name: 'Admin' })).slug).toBe('admin');
    });

    it('takes an explicit slug, reserved words included, and refuses duplicates and bad formats', async () => {
      const slug = `crm-${token()}`;
      expect((await apps.create(sys, { name: 'CRM', slug })).slug).toBe(slug);
      const dup = await errorOf(apps.create(sys, { name: 'CRM 2', slug }));
      expect([dup.kind, dup.code]).toEqual(['conflict', 'application_slug_taken']);
      expect((await apps.create(sys, { name: 'Api', slug: 'api' })).slug).toBe('api');
      for (const bad of ['ab', '-crm', 'CRM', 'c r m']) {
        const err = await errorOf(apps.create(sys, { name: 'Bad', slug: bad }));
        expect([err.kind, err.code], bad).toEqual(['invalid', 'invalid_slug']);
      }
      expect((await errorOf(apps.create(sys, { name: '' }))).code).toBe('validation_failed');
      expect((await errorOf(apps.create(sys, { name: 'Long', description: 'd'.repeat(2001) }))).code).toBe('validation_failed');
    });

    it('finds by id and slug; getById throws application_not_found', async () => {
      const app = await apps.create(sys, { name: `Find ${token()}` });
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
      for (const n of ['Zulu', 'Yankee', 'Xray']) await apps.create(sys, { name: `${n} ${tag}` });
      const xray = await apps.findBySlug(`xray-${tag}`);
      await apps.setStatus(sys, xray!.id, 'inactive');
      const page = await apps.list({ search: tag, sort: 'name', order: 'asc', pageSize: 2 });
      expect(page).toMatchObject({ total: 3, page: 1, pageSize: 2, totalPages: 2 });
      expect(page.data.map((a) => a.name)).toEqual([`Xray ${tag}`, `Yankee ${tag}`]);
      expect((await apps.list({ search: tag, status: 'active' })).total).toBe(2);
      expect((await apps.list({ search: tag, status: 'inactive' })).data.map((a) => a.slug)).toEqual([`xray-${tag}`]);
      expect((await errorOf(apps.list({ pageSize: 500 })))?.code).toBe('validation_failed');
    });

    it('updates name, description and slug, dropping the cached copy', async () => {
      const app = await apps.create(sys, { name: `Upd ${token()}`, description: 'old' });
      await other.findById(app.id);
      const slug = `upd-new-${token()}`;
      const updated = await apps.update(sys, app.id, { name: 'Updated', description: null, slug });
      expect(updated).toMatchObject({ name: 'Updated', description: null, slug });
      expect(await apps.findById(app.id)).toEqual(updated);
      clock.advance(1_000);
      expect(await other.findById(app.id)).toEqual(updated);
      const taken = await apps.create(sys, { name: `Taken ${token()}` });
      expect((await errorOf(apps.update(sys, app.id, { slug: taken.slug }))).code).toBe('application_slug_taken');
      expect((await errorOf(apps.update(sys, app.id, { slug: 'no' }))).code).toBe('invalid_slug');
      expect((await errorOf(apps.update(sys, MISSING, { name: 'x' }))).code).toBe('application_not_found');
    });

    it('caches findById for 300 s under cache:app:{id}', async () => {
      const app = await apps.create(sys, { name: `Cache ${token()}` });
      await other.findById(app.id);
      expect(await kv.get(`cache:app:${app.id}`)).not.toBeNull();
      expect(await kv.ttl(`cache:app:${app.id}`)).toBe(300);
      await db.query('UPDATE applications SET name = $2 WHERE id = $1', [app.id, 'Behind the back']);
      expect((await other.findById(app.id))?.name).toBe(app.name);
    });

    it('changes status along the allowed paths', async () => {
      const app = await apps.create(sys, { name: `Status ${token()}` });
      await other.findById(app.id);
      expect(await apps.setStatus(sys, app.id, 'inactive')).toMatchObject({ previousStatus: 'active', application: { status: 'inactive' } });
      expect((await apps.findById(app.id))?.status).toBe('inactive');
      clock.advance(1_000);
      expect((await other.findById(app.id))?.status).toBe('inactive');
      const same = await errorOf(apps.setStatus(sys, app.id, 'inactive'));
      expect([same.kind, same.code]).toEqual(['conflict', 'invalid_transition']);
      expect((await apps.setStatus(sys, app.id, 'archived')).previousStatus).toBe('inactive');
      expect((await errorOf(apps.setStatus(sys, app.id, 'inactive'))).code).toBe('invalid_transition');
      expect((await apps.setStatus(sys, app.id, 'active')).application.status).toBe('active');
      expect((await apps.setStatus(sys, app.id, 'archived')).previousStatus).toBe('active');
      expect((await errorOf(apps.setStatus(sys, app.id, 'deleted' as never))).code).toBe('validation_failed');
      expect((await errorOf(apps.setStatus(sys, MISSING, 'active'))).code).toBe('application_not_found');
    });

    it('never deactivates, archives or re-slugs the admin application', async () => {
      const admin = (await apps.findBySlug('porta-admin')) ?? (await apps.create(sys, { name: 'Porta Admin', slug: 'porta-admin' }));
      for (const status of ['inactive', 'archived'] as const) {
        const err = await errorOf(apps.setStatus(sys, admin.id, status));
        expect([err.kind, err.code]).toEqual(['forbidden', 'admin_application_protected']);
      }
      expect((await errorOf(apps.update(sys, admin.id, { slug: 'porta-console' }))).code).toBe('admin_application_protected');
      expect((await apps.update(sys, admin.id, { description: 'The console' })).description).toBe('The console');
    });
  });

  describe('modules', () => {
    it('creates modules with slugs unique per application', async () => {
      const a = await apps.create(sys, { name: `Mod A ${token()}` });
      const b = await apps.create(sys, { name: `Mod B ${token()}` });
      const reports = await apps.createModule(sys, a.id, { name: 'Reports', description: 'Charts' });
      expect(reports).toMatchObject({ applicationId: a.id, name: 'Reports', slug: 'reports', description: 'Charts', status: 'active' });
      expect((await apps.createModule(sys, a.id, { name: 'Reports' })).slug).toBe('reports-2');
      expect((await apps.createModule(sys, b.id, { name: 'Reports' })).slug).toBe('reports');
      const dup = await errorOf(apps.createModule(sys, a.id, { name: 'Other', slug: 'reports' }));
      expect([dup.kind, dup.code]).toEqual(['conflict', 'module_slug_taken']);
      expect((await errorOf(apps.createModule(sys, a.id, { name: 'X', slug: 'X!' }))).code).toBe('invalid_slug');
      expect((await errorOf(apps.createModule(sys, MISSING, { name: 'Orphan' }))).code).toBe('application_not_found');
      expect((await apps.listModules(a.id)).map((m) => m.slug)).toEqual(['reports', 'reports-2']);
      expect((await errorOf(apps.listModules(MISSING))).code).toBe('application_not_found');
    });

    it('finds and updates a module only through its own application', async () => {
      const a = await apps.create(sys, { name: `Own A ${token()}` });
      const b = await apps.create(sys, { name: `Own B ${token()}` });
      const mod = await apps.createModule(sys, a.id, { name: 'Exports', slug: 'exports' });
      expect(await apps.findModuleBySlug(a.id, 'exports')).toEqual(mod);
      expect(await apps.findModuleBySlug(b.id, 'exports')).toBeNull();
      expect(await apps.findModuleById(b.id, mod.id)).toBeNull();
      expect((await errorOf(apps.getModule(b.id, mod.id))).code).toBe('module_not_found');
      expect((await errorOf(apps.updateModule(sys, b.id, mod.id, { name: 'Stolen' }))).code).toBe('module_not_found');

      const updated = await apps.updateModule(sys, a.id, mod.id, { name: 'Data Exports', description: 'CSV', status: 'inactive' });
      expect(updated).toMatchObject({ id: mod.id, name: 'Data Exports', slug: 'exports', description: 'CSV', status: 'inactive' });
      expect(await apps.getModule(a.id, mod.id)).toEqual(updated);
      await apps.createModule(sys, a.id, { name: 'Imports', slug: 'imports' });
      expect((await errorOf(apps.updateModule(sys, a.id, mod.id, { slug: 'imports' }))).code).toBe('module_slug_taken');
      expect((await errorOf(apps.updateModule(sys, a.id, mod.id, { status: 'archived' as never }))).code).toBe('validation_failed');
    });

    it('deactivates an active module once, only through its own application', async () => {
      const a = await apps.create(sys, { name: `Deact A ${token()}` });
      const b = await apps.create(sys, { name: `Deact B ${token()}` });
      const mod = await apps.createModule(sys, a.id, { name: 'Audit' });
      expect((await errorOf(apps.deactivateModule(sys, b.id, mod.id))).code).toBe('module_not_found');
      expect((await errorOf(apps.deactivateModule(sys, a.id, 'audit'))).code).toBe('module_not_found');
      expect(await apps.deactivateModule(sys, a.id, mod.id)).toMatchObject({ id: mod.id, status: 'inactive' });
      const again = await errorOf(apps.deactivateModule(sys, a.id, mod.id));
      expect([again.kind, again.code]).toEqual(['conflict', 'invalid_transition']);
    });
  });

  describe('issue 9: each write authorizes, changes and audits in one transaction', () => {
    let superAdmin: Actor;
    let appAdmin: Actor;
    let auditor: Actor;
    let orgAdmin: Actor;

    async function adminWith(roles: string[]): Promise<Actor> {
      const { id: orgId } = await db.one<{ id: string }>('SELECT id FROM organizations WHERE is_super_admin');
      const { id } = await db.one<{ id: string }>('INSERT INTO users (organization_id, email) VALUES ($1, $2) RETURNING id', [orgId, `${token()}@porta.test`]);
      return adminActor({ userId: id, organizationId: orgId, permissions: adminPermissionsOf(roles), isSuperAdmin: roles.includes('porta-super-admin') });
    }

    const adminApp = async () => (await apps.findBySlug('porta-admin')) ?? (await apps.create(sys, { name: 'Porta Admin', slug: 'porta-admin' }));

    async function state(appId: string) {
      return {
        app: await db.maybeOne('SELECT * FROM applications WHERE id = $1', [appId]),
        modules: await db.many('SELECT * FROM application_modules WHERE application_id = $1 ORDER BY slug', [appId]),
        auditEntries: (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).n,
      };
    }

    beforeAll(async () => {
      superAdmin = await adminWith(['porta-super-admin']);
      appAdmin = await adminWith(['porta-app-admin']);
      auditor = await adminWith(['porta-auditor']);
      orgAdmin = await adminWith(['porta-org-admin']);
    });

    it('records every use case with the actor, its type and source', async () => {
      const app = await apps.create(appAdmin, { name: `Audited ${token()}` });
      await apps.update(appAdmin, app.slug, { description: 'Described' });
      await apps.setStatus(appAdmin, app.id, 'inactive');
      await apps.setStatus(appAdmin, app.id, 'archived');
      await apps.setStatus(appAdmin, app.slug, 'active');
      const mod = await apps.createModule(appAdmin, app.slug, { name: 'Reports' });
      await apps.updateModule(appAdmin, app.id, mod.id, { name: 'Reporting' });
      await apps.deactivateModule(appAdmin, app.id, mod.id);

      const appEntries = (await audit.list({ targetType: 'application', targetId: app.id })).data.reverse();
      expect(appEntries.map((e) => [e.eventType, e.metadata])).toEqual([
        ['application.created', { name: app.name, slug: app.slug }],
        ['application.updated', { fields: ['description'] }],
        ['application.deactivated', { previousStatus: 'active', status: 'inactive' }],
        ['application.archived', { previousStatus: 'inactive', status: 'archived' }],
        ['application.activated', { previousStatus: 'archived', status: 'active' }],
      ]);
      const moduleEntries = (await audit.list({ targetType: 'module', targetId: mod.id })).data.reverse();
      expect(moduleEntries.map((e) => [e.eventType, e.metadata])).toEqual([
        ['module.created', { applicationId: app.id, name: 'Reports', slug: 'reports' }],
        ['module.updated', { applicationId: app.id, fields: ['name'] }],
        ['module.deactivated', { applicationId: app.id }],
      ]);
      for (const entry of [...appEntries, ...moduleEntries]) {
        expect(entry).toMatchObject({ actorType: 'admin', source: 'api', actorId: appAdmin.userId, actorName: appAdmin.name, eventCategory: 'admin' });
      }
    });

    it('refuses an actor lacking the permission with 403 details.missing, changing nothing', async () => {
      const app = await apps.create(sys, { name: `Guarded ${token()}` });
      const mod = await apps.createModule(sys, app.id, { name: 'Guarded module' });
      const before = await state(app.id);
      const cases: [string, (target: string) => Promise<unknown>, string][] = [
        ['create', () => apps.create(auditor, { name: 'Nope' }), 'admin:app:create'],
        ['update', (id) => apps.update(auditor, id, { name: 'Nope' }), 'admin:app:update'],
        ['deactivate', (id) => apps.setStatus(auditor, id, 'inactive'), 'admin:app:update'],
        ['archive', (id) => apps.setStatus(orgAdmin, id, 'archived'), 'admin:app:archive'],
        ['create module', (id) => apps.createModule(auditor, id, { name: 'Nope' }), 'admin:app:update'],
        ['update module', (id) => apps.updateModule(auditor, id, mod.id, { name: 'Nope' }), 'admin:app:update'],
        ['deactivate module', (id) => apps.deactivateModule(auditor, id, mod.id), 'admin:app:update'],
      ];
      for (const [name, run, permission] of cases) {
        for (const target of [app.id, MISSING]) {
          const err = await errorOf(run(target));
          expect([err.kind, err.code, err.details], `${name} ${target}`).toEqual(['forbidden', 'forbidden', { missing: [permission] }]);
        }
      }
      expect(await state(app.id)).toEqual(before);
    });

    it('lets only a super admin change porta-admin, and nobody archive or deactivate it', async () => {
      const admin = await adminApp();
      const mod = (await apps.findModuleBySlug(admin.id, 'console')) ?? (await apps.createModule(sys, admin.id, { name: 'Console', slug: 'console' }));
      const before = await state(admin.id);
      const onlySuperAdmins: [string, (actor: Actor) => Promise<unknown>][] = [
        ['rename', (a) => apps.update(a, admin.id, { name: 'Hijacked' })],
        ['describe', (a) => apps.update(a, 'porta-admin', { description: 'Hijacked' })],
        ['activate', (a) => apps.setStatus(a, admin.id, 'active')],
        ['create module', (a) => apps.createModule(a, admin.id, { name: 'Backdoor' })],
        ['update module', (a) => apps.updateModule(a, admin.id, mod.id, { name: 'Hijacked' })],
        ['deactivate module', (a) => apps.deactivateModule(a, admin.id, mod.id)],
        ['create it', (a) => apps.create(a, { name: 'Porta Admin', slug: 'porta-admin' })],
      ];
      for (const [name, run] of onlySuperAdmins) {
        const err = await errorOf(run(appAdmin));
        expect([err.kind, err.code], name).toEqual(['forbidden', 'protected_resource']);
      }
      for (const status of ['inactive', 'archived'] as const) {
        for (const actor of [appAdmin, superAdmin, sys]) {
          const err = await errorOf(apps.setStatus(actor, admin.id, status));
          expect([err.kind, err.code], `${status} by ${actor.kind}`).toEqual(['forbidden', 'admin_application_protected']);
        }
      }
      expect((await errorOf(apps.update(superAdmin, admin.id, { slug: 'porta-console' }))).code).toBe('admin_application_protected');
      expect(await state(admin.id)).toEqual(before);

      const renamed = await apps.update(superAdmin, admin.id, { name: 'Porta Administration' });
      expect(renamed).toMatchObject({ slug: 'porta-admin', name: 'Porta Administration' });
      expect((await apps.updateModule(superAdmin, admin.id, mod.id, { description: 'The console' })).description).toBe('The console');
      expect((await errorOf(apps.setStatus(superAdmin, admin.id, 'active'))).code).toBe('invalid_transition');
      const [last] = (await audit.list({ targetType: 'application', targetId: admin.id, limit: 1 })).data;
      expect(last).toMatchObject({ eventType: 'application.updated', actorId: superAdmin.userId });
      await apps.update(sys, admin.id, { name: admin.name });
    });

    it('rolls the whole change back when its audit entry cannot be written', async () => {
      const app = await apps.create(sys, { name: `Rollback ${token()}` });
      const mod = await apps.createModule(sys, app.id, { name: 'Kept' });
      await other.findById(app.id);
      const before = await state(app.id);
      const name = `Never ${token()}`;
      for (const afterInsert of [false, true]) {
        const failing = createApplicationService({
          db, kv, clock: createManualClock(), log: createLog({ env: 'test', level: 'silent' }),
          audit: {
            async record(actor, event) {
              if (afterInsert) await audit.record(actor, event);
              throw new Error('audit store down');
            },
          },
        });
        const attempts: [string, () => Promise<unknown>][] = [
          ['create', () => failing.create(sys, { name })],
          ['update', () => failing.update(sys, app.id, { name: 'Changed' })],
          ['deactivate', () => failing.setStatus(sys, app.id, 'inactive')],
          ['archive', () => failing.setStatus(sys, app.id, 'archived')],
          ['create module', () => failing.createModule(sys, app.id, { name: 'Never' })],
          ['update module', () => failing.updateModule(sys, app.id, mod.id, { name: 'Changed' })],
          ['deactivate module', () => failing.deactivateModule(sys, app.id, mod.id)],
        ];
        for (const [label, run] of attempts) {
          await expect(run(), `${label} (after insert: ${afterInsert})`).rejects.toThrow('audit store down');
        }
      }
      expect(await state(app.id)).toEqual(before);
      expect((await apps.list({ search: name })).total).toBe(0);
      expect(await other.findById(app.id)).toEqual(app);
    });
  });
}

onEachDatabase('applications', applicationSuite);
