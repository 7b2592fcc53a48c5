import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createMemoryKv, type Kv } from '../../src/platform/kv/index.js';
import { createManualClock, type Clock } from '../../src/platform/clock.js';
import { createLog, type Log } from '../../src/platform/log.js';
import { AppError } from '../../src/platform/errors.js';
import { adminActor, adminPermissionsOf, cliDirectActor, systemActor, viaSource, type Actor } from '../../src/actors/index.js';
import { createAuditService, type AuditService } from '../../src/audit/index.js';
import { createBrandingService, type BrandingService } from '../../src/branding/index.js';
import { createSessionService, type SessionRevoker } from '../../src/sessions/index.js';
import {
  createOrganizationDestroyService,
  createOrganizationService,
  type Organization,
  type OrganizationService,
} from '../../src/organizations/index.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
const MISSING = '00000000-0000-4000-8000-000000000000';
const sys = systemActor();
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

/** An audit whose insert fails: after the real insert (so it must roll back too), or instead of it. */
function failingAudit(audit: AuditService, afterInsert: boolean): Pick<AuditService, 'record'> {
  return {
    async record(actor, event) {
      if (afterInsert) await audit.record(actor, event);
      throw new Error('audit store down');
    },
  };
}

/** Issue 9: each organization write authorizes, protects, changes and audits in one transaction. */
function organizationWriteSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let kv: Kv;
  let clock: Clock;
  let log: Log;
  let audit: AuditService;
  let orgs: OrganizationService;
  let branding: BrandingService;
  let adminOrg: Organization;
  let superAdmin: Actor;
  let orgAdmin: Actor;
  let auditor: Actor;
  const destroyedLive: string[] = [];

  const revoker: SessionRevoker = {
    destroySession: async (_orgId, sessionId) => {
      destroyedLive.push(sessionId);
      return true;
    },
    revokeAccountTokens: async () => 0,
    revokeClientTokens: async () => 0,
    accountGrants: async () => [],
    revokeGrants: async () => 0,
  };

  const services = (auditFor: Pick<AuditService, 'record'>, options: { isMailConfigured?: boolean } = {}) => {
    const organizations = createOrganizationService({ db, kv, clock, log, audit: auditFor, ...options });
    const brandingService = createBrandingService({ db, kv, log, audit: auditFor, organizations });
    const sessions = createSessionService({ db, clock, log, revoker: () => revoker, audit: auditFor, adminAccess: () => ({ assertMayManageUser: async () => undefined }) });
    const destroyer = createOrganizationDestroyService({ db, clock, log, organizations, audit: auditFor, sessions, branding: brandingService });
    return { organizations, branding: brandingService, destroyer };
  };

  async function adminWith(roles: string[]): Promise<Actor> {
    const { id } = await db.one<{ id: string }>('INSERT INTO users (organization_id, email) VALUES ($1, $2) RETURNING id', [adminOrg.id, `${token()}@porta.test`]);
    return adminActor({ userId: id, organizationId: adminOrg.id, permissions: adminPermissionsOf(roles), isSuperAdmin: roles.includes('porta-super-admin') });
  }

  /** Everything a refused or rolled-back write must leave untouched. */
  async function state(orgId: string) {
    return {
      org: await db.maybeOne('SELECT * FROM organizations WHERE id = $1', [orgId]),
      assets: await db.many('SELECT asset_type, sha256, updated_at FROM branding_assets WHERE organization_id = $1 ORDER BY asset_type', [orgId]),
      sessions: await db.many('SELECT session_id, revoked_at FROM admin_sessions WHERE organization_id = $1 ORDER BY session_id', [orgId]),
      auditEntries: (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).n,
    };
  }

  const entriesOf = async (targetId: string) => (await audit.list({ targetType: 'organization', targetId, limit: 100 })).data.reverse();

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.now());
    log = createLog({ env: 'test', level: 'silent' });
    kv = createMemoryKv({ clock });
    audit = createAuditService({ db, clock, log, retentionDays: async () => 90 });
    ({ organizations: orgs, branding } = services(audit));
    adminOrg = await orgs.getSuperAdmin();
    superAdmin = await adminWith(['porta-super-admin']);
    orgAdmin = await adminWith(['porta-org-admin']);
    auditor = await adminWith(['porta-auditor']);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('records every use case with the actor, its type and source, and the same event whatever the edge', async () => {
    const org = await orgs.create(orgAdmin, { name: `Audited ${token()}` });
    await orgs.update(orgAdmin, org.id, { name: 'Audited again', defaultLocale: 'de' });
    await orgs.updateBranding(orgAdmin, org.slug, { primaryColor: '#000000' });
    await orgs.updateTwoFactorPolicy(orgAdmin, org.id, { twoFactorPolicy: 'required_totp' });
    await orgs.suspend(orgAdmin, org.id, { reason: 'unpaid' });
    await orgs.activate(orgAdmin, org.id);
    await orgs.archive(orgAdmin, org.id);
    await orgs.restore(orgAdmin, org.id);
    await branding.upload(orgAdmin, org.id, 'logo', { data: PNG, contentType: 'image/png' });
    await branding.remove(orgAdmin, org.slug, 'logo');

    const entries = await entriesOf(org.id);
    expect(entries.map((e) => e.eventType)).toEqual([
      'organization.created', 'organization.updated', 'organization.branding_updated', 'org.2fa.policy_changed',
      'organization.suspended', 'organization.activated', 'organization.archived', 'organization.restored',
      'organization.branding_asset_uploaded', 'organization.branding_asset_deleted',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ actorType: 'admin', source: 'api', actorId: orgAdmin.userId, actorName: orgAdmin.name, organizationId: org.id, eventCategory: 'admin' });
    }
    expect(entries.map((e) => e.metadata)).toEqual([
      { name: org.name, slug: org.slug },
      { fields: ['name', 'defaultLocale'] },
      { fields: ['primaryColor'] },
      { previousPolicy: 'optional', newPolicy: 'required_totp' },
      { previousStatus: 'active', status: 'suspended', reason: 'unpaid' },
      { previousStatus: 'suspended', status: 'active' },
      { previousStatus: 'active', status: 'archived' },
      { previousStatus: 'archived', status: 'active' },
      { assetType: 'logo', contentType: 'image/png', fileSize: PNG.length },
      { assetType: 'logo' },
    ]);

    await orgs.suspend(viaSource(cliDirectActor('ops'), 'bulk'), org.id, { reason: 'bulk run' });
    const [last] = (await entriesOf(org.id)).reverse();
    expect(last).toMatchObject({ eventType: 'organization.suspended', actorType: 'cli_direct', source: 'bulk', actorName: 'ops', actorId: null });
    expect(last!.metadata).toEqual({ previousStatus: 'active', status: 'suspended', reason: 'bulk run' });
  });

  it('refuses an actor lacking the permission with 403 details.missing before looking at the target, changing nothing', async () => {
    const org = await orgs.create(sys, { name: `Guarded ${token()}` });
    await branding.upload(sys, org.id, 'favicon', { data: PNG, contentType: 'image/png' });
    const before = await state(org.id);
    const { destroyer } = services(audit);
    const cases: [string, (target: string) => Promise<unknown>, string][] = [
      ['create', () => orgs.create(auditor, { name: 'Nope' }), 'admin:org:create'],
      ['update', (id) => orgs.update(auditor, id, { name: 'Nope' }), 'admin:org:update'],
      ['branding', (id) => orgs.updateBranding(auditor, id, { companyName: 'Nope' }), 'admin:org:update'],
      ['2fa', (id) => orgs.updateTwoFactorPolicy(auditor, id, { twoFactorPolicy: 'required_any' }), 'admin:org:update'],
      ['suspend', (id) => orgs.suspend(auditor, id), 'admin:org:suspend'],
      ['activate', (id) => orgs.activate(auditor, id), 'admin:org:suspend'],
      ['archive', (id) => orgs.archive(auditor, id), 'admin:org:archive'],
      ['restore', (id) => orgs.restore(auditor, id), 'admin:org:archive'],
      ['upload', (id) => branding.upload(auditor, id, 'favicon', { data: PNG, contentType: 'image/png' }), 'admin:org:update'],
      ['remove', (id) => branding.remove(auditor, id, 'favicon'), 'admin:org:update'],
      ['preview', (id) => destroyer.preview(auditor, id), 'admin:org:archive'],
      ['destroy', (id) => destroyer.destroy(auditor, id), 'admin:org:archive'],
    ];
    for (const [name, run, permission] of cases) {
      for (const target of [org.id, MISSING]) {
        const err = await errorOf(run(target));
        expect([err.kind, err.code, err.details], `${name} ${target}`).toEqual(['forbidden', 'forbidden', { missing: [permission] }]);
      }
    }
    expect(await state(org.id)).toEqual(before);
  });

  it('lets only a super admin change the super-admin organization, and nobody suspend, archive, restore, destroy or bulk-change it', async () => {
    const before = await state(adminOrg.id);
    const { destroyer } = services(audit);
    const onlySuperAdmins: [string, (actor: Actor) => Promise<unknown>][] = [
      ['update', (a) => orgs.update(a, adminOrg.id, { name: 'Renamed' })],
      ['login methods', (a) => orgs.update(a, adminOrg.slug, { defaultLoginMethods: ['password'] })],
      ['branding', (a) => orgs.updateBranding(a, adminOrg.id, { primaryColor: '#FF0000' })],
      ['2fa', (a) => orgs.updateTwoFactorPolicy(a, adminOrg.id, { twoFactorPolicy: 'required_totp' })],
      ['activate', (a) => orgs.activate(a, adminOrg.id)],
      ['upload', (a) => branding.upload(a, adminOrg.id, 'logo', { data: PNG, contentType: 'image/png' })],
      ['remove', (a) => branding.remove(a, adminOrg.id, 'logo')],
    ];
    for (const [name, run] of onlySuperAdmins) {
      const err = await errorOf(run(orgAdmin));
      expect([err.kind, err.code], name).toEqual(['forbidden', 'protected_resource']);
      expect(err.message, name).toMatch(/super admin/);
    }
    const nobody: [string, (actor: Actor) => Promise<unknown>][] = [
      ['suspend', (a) => orgs.suspend(a, adminOrg.id)],
      ['archive', (a) => orgs.archive(a, adminOrg.id)],
      ['restore', (a) => orgs.restore(a, adminOrg.id)],
      ['bulk activate', (a) => orgs.activate(viaSource(a, 'bulk'), adminOrg.id)],
      ['destroy', (a) => destroyer.destroy(a, adminOrg.id)],
      ['preview', (a) => destroyer.preview(a, adminOrg.slug)],
    ];
    for (const [name, run] of nobody) {
      for (const actor of [orgAdmin, superAdmin, sys]) {
        const err = await errorOf(run(actor));
        expect([err.kind, err.code], `${name} by ${actor.kind}`).toEqual(['forbidden', 'super_admin_protected']);
      }
    }
    expect(await state(adminOrg.id)).toEqual(before);

    const updated = await orgs.update(superAdmin, adminOrg.id, { name: 'Porta Admin (edited)', defaultLoginMethods: ['password'] });
    expect(updated).toMatchObject({ name: 'Porta Admin (edited)', defaultLoginMethods: ['password'] });
    expect((await orgs.updateBranding(superAdmin, adminOrg.id, { primaryColor: '#FF0000' })).branding.primaryColor).toBe('#FF0000');
    expect((await orgs.updateTwoFactorPolicy(superAdmin, adminOrg.id, { twoFactorPolicy: 'required_totp' })).twoFactorPolicy).toBe('required_totp');
    expect((await branding.upload(superAdmin, adminOrg.id, 'logo', { data: PNG, contentType: 'image/png' })).assetType).toBe('logo');
    await branding.remove(superAdmin, adminOrg.id, 'logo');
    expect((await errorOf(orgs.activate(superAdmin, adminOrg.id))).code).toBe('invalid_transition');
    const entries = (await entriesOf(adminOrg.id)).slice(-5);
    expect(entries.map((e) => [e.eventType, e.actorId])).toEqual([
      ['organization.updated', superAdmin.userId],
      ['organization.branding_updated', superAdmin.userId],
      ['org.2fa.policy_changed', superAdmin.userId],
      ['organization.branding_asset_uploaded', superAdmin.userId],
      ['organization.branding_asset_deleted', superAdmin.userId],
    ]);
    await orgs.update(sys, adminOrg.id, { name: adminOrg.name, defaultLoginMethods: adminOrg.defaultLoginMethods, twoFactorPolicy: adminOrg.twoFactorPolicy, branding: adminOrg.branding });
  });

  it('refuses to leave the admin organization without a usable sign-in method', async () => {
    const before = await state(adminOrg.id);
    const err = await errorOf(orgs.update(superAdmin, adminOrg.id, { defaultLoginMethods: ['magic_link'] }));
    expect([err.kind, err.code]).toEqual(['invalid', 'no_usable_login_method']);
    expect(err.message).toMatch(/password.*magic_link.*SMTP/);
    expect(err.details).toEqual({ defaultLoginMethods: ['magic_link'] });
    expect((await errorOf(orgs.update(sys, adminOrg.id, { defaultLoginMethods: ['magic_link'] }))).code).toBe('no_usable_login_method');
    expect(await state(adminOrg.id)).toEqual(before);

    // Only the admin organization: a tenant may rely on magic links alone.
    const tenant = await orgs.create(sys, { name: `Links only ${token()}`, defaultLoginMethods: ['magic_link'] });
    expect((await orgs.update(sys, tenant.id, { defaultLoginMethods: ['magic_link'] })).defaultLoginMethods).toEqual(['magic_link']);

    const withMail = services(audit, { isMailConfigured: true }).organizations;
    expect((await withMail.update(superAdmin, adminOrg.id, { defaultLoginMethods: ['magic_link'] })).defaultLoginMethods).toEqual(['magic_link']);
    expect((await orgs.update(superAdmin, adminOrg.id, { defaultLoginMethods: ['password'] })).defaultLoginMethods).toEqual(['password']);
    await orgs.update(sys, adminOrg.id, { defaultLoginMethods: adminOrg.defaultLoginMethods });
  });

  it('rolls the whole change back when its audit entry cannot be written', async () => {
    const org = await orgs.create(sys, { name: `Rollback ${token()}` });
    await branding.upload(sys, org.id, 'favicon', { data: PNG, contentType: 'image/png' });
    const session = `sess-${token()}`;
    const { id: userId } = await db.one<{ id: string }>('INSERT INTO users (organization_id, email) VALUES ($1, $2) RETURNING id', [org.id, 'member@rollback.test']);
    await db.query("INSERT INTO admin_sessions (session_id, user_id, organization_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')", [session, userId, org.id]);
    const before = await state(org.id);
    const name = `Never ${token()}`;
    for (const afterInsert of [false, true]) {
      const failing = services(failingAudit(audit, afterInsert));
      const attempts: [string, () => Promise<unknown>][] = [
        ['create', () => failing.organizations.create(sys, { name })],
        ['update', () => failing.organizations.update(sys, org.id, { name: 'Changed', defaultLoginMethods: ['password'] })],
        ['branding', () => failing.organizations.updateBranding(sys, org.id, { companyName: 'Changed' })],
        ['2fa', () => failing.organizations.updateTwoFactorPolicy(sys, org.id, { twoFactorPolicy: 'required_email' })],
        ['suspend', () => failing.organizations.suspend(sys, org.id)],
        ['archive', () => failing.organizations.archive(sys, org.id)],
        ['upload', () => failing.branding.upload(sys, org.id, 'favicon', { data: Buffer.concat([PNG, PNG]), contentType: 'image/png' })],
        ['remove', () => failing.branding.remove(sys, org.id, 'favicon')],
        ['destroy', () => failing.destroyer.destroy(sys, org.id)],
      ];
      for (const [label, run] of attempts) {
        await expect(run(), `${label} (after insert: ${afterInsert})`).rejects.toThrow('audit store down');
      }
    }
    expect(await state(org.id)).toEqual(before);
    expect((await orgs.list({ search: name })).total).toBe(0);
    expect(destroyedLive).not.toContain(session);
    expect((await orgs.getById(org.id)).name).toBe(org.name);
  });

  it('destroys in one transaction with org.destroyed, ending tracked sessions and the live ones after commit', async () => {
    const { destroyer } = services(audit);
    const org = await orgs.create(sys, { name: `Doomed ${token()}` });
    await branding.upload(sys, org.slug, 'logo', { data: PNG, contentType: 'image/png' });
    const { id: userId } = await db.one<{ id: string }>('INSERT INTO users (organization_id, email) VALUES ($1, $2) RETURNING id', [org.id, 'member@doomed.test']);
    const sessions = [`live-${token()}`, `live-${token()}`];
    for (const s of sessions) {
      await db.query("INSERT INTO admin_sessions (session_id, user_id, organization_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')", [s, userId, org.id]);
    }
    const preview = await destroyer.preview(orgAdmin, org.slug);
    expect(preview.cascadeCounts).toMatchObject({ users: 1, brandingAssets: 1, sessions: 2 });

    const result = await destroyer.destroy(orgAdmin, org.slug);
    expect(result).toEqual(preview);
    expect(await orgs.findById(org.id)).toBeNull();
    expect(destroyedLive).toEqual(expect.arrayContaining(sessions));
    const entry = await db.one<Record<string, unknown>>("SELECT * FROM audit_log WHERE event_type = 'org.destroyed' AND target_id = $1", [org.id]);
    expect(entry).toMatchObject({ organization_id: null, actor_id: orgAdmin.userId, actor_type: 'admin', source: 'api', target_type: 'organization' });
    expect(entry.metadata).toEqual({ name: org.name, slug: org.slug, cascadeCounts: preview.cascadeCounts });
    expect((await errorOf(destroyer.destroy(orgAdmin, org.id))).code).toBe('organization_not_found');
  });
}

onEachDatabase('organization writes (issue 9)', organizationWriteSuite);
