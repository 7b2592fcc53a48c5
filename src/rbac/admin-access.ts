import {
  ADMIN_APPLICATION_SLUG,
  BUILT_IN_ADMIN_CLIENT_IDS,
  SUPER_ADMIN_ROLE,
  adminActor,
  adminPermissionsOf,
  isBuiltInAdminRole,
  serviceAccountActor,
  type Actor,
  type AdminPermission,
  type RequestOrigin,
} from '../actors/index.js';
import type { ApplicationService } from '../applications/index.js';
import type { Client } from '../clients/index.js';
import type { Organization } from '../organizations/index.js';
import { AppError } from '../platform/errors.js';
import type { Queryable } from '../platform/db/index.js';
import { hasUsableSessions, type User } from '../users/index.js';

/** `super_admin_user_id` (spec 20 §3.3): the bootstrap admin, read-only. */
export const SUPER_ADMIN_USER_KEY = 'super_admin_user_id';

/** What the OIDC layer says about a presented access token. */
export interface AccessTokenFacts {
  /** The user it was issued to; null for a client-credentials token. */
  accountId: string | null;
  /** OIDC client_id of the client it was issued to. */
  clientId: string;
}

export interface AdminPowers {
  roles: string[];
  permissions: ReadonlySet<AdminPermission>;
  isSuperAdmin: boolean;
}

const unauthorized = (message = 'A valid admin access token is required.') => new AppError('unauthorized', 'unauthorized', message);

export const privilegeEscalation = (message: string, details?: unknown) => new AppError('forbidden', 'privilege_escalation', message, details);
export const protectedResource = (message: string) => new AppError('forbidden', 'protected_resource', message);

export interface AdminAccessDeps {
  db: Queryable;
  organizations: { getSuperAdmin(): Promise<Organization> };
  applications: Pick<ApplicationService, 'findBySlug'>;
  systemConfig: { findString(key: string): Promise<string | null> };
  users: { findById(orgId: string, id: string): Promise<User | null> };
  clients: { findByClientIdUncached(orgId: string, clientId: string): Promise<Client | null> };
}

export type AdminAccess = ReturnType<typeof createAdminAccess>;

/**
 * Who holds which admin powers, and the rules that follow from them (spec 20 §2–§3.4, spec 70 §4,
 * issue 9 items 7–10): the actor of an admin token, and "never act on someone holding powers you lack".
 */
export function createAdminAccess(deps: AdminAccessDeps) {
  const { db } = deps;

  async function adminApplicationId(): Promise<string | null> {
    return (await deps.applications.findBySlug(ADMIN_APPLICATION_SLUG))?.id ?? null;
  }

  function powersOf(roleSlugs: string[]): AdminPowers {
    const roles = roleSlugs.filter(isBuiltInAdminRole).sort();
    return { roles, permissions: adminPermissionsOf(roles), isSuperAdmin: roles.includes(SUPER_ADMIN_ROLE) };
  }

  async function userRoleSlugs(userId: string, applicationId: string): Promise<string[]> {
    const rows = await db.many<{ slug: string }>(
      'SELECT r.slug FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 AND r.application_id = $2',
      [userId, applicationId],
    );
    return rows.map((r) => r.slug);
  }

  async function clientRoleSlugs(clientUuid: string, applicationId: string): Promise<string[]> {
    const rows = await db.many<{ slug: string }>(
      'SELECT r.slug FROM client_roles cr JOIN roles r ON r.id = cr.role_id WHERE cr.client_id = $1 AND r.application_id = $2',
      [clientUuid, applicationId],
    );
    return rows.map((r) => r.slug);
  }

  async function superAdminUserId(): Promise<string | null> {
    try {
      return await deps.systemConfig.findString(SUPER_ADMIN_USER_KEY);
    } catch {
      return null;
    }
  }

  const access = {
    superAdminUserId,

    /** True for the bootstrap super-admin user (spec 20 §3.3). */
    isSuperAdminUser: async (userId: string) => (await superAdminUserId()) === userId,

    /** The admin roles a user holds (none outside the admin organization). */
    async powersOfUser(user: Pick<User, 'id' | 'organizationId'>): Promise<AdminPowers> {
      const admin = await deps.organizations.getSuperAdmin().catch(() => null);
      const appId = admin && admin.id === user.organizationId ? await adminApplicationId() : null;
      return powersOf(appId ? await userRoleSlugs(user.id, appId) : []);
    },

    /** The admin roles a service account holds. */
    async powersOfClient(clientUuid: string): Promise<AdminPowers> {
      const appId = await adminApplicationId();
      return powersOf(appId ? await clientRoleSlugs(clientUuid, appId) : []);
    },

    /**
     * Issue 9 item 7: an actor may act on a user only when the user holds no admin permission the actor
     * lacks; holders of porta-super-admin and the bootstrap super-admin only by super-admins.
     */
    async assertMayManageUser(actor: Actor, user: Pick<User, 'id' | 'organizationId'>): Promise<void> {
      if (actor.kind === 'system' || actor.kind === 'cli_direct') return;
      const target = await access.powersOfUser(user);
      // Spec 20 §3.3: super admins, and the bootstrap super-admin above all, are managed by super admins only.
      if ((target.isSuperAdmin || (await access.isSuperAdminUser(user.id))) && !actor.isSuperAdmin) {
        throw protectedResource('Only super admins may act on a super admin.');
      }
      const missing = [...target.permissions].filter((p) => !actor.permissions.has(p)).sort();
      if (missing.length > 0) {
        throw privilegeEscalation('This user holds admin permissions you lack.', { missing });
      }
    },

    /**
     * Spec 20 §2 checks 2–5 and spec 70 §4: the actor behind a live token of the admin organization.
     * User tokens count only when minted by a built-in admin client; client-credentials tokens only for
     * an active service account. Nothing is cached: role and status changes apply on the next request.
     */
    async actorForToken(token: AccessTokenFacts | null, from: RequestOrigin): Promise<Actor> {
      if (!token) throw unauthorized();
      const org = await deps.organizations.getSuperAdmin();
      if (token.accountId) {
        if (!BUILT_IN_ADMIN_CLIENT_IDS.has(token.clientId)) throw unauthorized('Tokens of this client are not accepted by the Admin API.');
        const user = await deps.users.findById(org.id, token.accountId);
        if (!user) throw unauthorized();
        if (!hasUsableSessions(user)) throw unauthorized('The account is not active.');
        const powers = await access.powersOfUser(user);
        if (powers.roles.length === 0) throw new AppError('forbidden', 'forbidden', 'This account holds no admin role.');
        return adminActor({ userId: user.id, organizationId: org.id, permissions: powers.permissions, isSuperAdmin: powers.isSuperAdmin }, from);
      }
      const client = await deps.clients.findByClientIdUncached(org.id, token.clientId);
      if (!client?.isServiceAccount || client.status !== 'active') throw unauthorized('Tokens of this client are not accepted by the Admin API.');
      const powers = await access.powersOfClient(client.id);
      if (powers.roles.length === 0) throw new AppError('forbidden', 'forbidden', 'This service account holds no admin role.');
      return serviceAccountActor(
        { clientId: client.id, name: client.clientName, organizationId: org.id, permissions: powers.permissions, isSuperAdmin: powers.isSuperAdmin },
        from,
      );
    },
  };
  return access;
}
