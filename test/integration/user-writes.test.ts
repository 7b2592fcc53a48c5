import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachDatabase, type OpenDb } from '../support/databases.js';
import { expectAppError } from '../support/errors.js';
import { createMigrator, type Db } from '../../src/platform/db/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { createMemoryKv, type MemoryKv } from '../../src/platform/kv/index.js';
import { createLog } from '../../src/platform/log.js';
import { ADMIN_PERMISSIONS, adminActor, adminPermissionsOf, cliDirectActor, systemActor, viaSource, type Actor } from '../../src/actors/index.js';
import type { AuditService } from '../../src/audit/index.js';
import { createAdapterFactory } from '../../src/oidc/adapter.js';
import type { Services } from '../../src/services.js';
import { servicesFor } from '../support/domain.js';
import { createPasswordHasher, createUserGdprService, createUserService, type User } from '../../src/users/index.js';

const SYSTEM = systemActor();
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'another long enough password';
const MISSING = '00000000-0000-4000-8000-000000000000';
const HOUR = 3_600_000;
const token = () => randomBytes(4).toString('hex');

/** An audit whose insert fails: after the real insert (so that must roll back too), or instead of it. */
function failingAudit(audit: AuditService, afterInsert: boolean): AuditService {
  return {
    ...audit,
    async record(actor, event) {
      if (afterInsert) await audit.record(actor, event);
      throw new Error('audit store down');
    },
  };
}

/** Issue 9: every user write authorizes, protects, changes, cascades and audits in one transaction. */
function userWriteSuite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let kv: MemoryKv;
  let svc: Services;
  let adminOrg: string;
  let tenant: string;
  let rootUser: User;
  let root: Actor;
  let userAdmin: Actor;
  let auditor: Actor;
  const log = createLog({ env: 'test', level: 'silent' });

  /** A user of the admin organization and an admin actor for it with these built-in roles' powers. */
  async function adminWith(roles: string[], isSuperAdmin = roles.includes('porta-super-admin')): Promise<Actor> {
    const user = await svc.users.create(SYSTEM, adminOrg, { email: `${roles.join('+') || 'none'}-${token()}@admin.test` });
    return adminActor({ userId: user.id, organizationId: adminOrg, permissions: adminPermissionsOf(roles), isSuperAdmin });
  }
  const member = (orgId = tenant) => svc.users.create(SYSTEM, orgId, { email: `member-${token()}@example.com`, password: PASSWORD });

  const engineSessions = (orgId: string) => createAdapterFactory({ db, kv, log, clock, organizationId: orgId })('Session');
  /** What a sign-in leaves: a tracked session with its live engine session, and durable grant and token rows. */
  async function signIn(user: Pick<User, 'id' | 'organizationId'>): Promise<string> {
    const sid = `sess-${token()}`;
    const at = new Date(clock.now());
    await db.query(
      'INSERT INTO admin_sessions (session_id, user_id, organization_id, created_at, last_activity_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)',
      [sid, user.id, user.organizationId, at, new Date(clock.now() + HOUR)],
    );
    await db.query(
      "INSERT INTO oidc_payloads (id, type, payload, grant_id, organization_id, account_id) VALUES ($1, 'Grant', '{}', $1, $3, $4), ($2, 'AccessToken', '{}', $1, $3, $4)",
      [`grant-${sid}`, `at-${sid}`, user.organizationId, user.id],
    );
    await engineSessions(user.organizationId).upsert(`engine-${sid}`, { jti: `engine-${sid}`, kind: 'Session', uid: sid, accountId: user.id, exp: Math.floor(clock.now() / 1000) + 3600 }, 3600);
    return sid;
  }

  /** Everything a refused or rolled-back write must leave untouched. */
  async function state(user: Pick<User, 'id' | 'organizationId'>) {
    const sessions = await db.many<{ session_id: string; revoked_at: Date | null }>('SELECT session_id, revoked_at FROM admin_sessions WHERE user_id = $1 ORDER BY session_id', [user.id]);
    return {
      user: await db.maybeOne('SELECT * FROM users WHERE id = $1', [user.id]),
      sessions,
      live: await Promise.all(sessions.map(async (s) => (await engineSessions(user.organizationId).findByUid(s.session_id)) !== undefined)),
      tokens: await db.many('SELECT id, type FROM oidc_payloads WHERE account_id = $1 ORDER BY id', [user.id]),
      audit: (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).n,
    };
  }
  const tokensOf = async (userId: string) => (await db.many<{ id: string }>('SELECT id FROM oidc_payloads WHERE account_id = $1 ORDER BY id', [userId])).map((r) => r.id);
  const entriesAbout = async (targetId: string) => (await svc.audit.list({ targetId, limit: 100 })).data.reverse();

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db).up();
    clock = createManualClock(Date.now());
    kv = createMemoryKv({ clock });
    svc = await servicesFor({ db, kv, clock, log });
    const init = await svc.bootstrap.initialize({ email: 'root@example.com', password: 'root-password-1' });
    adminOrg = init.organization.id;
    rootUser = await svc.users.getById(adminOrg, init.user.id);
    root = adminActor({ userId: rootUser.id, organizationId: adminOrg, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true });
    tenant = (await svc.organizations.create(SYSTEM, { name: 'Tenant', slug: `tenant-${token()}` })).id;
    userAdmin = await adminWith(['porta-user-admin']);
    auditor = await adminWith(['porta-auditor']);
  });
  afterAll(async () => {
    svc?.stop();
    await kv?.close();
    await dispose?.();
  });

  describe('users', () => {
    it('records every use case with the actor and the change, in the same entry whatever the edge', async () => {
      const user = await svc.users.create(userAdmin, tenant, { email: `audited-${token()}@tenant.test` });
      await svc.users.update(userAdmin, tenant, user.id, { givenName: 'Ada' });
      await svc.users.verifyEmail(userAdmin, tenant, user.id);
      await svc.users.setPassword(userAdmin, tenant, user.id, NEW_PASSWORD);
      await svc.users.clearPassword(userAdmin, null, user.id);
      await svc.users.setStatus(userAdmin, tenant, user.id, 'suspend', { reason: 'fraud' });
      await svc.users.setStatus(userAdmin, tenant, user.id, 'unsuspend');
      await svc.users.setStatus(userAdmin, tenant, user.id, 'lock');
      await svc.users.setStatus(userAdmin, tenant, user.id, 'unlock');
      await svc.users.setStatus(userAdmin, tenant, user.id, 'deactivate');
      await svc.users.setStatus(userAdmin, tenant, user.id, 'activate');
      await svc.users.endSessions(userAdmin, tenant, user.id);
      await svc.gdpr.exportData(userAdmin, tenant, user.id);

      const entries = await entriesAbout(user.id);
      const none = { endedSessions: 0, revokedTokens: 0 };
      expect(entries.map((e) => [e.eventType, e.metadata])).toEqual([
        ['user.created', { hasPassword: false, status: 'active' }],
        ['user.updated', { fields: ['givenName'] }],
        ['user.email_verified', { previouslyVerified: false }],
        ['user.password_set', none],
        ['user.password_cleared', none],
        ['user.suspended', { previousStatus: 'active', status: 'suspended', reason: 'fraud', ...none }],
        ['user.unsuspended', { previousStatus: 'suspended', status: 'active' }],
        ['user.locked', { previousStatus: 'active', status: 'locked', trigger: 'admin', reason: 'admin_lock', ...none }],
        ['user.unlocked', { previousStatus: 'locked', status: 'active' }],
        ['user.deactivated', { previousStatus: 'active', status: 'inactive', ...none }],
        ['user.reactivated', { previousStatus: 'inactive', status: 'active' }],
        ['user.sessions_revoked', { revoked: 0, revokedTokens: 0 }],
        ['user.data_exported', { roles: 0, customClaims: 0, auditEntries: expect.any(Number) }],
      ]);
      for (const entry of entries) {
        expect(entry).toMatchObject({ actorType: 'admin', source: 'api', actorId: userAdmin.userId, actorName: userAdmin.name, organizationId: tenant, userId: user.id, targetType: 'user' });
        expect(Object.keys(entry.metadata)).not.toContain('source');
      }

      // Through bulk, the same event and metadata: only the actor columns tell the edge.
      const bulk = viaSource(cliDirectActor('ops'), 'bulk');
      await svc.users.setStatus(bulk, tenant, user.id, 'suspend', { reason: 'fraud' });
      const [viaBulk] = (await svc.audit.list({ event: 'user.suspended', targetId: user.id, limit: 1 })).data;
      expect(viaBulk).toMatchObject({ actorType: 'cli_direct', actorName: 'ops', actorId: null, source: 'bulk' });
      expect(viaBulk!.metadata).toEqual(entries[5]!.metadata);

      const purged = await member();
      await svc.gdpr.purge(userAdmin, tenant, purged.id);
      const [entry] = (await svc.audit.list({ event: 'user.purged', targetId: purged.id })).data;
      expect(entry).toMatchObject({ actorType: 'admin', actorId: userAdmin.userId, eventCategory: 'gdpr', organizationId: tenant });
    });

    it('rolls the change and its cascade back when the audit entry cannot be written', async () => {
      const user = await member();
      await signIn(user);
      const before = await state(user);
      const email = `never-${token()}@tenant.test`;
      // The actor's user id is no user: the actor_id foreign key refuses the entry.
      const ghost = adminActor({ userId: randomUUID(), organizationId: adminOrg, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true });
      /** The one wiring's user services, but with an audit that fails. */
      const withFailingAudit = (afterInsert: boolean) => {
        const audit = failingAudit(svc.audit, afterInsert);
        const passwords = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
        const users = createUserService({ db, clock, log, passwords, settings: svc.systemConfig, audit, adminAccess: () => svc.adminAccess, sessions: () => svc.sessions });
        const gdpr = createUserGdprService({ db, clock, log, users, organizations: svc.organizations, audit, adminAccess: () => svc.adminAccess, sessions: svc.sessions });
        return { users, gdpr };
      };
      const wirings: [string, Actor, Pick<Services, 'users' | 'gdpr'>, RegExp][] = [
        ['actor_id foreign key', ghost, svc, /foreign key/],
        ['audit failing instead of the insert', SYSTEM, withFailingAudit(false), /audit store down/],
        ['audit failing after the insert', SYSTEM, withFailingAudit(true), /audit store down/],
      ];
      for (const [wiring, actor, { users, gdpr }, failure] of wirings) {
        const attempts: [string, () => Promise<unknown>][] = [
          ['create', () => users.create(actor, tenant, { email })],
          ['update', () => users.update(actor, tenant, user.id, { givenName: 'Changed' })],
          ['verifyEmail', () => users.verifyEmail(actor, tenant, user.id)],
          ['setPassword', () => users.setPassword(actor, tenant, user.id, NEW_PASSWORD)],
          ['clearPassword', () => users.clearPassword(actor, tenant, user.id)],
          ['suspend', () => users.setStatus(actor, tenant, user.id, 'suspend')],
          ['lock', () => users.setStatus(actor, tenant, user.id, 'lock')],
          ['deactivate', () => users.setStatus(actor, tenant, user.id, 'deactivate')],
          ['endSessions', () => users.endSessions(actor, tenant, user.id)],
          ['purge', () => gdpr.purge(actor, tenant, user.id)],
          // An export changes nothing, so it runs outside a transaction: only a refused insert leaves no entry.
          ...(wiring === 'audit failing after the insert' ? [] : [['exportData', () => gdpr.exportData(actor, tenant, user.id)] as [string, () => Promise<unknown>]]),
        ];
        for (const [name, run] of attempts) {
          await expect(run(), `${name} (${wiring})`).rejects.toThrow(failure);
          expect(await state(user), `${name} (${wiring})`).toEqual(before);
        }
      }
      expect(await svc.users.findByEmail(tenant, email)).toBeNull();
      expect(before.live).toEqual([true]);
    });

    it('refuses an actor lacking the permission with 403 details.missing before looking at the target, changing nothing', async () => {
      const user = await member();
      const orgAdmin = await adminWith(['porta-org-admin']);
      await signIn(user);
      const before = await state(user);
      const cases: [string, (id: string) => Promise<unknown>, string][] = [
        ['create', () => svc.users.create(auditor, tenant, { email: `nope-${token()}@tenant.test` }), 'admin:user:create'],
        ['update', (id) => svc.users.update(auditor, tenant, id, { givenName: 'Nope' }), 'admin:user:update'],
        ['verifyEmail', (id) => svc.users.verifyEmail(auditor, tenant, id), 'admin:user:update'],
        ['setPassword', (id) => svc.users.setPassword(auditor, tenant, id, NEW_PASSWORD), 'admin:user:update'],
        ['clearPassword', (id) => svc.users.clearPassword(auditor, tenant, id), 'admin:user:update'],
        ['suspend', (id) => svc.users.setStatus(auditor, tenant, id, 'suspend'), 'admin:user:suspend'],
        ['lock', (id) => svc.users.setStatus(auditor, null, id, 'lock'), 'admin:user:suspend'],
        ['endSessions', (id) => svc.users.endSessions(auditor, tenant, id), 'admin:session:revoke'],
        ['purge', (id) => svc.gdpr.purge(auditor, tenant, id), 'admin:user:archive'],
        // An auditor may read users; an organization admin may not.
        ['exportData', (id) => svc.gdpr.exportData(orgAdmin, tenant, id), 'admin:user:read'],
      ];
      for (const [name, run, permission] of cases) {
        for (const target of [user.id, MISSING]) {
          const err = await expectAppError(run(target), 'forbidden', 'forbidden');
          expect(err.details, `${name} ${target}`).toEqual({ missing: [permission] });
        }
      }
      expect(await state(user)).toEqual(before);
    });

    it('suspending and setting a password delete the durable grants and tokens and end tracked sessions; unsuspending restores none', async () => {
      const user = await member();
      const first = await signIn(user);
      const other = await member();
      await signIn(other);
      const othersTokens = await tokensOf(other.id);

      await svc.users.setStatus(userAdmin, tenant, user.id, 'suspend', { reason: 'chargeback' });
      expect(await tokensOf(user.id)).toEqual([]);
      const afterSuspend = await state(user);
      expect(afterSuspend.sessions).toEqual([{ session_id: first, revoked_at: expect.any(Date) }]);
      expect(afterSuspend.live).toEqual([false]);
      const [suspended] = (await svc.audit.list({ event: 'user.suspended', targetId: user.id })).data;
      expect(suspended!.metadata).toMatchObject({ endedSessions: 1, revokedTokens: 2 });

      await svc.users.setStatus(userAdmin, tenant, user.id, 'unsuspend');
      expect(await tokensOf(user.id)).toEqual([]);
      expect((await state(user)).sessions.every((s) => s.revoked_at !== null)).toBe(true);

      await signIn(user);
      expect(await tokensOf(user.id)).toHaveLength(2);
      await svc.users.setPassword(userAdmin, tenant, user.id, NEW_PASSWORD);
      expect(await tokensOf(user.id)).toEqual([]);
      const afterPassword = await state(user);
      expect(afterPassword.sessions.every((s) => s.revoked_at !== null)).toBe(true);
      expect(afterPassword.live).toEqual([false, false]);
      const [passwordSet] = (await svc.audit.list({ event: 'user.password_set', targetId: user.id })).data;
      expect(passwordSet!.metadata).toEqual({ endedSessions: 1, revokedTokens: 2 });
      expect((await svc.users.authenticate(tenant, user.email, NEW_PASSWORD)).ok).toBe(true);

      // Someone else's access is untouched.
      expect(await tokensOf(other.id)).toEqual(othersTokens);
      expect((await state(other)).live).toEqual([true]);
    });

    it('never suspends, locks, deactivates or purges the bootstrap super-admin user, whoever asks', async () => {
      const otherSuperAdmin = await adminWith(['porta-super-admin']);
      await signIn(rootUser);
      const before = await state(rootUser);
      for (const actor of [SYSTEM, cliDirectActor('ops'), root, otherSuperAdmin]) {
        for (const action of ['suspend', 'lock', 'deactivate'] as const) {
          await expectAppError(svc.users.setStatus(actor, adminOrg, rootUser.id, action), 'forbidden', 'super_admin_protected');
        }
        if (actor !== root) await expectAppError(svc.gdpr.purge(actor, adminOrg, rootUser.id), 'forbidden', 'super_admin_protected');
      }
      // A user admin may not even try: the target holds powers they lack.
      await expectAppError(svc.users.setPassword(userAdmin, adminOrg, rootUser.id, NEW_PASSWORD), 'forbidden', 'protected_resource');
      expect(await state(rootUser)).toEqual(before);
    });

    it('refuses to purge the actor’s own account', async () => {
      const self = await svc.users.create(SYSTEM, adminOrg, { email: `self-${token()}@admin.test` });
      const actor = adminActor({ userId: self.id, organizationId: adminOrg, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: true });
      await signIn(self);
      const before = await state(self);
      const err = await expectAppError(svc.gdpr.purge(actor, adminOrg, self.id), 'forbidden', 'protected_resource');
      expect((err as { message?: string }).message).toMatch(/your own account/);
      expect(await state(self)).toEqual(before);
    });
  });

  describe('service accounts', () => {
    it('lets only super admins create them; create, list, setRoles, generateSecret and remove each write their entry', async () => {
      const accounts = svc.clients.serviceAccounts;
      const noSuper = adminActor({ userId: userAdmin.userId!, organizationId: adminOrg, permissions: new Set(ADMIN_PERMISSIONS), isSuperAdmin: false });
      const count = async () => (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM clients WHERE is_service_account')).n;
      const existing = await count();
      await expectAppError(accounts.create(noSuper, { name: 'Robot', roles: ['porta-auditor'] }), 'forbidden', 'protected_resource');
      const missing = await expectAppError(accounts.create(auditor, { name: 'Robot', roles: ['porta-auditor'] }), 'forbidden', 'forbidden');
      expect(missing.details).toEqual({ missing: ['admin:client:create'] });
      expect(await count()).toBe(existing);

      const { serviceAccount, secret } = await accounts.create(root, { name: 'Robot', description: 'CI', roles: ['porta-auditor'] });
      expect(serviceAccount).toMatchObject({ name: 'Robot', description: 'CI', status: 'active', roles: ['porta-auditor'] });
      expect(serviceAccount.clientId).toMatch(/^sa-/);
      expect(await svc.clients.verifySecret(serviceAccount.id, secret.plaintext)).toBe(true);
      expect((await accounts.list()).map((a) => a.id)).toContain(serviceAccount.id);

      await expectAppError(accounts.setRoles(noSuper, serviceAccount.id, { roles: ['porta-super-admin'] }), 'forbidden', 'protected_resource');
      expect((await accounts.setRoles(root, serviceAccount.clientId, { roles: ['porta-user-admin', 'porta-auditor'] })).roles).toEqual(['porta-auditor', 'porta-user-admin']);
      await expectAppError(accounts.generateSecret(noSuper, serviceAccount.id), 'forbidden', 'protected_resource');
      const second = await accounts.generateSecret(root, serviceAccount.id, { label: 'rotation' });
      expect(await svc.clients.verifySecret(serviceAccount.id, second.plaintext)).toBe(true);

      await expectAppError(accounts.remove(noSuper, serviceAccount.id), 'forbidden', 'protected_resource');
      await accounts.remove(root, serviceAccount.id);
      expect(await accounts.get(serviceAccount.id)).toMatchObject({ status: 'revoked', roles: [] });
      expect((await db.one<{ n: number }>('SELECT count(*)::int AS n FROM client_roles WHERE client_id = $1', [serviceAccount.id])).n).toBe(0);

      const entries = await entriesAbout(serviceAccount.id);
      expect(entries.map((e) => [e.eventType, e.metadata])).toEqual([
        ['service_account.created', { clientId: serviceAccount.clientId, name: 'Robot', roles: ['porta-auditor'] }],
        ['service_account.roles_changed', { previousRoles: ['porta-auditor'], roles: ['porta-auditor', 'porta-user-admin'] }],
        ['client.secret.generated', { secretId: second.id, label: 'rotation', expiresAt: null }],
        ['service_account.deleted', { clientId: serviceAccount.clientId, tokensDeleted: 0 }],
      ]);
      for (const entry of entries) {
        expect(entry).toMatchObject({ actorType: 'admin', actorId: rootUser.id, source: 'api', organizationId: adminOrg, targetType: 'client' });
      }
    });
  });
}

onEachDatabase('user writes (issue 9)', userWriteSuite);
