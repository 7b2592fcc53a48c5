import { z } from 'zod';
import { ADMIN_APPLICATION_SLUG, authorize, isBuiltInAdminRole, requireSuperAdmin, type Actor } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import { parseInput } from './errors.js';
import type { Client, ClientRepo, ClientSecret } from './repo.js';
import { resolveClientSettings } from './rules.js';
import { ClientSecretInput } from './schema.js';
import { generateClientId } from './secrets.js';
import { mapWriteError, type ClientWriteContext, type CreatedClientSecret } from './writes.js';

/** Spec 70 §4: a machine identity for the Admin API — a client-credentials client holding admin roles. */
export interface ServiceAccount {
  /** internal UUID */
  id: string;
  /** OIDC client_id, used with its secret at the admin organization's token endpoint */
  clientId: string;
  name: string;
  description: string | null;
  status: Client['status'];
  roles: string[];
  createdAt: string;
  updatedAt: string;
}

const roleSlugs = z
  .array(z.string().refine(isBuiltInAdminRole, 'Not a built-in admin role (porta-super-admin, porta-org-admin, porta-user-admin, porta-app-admin, porta-auditor).'))
  .min(1)
  .max(5);

export const CreateServiceAccountInput = z.strictObject({
  name: z.string().trim().min(1).max(255),
  description: z.string().trim().max(1000).optional(),
  roles: roleSlugs,
  secretLabel: z.string().trim().min(1).max(255).optional(),
  secretExpiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateServiceAccountInput = z.input<typeof CreateServiceAccountInput>;

export const ServiceAccountRolesInput = z.strictObject({ roles: roleSlugs });
export type ServiceAccountRolesInput = z.input<typeof ServiceAccountRolesInput>;

const notFound = () => new AppError('not_found', 'service_account_not_found', 'Service account not found.');

export interface ServiceAccountDeps extends Pick<ClientWriteContext, 'db' | 'prepareSecret' | 'forget'> {
  db: Db;
  repo: ClientRepo;
  audit: Pick<AuditService, 'record'>;
  organizations: { getSuperAdmin(): Promise<{ id: string }> };
  applications: { findBySlug(slug: string): Promise<{ id: string } | null> };
  sessions: ClientWriteContext['sessions'];
  writeSecret(actor: Actor, client: Client, input: z.output<typeof ClientSecretInput>): Promise<CreatedClientSecret>;
  revokeSecret(actor: Actor, orgId: string | null, ref: string, secretId: string): Promise<void>;
}

/** Service accounts (spec 70 §4): created, changed and removed by super-admins only; audited like any client write. */
export function createServiceAccounts(deps: ServiceAccountDeps) {
  const { db, repo, audit } = deps;

  async function home(): Promise<{ orgId: string; appId: string }> {
    const org = await deps.organizations.getSuperAdmin();
    const app = await deps.applications.findBySlug(ADMIN_APPLICATION_SLUG);
    if (!app) throw new AppError('unavailable', 'not_initialized', 'Porta is not initialised yet: run `porta init`.');
    return { orgId: org.id, appId: app.id };
  }

  async function view(client: Client, appId: string): Promise<ServiceAccount> {
    const roles = (await repo.clientRoles(client.id, appId)).map((r) => r.slug);
    return {
      id: client.id, clientId: client.clientId, name: client.clientName, description: client.description, status: client.status,
      roles, createdAt: client.createdAt, updatedAt: client.updatedAt,
    };
  }

  async function load(ref: string): Promise<{ client: Client; orgId: string; appId: string }> {
    const { orgId, appId } = await home();
    const client = typeof ref !== 'string' || ref.length === 0 || ref.length > 255
      ? null
      : isUuid(ref) ? await repo.findById(orgId, ref) : await repo.findByClientId(orgId, ref);
    if (!client?.isServiceAccount) throw notFound();
    return { client, orgId, appId };
  }

  async function roleIds(appId: string, slugs: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(slugs)];
    const found = await repo.rolesBySlug(appId, wanted);
    const missing = wanted.filter((s) => !found.some((r) => r.slug === s));
    if (missing.length > 0) throw new AppError('invalid', 'role_not_found', 'Some roles do not exist.', { missing });
    return found.map((r) => r.id);
  }

  const record = (actor: Actor, client: Client, eventType: string, metadata: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'client', targetId: client.id, organizationId: client.organizationId, metadata });

  return {
    /** The new account with its first secret: shown once. */
    async create(actor: Actor, input: CreateServiceAccountInput): Promise<{ serviceAccount: ServiceAccount; secret: CreatedClientSecret }> {
      authorize(actor, 'admin:client:create');
      requireSuperAdmin(actor, 'Only super admins create service accounts.');
      const data = parseInput(CreateServiceAccountInput, input);
      const secret = await deps.prepareSecret({ label: data.secretLabel ?? 'service account', expiresAt: data.secretExpiresAt ? new Date(data.secretExpiresAt) : undefined });
      const { orgId, appId } = await home();
      const settings = resolveClientSettings({
        clientType: 'confidential', applicationType: 'web', grantTypes: ['client_credentials'], redirectUris: [], scope: 'openid',
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
      try {
        return await db.transaction(async () => {
          const ids = await roleIds(appId, data.roles);
          const client = await repo.insertClient(db, orgId, {
            applicationId: appId, clientId: `sa-${generateClientId()}`, clientName: data.name, settings, isServiceAccount: true, description: data.description ?? null,
          });
          await repo.replaceClientRoles(client.id, appId, ids, actor.userId);
          const stored: ClientSecret = await repo.insertSecret(db, client.id, secret.row);
          await record(actor, client, 'service_account.created', { clientId: client.clientId, name: client.clientName, roles: [...data.roles].sort() });
          return { serviceAccount: await view(client, appId), secret: { ...stored, plaintext: secret.plaintext } };
        });
      } catch (err) {
        throw mapWriteError(err, appId);
      }
    },

    async list(): Promise<ServiceAccount[]> {
      const { orgId, appId } = await home();
      return Promise.all((await repo.listServiceAccounts(orgId)).map((c) => view(c, appId)));
    },

    async get(ref: string): Promise<ServiceAccount> {
      const { client, appId } = await load(ref);
      return view(client, appId);
    },

    /** Replaces the account's roles; its live tokens keep working but carry the new permissions at once. */
    async setRoles(actor: Actor, ref: string, input: ServiceAccountRolesInput): Promise<ServiceAccount> {
      const { roles } = parseInput(ServiceAccountRolesInput, input);
      return db.transaction(async () => {
        authorize(actor, 'admin:client:update');
        requireSuperAdmin(actor, 'Only super admins change service accounts.');
        const { client, appId } = await load(ref);
        const previous = (await repo.clientRoles(client.id, appId)).map((r) => r.slug);
        await repo.replaceClientRoles(client.id, appId, await roleIds(appId, roles), actor.userId);
        await record(actor, client, 'service_account.roles_changed', { previousRoles: previous, roles: [...new Set(roles)].sort() });
        return view(client, appId);
      });
    },

    async generateSecret(actor: Actor, ref: string, options: ClientSecretInput = {}): Promise<CreatedClientSecret> {
      const input = parseInput(ClientSecretInput, options ?? {});
      return db.transaction(async () => {
        authorize(actor, 'admin:client:update');
        requireSuperAdmin(actor, 'Only super admins change service accounts.');
        const { client } = await load(ref);
        return deps.writeSecret(actor, client, input);
      });
    },

    async listSecrets(ref: string): Promise<ClientSecret[]> {
      const { client } = await load(ref);
      return repo.listSecrets(client.id);
    },

    async revokeSecret(actor: Actor, ref: string, secretId: string): Promise<void> {
      await db.transaction(async () => {
        requireSuperAdmin(actor, 'Only super admins change service accounts.');
        const { client, orgId } = await load(ref);
        await deps.revokeSecret(actor, orgId, client.id, secretId);
      });
    },

    /** Removes the account for good: revoked, its roles and tokens gone (the row stays for the audit trail). */
    async remove(actor: Actor, ref: string): Promise<void> {
      await db.transaction(async () => {
        authorize(actor, 'admin:client:revoke');
        requireSuperAdmin(actor, 'Only super admins delete service accounts.');
        const { client, orgId, appId } = await load(ref);
        if (client.status !== 'revoked') await repo.setStatus(orgId, client.id, client.status, 'revoked');
        await repo.replaceClientRoles(client.id, appId, [], actor.userId);
        const tokensDeleted = await deps.sessions().revokeClientTokens(orgId, client.clientId);
        await deps.forget(client);
        await record(actor, client, 'service_account.deleted', { clientId: client.clientId, tokensDeleted });
      });
    },
  };
}

export type ServiceAccounts = ReturnType<typeof createServiceAccounts>;
