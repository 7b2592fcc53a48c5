/* eslint-disable @typescript-eslint/no-explicit-any -- admin responses are JSON */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_APPLICATION_SLUG,
  ADMIN_CLI_CLIENT_ID,
  ADMIN_PERMISSIONS,
  ADMIN_ROLES,
  SUPER_ADMIN_ROLE,
  systemActor,
  type AdminPermission,
} from '../../src/actors/index.js';
import type { Services } from '../../src/services.js';
import { grantAdminRoles, startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { softAuthenticator } from '../support/webauthn.js';

/**
 * Issue 9: every admin route × every built-in role × a plain and a protected target. A role holding the
 * route's permissions succeeds on a plain target; a role lacking one gets 403; on a protected target
 * (the admin organization, its application and CLI client, a super admin) only a super admin may
 * succeed. Every refusal leaves the database exactly as it was.
 */

type Target = 'plain' | 'protected';
interface Request {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}
interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  route: string;
  permissions: AdminPermission[];
  /** Only super admins (service accounts). */
  isSuperAdminOnly?: boolean;
  /** Builds a fresh target and the request against it; `protected` only when the route has such a target. */
  setup(target: Target): Promise<Request>;
  hasProtectedTarget?: boolean;
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const p = (...names: string[]) => names.map((n) => `admin:${n}` as AdminPermission);

describe('admin API permission matrix (issue 9)', () => {
  let s: AdminServer;
  let services: Services;
  const clients = new Map<string, AdminClient>();
  let adminOrgId: string;
  let adminAppId: string;
  let cliClientUuid: string;
  let n = 0;
  const uid = () => `${Date.now().toString(36)}${++n}`;
  const actor = systemActor();

  beforeAll(async () => {
    s = await startAdminServer();
    services = s.porta.services;
    await services.systemConfig.set(actor, 'rate_limit_admin_write_max', '100000');
    for (const role of ADMIN_ROLES) clients.set(role.slug, await s.clientWithRoles([role.slug]));
    const adminOrg = await services.organizations.getSuperAdmin();
    adminOrgId = adminOrg.id;
    adminAppId = (await services.applications.findBySlug(ADMIN_APPLICATION_SLUG))!.id;
    cliClientUuid = (await services.clients.findByClientId(adminOrgId, ADMIN_CLI_CLIENT_ID))!.id;
  }, 120_000);
  afterAll(() => s?.stop());

  // Fixtures made through the domain as the system, independent of the API under test.
  const org = async () => services.organizations.create(actor, { name: `Org ${uid()}`, slug: `org-${uid()}` });
  const app = async () => services.applications.create(actor, { name: `App ${uid()}`, slug: `app-${uid()}` });
  const user = async (orgId?: string) =>
    services.users.create(actor, orgId ?? (await org()).id, { email: `u-${uid()}@example.com`, password: 'Secret-pass-1', emailVerified: true });
  /** A super admin: protected from everyone but super admins. */
  const superAdmin = async () => {
    const u = await user(adminOrgId);
    await grantAdminRoles(s.porta, u.id, [SUPER_ADMIN_ROLE]);
    return u;
  };
  const userIn = async (target: Target) => (target === 'protected' ? superAdmin() : user());
  /**
   * E-mails queued by earlier successes (invitations, factor changes) are sent and audited in the
   * background: let them finish so that a refused request's fingerprint is not disturbed by them.
   */
  const mailSettled = async () => {
    for (let i = 0; i < 200; i++) {
      const unsent = await s.porta.db.maybeOne(
        `SELECT 1 FROM mail_outbox o WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.target_type = 'email' AND a.target_id = o.id::text) LIMIT 1`,
      );
      if (!unsent) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** A user with e-mail codes as second factor (spec 60 §4), so the 2FA admin routes have something to act on. */
  const userWith2fa = async (target: Target) => {
    const u = await userIn(target);
    await services.twoFactor.enableEmail(actor, u.organizationId, u.id);
    await mailSettled();
    return u;
  };
  /** A user holding one passkey, registered through the domain as the enrolment page would. */
  const userWithPasskey = async (target: Target) => {
    const u = await userIn(target);
    const ceremonyId = `matrix-${uid()}`;
    const options = await services.passkeys.registrationOptions(actor, u.organizationId, u.id, { ceremonyId });
    const response = softAuthenticator(s.server.config.issuerBaseUrl).register(options);
    const { passkey } = await services.passkeys.register(actor, u.organizationId, u.id, { ceremonyId, response });
    await mailSettled();
    return { u, passkeyId: passkey.id };
  };
  const confidentialClient = async () => {
    const o = await org();
    const a = await app();
    const made = await services.clients.create(actor, o.id, {
      applicationId: a.id, clientName: `C ${uid()}`, clientType: 'confidential', redirectUris: ['https://rp.example.com/cb'],
    });
    return made.client;
  };
  const clientIn = async (target: Target) => (target === 'protected' ? { id: cliClientUuid, organizationId: adminOrgId } : confidentialClient());
  const orgIn = async (target: Target) => (target === 'protected' ? adminOrgId : (await org()).id);
  const appIn = async (target: Target) => (target === 'protected' ? adminAppId : (await app()).id);
  const role = async (appId: string) => services.rbac.createRole(actor, appId, { name: `R ${uid()}`, slug: `r-${uid()}` });
  const permission = async (appId: string) => services.rbac.createPermission(actor, appId, { name: `P ${uid()}`, slug: `x:y:${uid()}` });
  const claim = async (appId: string) => services.rbac.createClaim(actor, appId, { claimName: `c_${uid()}`, claimType: 'string' });
  const trackedSession = async (target: Target) => {
    const u = await userIn(target);
    const sessionId = `s${uid()}`;
    await s.porta.db.query(
      `INSERT INTO admin_sessions (session_id, user_id, organization_id, created_at, expires_at, last_activity_at)
       VALUES ($1, $2, $3, now(), now() + interval '1 hour', now())`,
      [sessionId, u.id, u.organizationId],
    );
    return sessionId;
  };

  const CASES: RouteCase[] = [
    // Organizations (spec 20 §5.1–§5.2)
    { method: 'GET', route: 'GET /organizations', permissions: p('org:read'), setup: async () => ({ path: '/organizations' }) },
    { method: 'GET', route: 'GET /organizations/:id', permissions: p('org:read'), setup: async () => ({ path: `/organizations/${(await org()).id}` }) },
    { method: 'POST', route: 'POST /organizations', permissions: p('org:create'), setup: async () => ({ path: '/organizations', body: { name: 'N', slug: `n-${uid()}` } }) },
    { method: 'PUT', route: 'PUT /organizations/:id', permissions: p('org:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}`, body: { name: `Renamed ${uid()}` } }) },
    { method: 'PUT', route: 'PUT /organizations/:id/branding', permissions: p('org:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}/branding`, body: { primaryColor: '#123456' } }) },
    { method: 'PUT', route: 'PUT /organizations/:id/two-factor/policy', permissions: p('org:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}/two-factor/policy`, body: { twoFactorPolicy: 'required_any' } }) },
    { method: 'POST', route: 'POST /organizations/:id/suspend', permissions: p('org:suspend'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}/suspend`, body: {} }) },
    {
      method: 'POST', route: 'POST /organizations/:id/activate', permissions: p('org:suspend'),
      setup: async () => {
        const o = await org();
        await services.organizations.suspend(actor, o.id);
        return { path: `/organizations/${o.id}/activate` };
      },
    },
    { method: 'POST', route: 'POST /organizations/:id/archive', permissions: p('org:archive'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}/archive` }) },
    { method: 'DELETE', route: 'DELETE /organizations/:id', permissions: p('org:archive'), hasProtectedTarget: true, setup: async (t) => ({ path: `/organizations/${await orgIn(t)}` }) },
    {
      method: 'PUT', route: 'PUT /organizations/:id/branding/:type', permissions: p('org:update'), hasProtectedTarget: true,
      setup: async (t) => ({ path: `/organizations/${await orgIn(t)}/branding/logo`, body: { data: PNG.toString('base64'), contentType: 'image/png' } }),
    },
    // Applications and modules (§5.3)
    { method: 'GET', route: 'GET /applications', permissions: p('app:read'), setup: async () => ({ path: '/applications' }) },
    { method: 'POST', route: 'POST /applications', permissions: p('app:create'), setup: async () => ({ path: '/applications', body: { name: 'A', slug: `a-${uid()}` } }) },
    { method: 'PUT', route: 'PUT /applications/:id', permissions: p('app:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}`, body: { name: `Renamed ${uid()}` } }) },
    { method: 'POST', route: 'POST /applications/:id/deactivate', permissions: p('app:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/deactivate` }) },
    { method: 'POST', route: 'POST /applications/:id/archive', permissions: p('app:archive'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/archive` }) },
    { method: 'POST', route: 'POST /applications/:id/modules', permissions: p('app:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/modules`, body: { name: `M ${uid()}` } }) },
    // API resources (spec 70 §5)
    { method: 'GET', route: 'GET /applications/:id/resources', permissions: p('app:read'), setup: async () => ({ path: `/applications/${(await app()).id}/resources` }) },
    {
      method: 'POST', route: 'POST /applications/:id/resources', permissions: p('app:update'), hasProtectedTarget: true,
      setup: async (t) => ({ path: `/applications/${await appIn(t)}/resources`, body: { indicator: `https://api-${uid()}.matrix.test`, name: 'API' } }),
    },
    // Initial access tokens for dynamic registration (spec 70 §5)
    { method: 'GET', route: 'GET /organizations/:id/registration-tokens', permissions: p('client:read'), setup: async () => ({ path: `/organizations/${(await org()).id}/registration-tokens` }) },
    {
      method: 'POST', route: 'POST /organizations/:id/registration-tokens', permissions: p('client:create'),
      setup: async () => ({ path: `/organizations/${(await org()).id}/registration-tokens`, body: { applicationId: (await app()).id } }),
    },
    // Roles, permissions, claims (§5.4)
    { method: 'GET', route: 'GET /applications/:id/roles', permissions: p('role:read'), setup: async () => ({ path: `/applications/${(await app()).id}/roles` }) },
    { method: 'POST', route: 'POST /applications/:id/roles', permissions: p('role:create'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/roles`, body: { name: `R ${uid()}` } }) },
    {
      method: 'PUT', route: 'PUT /applications/:id/roles/:roleId', permissions: p('role:update'),
      setup: async () => {
        const a = await app();
        return { path: `/applications/${a.id}/roles/${(await role(a.id)).id}`, body: { name: `R2 ${uid()}` } };
      },
    },
    {
      method: 'DELETE', route: 'DELETE /applications/:id/roles/:roleId', permissions: p('role:archive'),
      setup: async () => {
        const a = await app();
        return { path: `/applications/${a.id}/roles/${(await role(a.id)).id}` };
      },
    },
    {
      method: 'PUT', route: 'PUT /applications/:id/roles/:roleId/permissions', permissions: p('role:update'),
      setup: async () => {
        const a = await app();
        return { path: `/applications/${a.id}/roles/${(await role(a.id)).id}/permissions`, body: { permissionIds: [(await permission(a.id)).id] } };
      },
    },
    { method: 'GET', route: 'GET /applications/:id/permissions', permissions: p('permission:read'), setup: async () => ({ path: `/applications/${(await app()).id}/permissions` }) },
    { method: 'GET', route: 'GET /applications/:id/claims', permissions: p('claim:read'), setup: async () => ({ path: `/applications/${(await app()).id}/claims` }) },
    { method: 'POST', route: 'POST /applications/:id/permissions', permissions: p('permission:create'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/permissions`, body: { name: 'P', slug: `x:y:${uid()}` } }) },
    {
      method: 'DELETE', route: 'DELETE /applications/:id/permissions/:permId', permissions: p('permission:archive'),
      setup: async () => {
        const a = await app();
        return { path: `/applications/${a.id}/permissions/${(await permission(a.id)).id}` };
      },
    },
    { method: 'POST', route: 'POST /applications/:id/claims', permissions: p('claim:create'), hasProtectedTarget: true, setup: async (t) => ({ path: `/applications/${await appIn(t)}/claims`, body: { claimName: `c_${uid()}`, claimType: 'string' } }) },
    {
      method: 'DELETE', route: 'DELETE /applications/:id/claims/:claimId', permissions: p('claim:archive'),
      setup: async () => {
        const a = await app();
        return { path: `/applications/${a.id}/claims/${(await claim(a.id)).id}` };
      },
    },
    {
      method: 'PUT', route: 'PUT /applications/:id/claims/:claimId/users/:userId', permissions: p('claim:update'), hasProtectedTarget: true,
      setup: async (t) => {
        const a = await app();
        return { path: `/applications/${a.id}/claims/${(await claim(a.id)).id}/users/${(await userIn(t)).id}`, body: { value: 'v' } };
      },
    },
    {
      method: 'PUT', route: 'PUT /organizations/:orgId/users/:userId/roles', permissions: p('role:assign'), hasProtectedTarget: true,
      setup: async (t) => {
        const u = await userIn(t);
        const r = await role((await app()).id);
        return { path: `/organizations/${u.organizationId}/users/${u.id}/roles`, body: { roleIds: [r.id] } };
      },
    },
    // Clients and secrets (§5.5)
    { method: 'GET', route: 'GET /clients', permissions: p('client:read'), setup: async () => ({ path: '/clients' }) },
    {
      method: 'POST', route: 'POST /clients', permissions: p('client:create'), hasProtectedTarget: true,
      setup: async (t) => ({
        path: '/clients',
        body: { organizationId: await orgIn(t), applicationId: (await app()).id, clientName: 'New', clientType: 'confidential', redirectUris: ['https://rp.example.com/cb'] },
      }),
    },
    { method: 'PUT', route: 'PUT /clients/:id', permissions: p('client:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/clients/${(await clientIn(t)).id}`, body: { redirectUris: ['https://rp.example.com/other'] } }) },
    { method: 'POST', route: 'POST /clients/:id/deactivate', permissions: p('client:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/clients/${(await clientIn(t)).id}/deactivate` }) },
    { method: 'POST', route: 'POST /clients/:id/revoke', permissions: p('client:revoke'), hasProtectedTarget: true, setup: async (t) => ({ path: `/clients/${(await clientIn(t)).id}/revoke` }) },
    { method: 'POST', route: 'POST /clients/:id/secrets', permissions: p('client:update'), setup: async () => ({ path: `/clients/${(await confidentialClient()).id}/secrets`, body: {} }) },
    {
      method: 'POST', route: 'POST /clients/:id/secrets/:secretId/revoke', permissions: p('client:revoke'),
      setup: async () => {
        const c = await confidentialClient();
        const secret = await services.clients.generateSecret(actor, c.organizationId, c.id, {});
        return { path: `/clients/${c.id}/secrets/${secret.id}/revoke` };
      },
    },
    // Users (§5.6)
    { method: 'GET', route: 'GET /organizations/:orgId/users', permissions: p('user:read'), setup: async () => ({ path: `/organizations/${(await org()).id}/users` }) },
    { method: 'POST', route: 'POST /organizations/:orgId/users', permissions: p('user:create'), setup: async () => ({ path: `/organizations/${(await org()).id}/users`, body: { email: `n-${uid()}@example.com` } }) },
    { method: 'POST', route: 'POST /organizations/:orgId/users/invite', permissions: p('user:invite'), setup: async () => ({ path: `/organizations/${(await org()).id}/users/invite`, body: { email: `i-${uid()}@example.com` } }) },
    {
      method: 'POST', route: 'POST /organizations/:orgId/users/invite/preview', permissions: p('user:invite'), hasProtectedTarget: true,
      setup: async (t) => {
        const u = t === 'protected' ? await superAdmin() : null;
        return { path: `/organizations/${u ? adminOrgId : (await org()).id}/users/invite/preview`, body: { email: u ? u.email : `i-${uid()}@example.com` } };
      },
    },
    ...(['deactivate', 'suspend', 'lock'] as const).map((action): RouteCase => ({
      method: 'POST', route: `POST /users/:userId/${action}`, permissions: p('user:suspend'), hasProtectedTarget: true,
      setup: async (t) => ({ path: `/users/${(await userIn(t)).id}/${action}`, body: {} }),
    })),
    {
      method: 'POST', route: 'POST /users/:userId/unlock', permissions: p('user:suspend'),
      setup: async () => {
        const u = await user();
        await services.users.setStatus(actor, u.organizationId, u.id, 'lock');
        return { path: `/users/${u.id}/unlock` };
      },
    },
    { method: 'PUT', route: 'PUT /users/:userId', permissions: p('user:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/users/${(await userIn(t)).id}`, body: { givenName: 'Mallory' } }) },
    { method: 'POST', route: 'POST /users/:userId/password', permissions: p('user:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/users/${(await userIn(t)).id}/password`, body: { password: 'Taken-over-123' } }) },
    { method: 'DELETE', route: 'DELETE /users/:userId/password', permissions: p('user:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/users/${(await userIn(t)).id}/password` }) },
    { method: 'POST', route: 'POST /users/:userId/verify-email', permissions: p('user:update'), hasProtectedTarget: true, setup: async (t) => ({ path: `/users/${(await userIn(t)).id}/verify-email` }) },
    {
      method: 'POST', route: 'POST /organizations/:orgId/users/:userId/purge', permissions: p('user:archive'), hasProtectedTarget: true,
      setup: async (t) => {
        const u = await userIn(t);
        return { path: `/organizations/${u.organizationId}/users/${u.id}/purge`, headers: { 'X-Confirm-Purge': 'true' }, body: {} };
      },
    },
    {
      method: 'GET', route: 'GET /organizations/:orgId/users/:userId/export', permissions: p('user:read'),
      setup: async () => {
        const u = await user();
        return { path: `/organizations/${u.organizationId}/users/${u.id}/export` };
      },
    },
    {
      method: 'GET', route: 'GET /organizations/:orgId/users/:userId/two-factor/status', permissions: p('user:read'),
      setup: async () => {
        const u = await userWith2fa('plain');
        return { path: `/organizations/${u.organizationId}/users/${u.id}/two-factor/status` };
      },
    },
    ...(['disable', 'reset', 'recovery-codes/regenerate'] as const).map((action): RouteCase => ({
      method: 'POST', route: `POST /organizations/:orgId/users/:userId/two-factor/${action}`, permissions: p('user:2fa'), hasProtectedTarget: true,
      setup: async (t) => {
        const u = await userWith2fa(t);
        return { path: `/organizations/${u.organizationId}/users/${u.id}/two-factor/${action}` };
      },
    })),
    {
      method: 'GET', route: 'GET /organizations/:orgId/users/:userId/passkeys', permissions: p('user:read'),
      setup: async () => {
        const { u } = await userWithPasskey('plain');
        return { path: `/organizations/${u.organizationId}/users/${u.id}/passkeys` };
      },
    },
    {
      method: 'DELETE', route: 'DELETE /organizations/:orgId/users/:userId/passkeys/:passkeyId', permissions: p('user:2fa'), hasProtectedTarget: true,
      setup: async (t) => {
        const { u, passkeyId } = await userWithPasskey(t);
        return { path: `/organizations/${u.organizationId}/users/${u.id}/passkeys/${passkeyId}` };
      },
    },
    // Sessions (§5.7)
    { method: 'GET', route: 'GET /sessions', permissions: p('session:read'), setup: async () => ({ path: '/sessions' }) },
    { method: 'DELETE', route: 'DELETE /sessions/:sessionId', permissions: p('session:revoke'), hasProtectedTarget: true, setup: async (t) => ({ path: `/sessions/${await trackedSession(t)}` }) },
    { method: 'DELETE', route: 'DELETE /users/:userId/sessions', permissions: p('session:revoke'), hasProtectedTarget: true, setup: async (t) => ({ path: `/users/${(await userIn(t)).id}/sessions` }) },
    // Config, keys, audit, stats (§5.8)
    { method: 'GET', route: 'GET /config', permissions: p('config:read'), setup: async () => ({ path: '/config' }) },
    { method: 'PUT', route: 'PUT /config/:key', permissions: p('config:update'), setup: async () => ({ path: '/config/access_token_ttl', body: { value: '1800' } }) },
    { method: 'GET', route: 'GET /keys', permissions: p('key:read'), setup: async () => ({ path: '/keys' }) },
    { method: 'POST', route: 'POST /keys/generate', permissions: p('key:generate'), setup: async () => ({ path: '/keys/generate' }) },
    { method: 'POST', route: 'POST /keys/rotate', permissions: p('key:rotate'), setup: async () => ({ path: '/keys/rotate' }) },
    { method: 'GET', route: 'GET /audit', permissions: p('audit:read'), setup: async () => ({ path: '/audit' }) },
    { method: 'POST', route: 'POST /audit/cleanup', permissions: p('config:update'), setup: async () => ({ path: '/audit/cleanup', body: { dryRun: true } }) },
    { method: 'GET', route: 'GET /stats/overview', permissions: p('stats:read'), setup: async () => ({ path: '/stats/overview' }) },
    // Bulk, export, import (§5.9)
    {
      method: 'POST', route: 'POST /bulk/organizations/status', permissions: p('org:update', 'org:suspend'), hasProtectedTarget: true,
      setup: async (t) => ({ path: '/bulk/organizations/status', body: { ids: [await orgIn(t)], action: 'suspend' } }),
    },
    {
      method: 'POST', route: 'POST /bulk/users/status', permissions: p('user:suspend'), hasProtectedTarget: true,
      setup: async (t) => {
        const u = await userIn(t);
        return { path: '/bulk/users/status', body: { ids: [u.id], action: 'suspend', organizationId: u.organizationId } };
      },
    },
    { method: 'GET', route: 'GET /export/organizations', permissions: p('export:read', 'org:read'), setup: async () => ({ path: '/export/organizations' }) },
    {
      method: 'POST', route: 'POST /import', permissions: p('import:write'),
      setup: async () => ({ path: '/import', body: { mode: 'merge', manifest: { version: '1.0', organizations: [{ name: 'Imported', slug: `imp-${uid()}` }] } } }),
    },
    // Service accounts (spec 70 §4): super admins only
    { method: 'GET', route: 'GET /service-accounts', permissions: p('client:read'), setup: async () => ({ path: '/service-accounts' }) },
    {
      method: 'POST', route: 'POST /service-accounts', permissions: p('client:create'), isSuperAdminOnly: true,
      setup: async () => ({ path: '/service-accounts', body: { name: `SA ${uid()}`, roles: ['porta-auditor'] } }),
    },
  ];

  /** One digest per table: any change to any row shows. */
  const TABLES = [
    'organizations', 'applications', 'application_modules', 'clients', 'client_secrets', 'client_roles', 'users', 'roles', 'permissions',
    'role_permissions', 'user_roles', 'custom_claim_definitions', 'custom_claim_values', 'system_config', 'signing_keys', 'branding_assets',
    'admin_sessions', 'oidc_payloads', 'audit_log', 'api_resources', 'registration_tokens',
    'user_totp', 'two_factor_otp_codes', 'two_factor_recovery_codes', 'webauthn_credentials',
  ];
  async function fingerprint(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const table of TABLES) {
      const row = await s.porta.db.one<{ d: string | null }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d FROM ${table} t`);
      out[table] = row.d ?? '';
    }
    return out;
  }

  const isBulk = (c: RouteCase) => c.route.startsWith('POST /bulk/');
  const succeeded = (c: RouteCase, res: { status: number; body: any }) =>
    res.status >= 200 && res.status < 300 && (!isBulk(c) || res.body?.data?.succeeded === 1);

  it('covers every permission of the catalogue', () => {
    const covered = new Set(CASES.flatMap((c) => c.permissions));
    const missing = ADMIN_PERMISSIONS.filter((perm) => !covered.has(perm));
    expect(missing).toEqual([]);
  });

  for (const c of CASES) {
    for (const target of ['plain', ...(c.hasProtectedTarget ? ['protected'] : [])] as Target[]) {
      it(`${c.route} on a ${target} target`, async () => {
        for (const builtIn of ADMIN_ROLES) {
          const isSuper = builtIn.slug === SUPER_ADMIN_ROLE;
          const holds = c.permissions.every((perm) => builtIn.permissions.includes(perm)) && (!c.isSuperAdminOnly || isSuper);
          const request = await c.setup(target);
          if (c.method !== 'GET') await mailSettled();
          const before = c.method === 'GET' ? undefined : await fingerprint();
          const res = await clients.get(builtIn.slug)!.request(c.method, request.path, request.body, request.headers);
          const label = `${builtIn.slug} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          if (!holds) {
            expect(res.status, label).toBe(403);
          } else if (target === 'plain') {
            expect(succeeded(c, res), label).toBe(true);
          } else if (!isSuper) {
            // Protected targets: a lower admin is refused even holding the route's permissions.
            expect(isBulk(c) ? res.body?.data?.failed : res.status, label).toBe(isBulk(c) ? 1 : 403);
          } else {
            expect(res.status, label).toBeLessThan(500);
          }
          if (before && !succeeded(c, res)) expect(await fingerprint(), `${label}: refused, yet something changed`).toEqual(before);
        }
      }, 60_000);
    }
  }

  it('refuses unknown targets alike, and a 403 never reveals whether the target exists', async () => {
    const auditor = clients.get('porta-auditor')!;
    const missing = randomUUID();
    const existing = await user();
    for (const id of [missing, existing.id]) {
      const res = await auditor.post(`/users/${id}/suspend`, {});
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
  });
});
