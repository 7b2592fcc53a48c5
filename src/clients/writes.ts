import type { z } from 'zod';
import { BUILT_IN_ADMIN_CLIENT_IDS, authorize, requireSuperAdmin, type Actor, type AdminPermission } from '../actors/index.js';
import type { AuditService } from '../audit/index.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import {
  applicationNotFound,
  clientIdTaken,
  clientNotFound,
  clientRevoked,
  clientSecretNotFound,
  invalidClient,
  invalidTransition,
  organizationNotFound,
  parseInput,
  publicClientSecret,
} from './errors.js';
import type { Client, ClientRepo, ClientSecret, NewSecret } from './repo.js';
import { resolveClientSettings, usesSecret, type ClientDraft } from './rules.js';
import { ACCOUNT_PORTAL_CLIENT_ID } from './account-portal.js';
import { ClientSecretInput, ClientStatus, CreateClientInput, UpdateClientInput, type LoginMethod } from './schema.js';
import { generateClientId } from './secrets.js';

/** A secret as returned once, at creation: the only place its plaintext appears. */
export interface CreatedClientSecret extends ClientSecret {
  plaintext: string;
}

export interface OrganizationFacts {
  id: string;
  status: string;
  isSuperAdmin: boolean;
  defaultLoginMethods: LoginMethod[];
  /** Spec 70 §5: accepts RFC 7591 registrations. */
  dynamicRegistration?: boolean;
}

export interface ClientWriteContext {
  db: Db;
  repo: ClientRepo;
  audit: Pick<AuditService, 'record'>;
  organizations: { findById(id: string): Promise<OrganizationFacts | null> };
  /** Ends every grant and token of a revoked client (the OIDC layer's revoker, through the sessions domain). */
  sessions: () => { revokeClientTokens(organizationId: string, clientId: string): Promise<number> };
  /** Magic links need a mail transport; without one only passwords sign admins in (issue 9 item 10). */
  isMailConfigured: boolean;
  getById(orgId: string, id: string): Promise<Client>;
  checkApplication(applicationId: string): Promise<void>;
  prepareSecret(input: z.output<typeof ClientSecretInput>): Promise<{ plaintext: string; row: NewSecret }>;
  forget(client: Pick<Client, 'organizationId' | 'clientId'>): Promise<void>;
  now(): Date;
}

/** Checks the current state before a change (the admin API's If-Match); throws to refuse it. */
export type ClientPrecondition = (current: Client) => void | Promise<void>;

const protectedResource = (message: string) => new AppError('forbidden', 'protected_resource', message);

const STATUS_CHANGES: Record<ClientStatus, { permission: AdminPermission; eventType: string }> = {
  active: { permission: 'admin:client:update', eventType: 'client.activated' },
  inactive: { permission: 'admin:client:update', eventType: 'client.deactivated' },
  revoked: { permission: 'admin:client:revoke', eventType: 'client.revoked' },
};

/**
 * The built-in clients' ids are Porta's: `porta-account` exists (derived) in every organization, and the admin
 * clients are created by bootstrap and migrations only (system actor).
 */
const isReservedClientId = (actor: Actor, clientId: string | undefined) =>
  clientId !== undefined && actor.kind !== 'system' && (clientId === ACCOUNT_PORTAL_CLIENT_ID || BUILT_IN_ADMIN_CLIENT_IDS.has(clientId));

export const isBuiltInAdminClient = (client: Pick<Client, 'clientId'>) => BUILT_IN_ADMIN_CLIENT_IDS.has(client.clientId);

/** The admin write use cases on clients and their secrets (spec 20 §5.5). */
export function createClientWrites(ctx: ClientWriteContext) {
  const { db, repo, audit } = ctx;

  const record = (actor: Actor, client: Client, eventType: string, metadata?: Record<string, unknown>) =>
    audit.record(actor, { eventType, targetType: 'client', targetId: client.id, organizationId: client.organizationId, metadata });

  /** `orgId` null: the client in whatever organization (`/api/admin/clients/:id`, UUID or client_id). */
  async function load(orgId: string | null, ref: string): Promise<Client> {
    if (orgId !== null) return ctx.getById(orgId, ref);
    const client = typeof ref === 'string' && ref.length > 0 && ref.length <= 255 ? await repo.findAnyByIdOrClientId(ref, isUuid(ref)) : null;
    if (!client) throw clientNotFound();
    return client;
  }

  async function organizationOf(client: Pick<Client, 'organizationId'>): Promise<OrganizationFacts> {
    const org = await ctx.organizations.findById(client.organizationId);
    if (!org) throw organizationNotFound();
    return org;
  }

  /**
   * Issue 9 items 8 and 10: only super-admins change anything of the admin organization, and even they
   * cannot leave the built-in admin clients unusable (not deactivated or revoked, still signing in by
   * code flow with a method that works here).
   */
  async function assertMayChange(actor: Actor, client: Client): Promise<OrganizationFacts> {
    const org = await organizationOf(client);
    if (org.isSuperAdmin) requireSuperAdmin(actor, 'Only super admins change clients of the admin organization.');
    return org;
  }

  function assertAdminClientUsable(client: Client, org: OrganizationFacts, next: Pick<Client, 'grantTypes' | 'loginMethods' | 'status'>): void {
    if (!isBuiltInAdminClient(client)) return;
    if (next.status !== 'active') throw protectedResource('The built-in admin clients cannot be revoked or deactivated: every admin signs in through them.');
    if (!next.grantTypes.includes('authorization_code')) throw protectedResource('The built-in admin clients must keep the authorization_code grant.');
    const methods = next.loginMethods ?? org.defaultLoginMethods;
    if (!methods.some((m) => m === 'password' || (m === 'magic_link' && ctx.isMailConfigured))) {
      throw new AppError('invalid', 'no_usable_login_method',
        'This change would leave admins no usable sign-in method: magic links need a mail transport (SMTP_HOST), which is not configured.',
        { loginMethods: methods });
    }
  }

  async function writeSecret(actor: Actor, client: Client, input: z.output<typeof ClientSecretInput>): Promise<CreatedClientSecret> {
    if (client.clientType === 'public') throw publicClientSecret();
    if (client.status === 'revoked') throw clientRevoked();
    const { plaintext, row } = await ctx.prepareSecret(input);
    const secret = await repo.insertSecret(db, client.id, row);
    await ctx.forget(client);
    await record(actor, client, 'client.secret.generated', { secretId: secret.id, label: secret.label, expiresAt: secret.expiresAt });
    return { ...secret, plaintext };
  }

  return {
    /**
     * Confidential clients get their first secret here (generated, or `secret.value` when provisioned);
     * public ones none. Only in an existing, active organization; never in the admin organization,
     * whose clients are the built-in ones (made by the system) and service accounts.
     */
    async create(actor: Actor, orgId: string, input: CreateClientInput): Promise<{ client: Client; secret: CreatedClientSecret | null }> {
      authorize(actor, 'admin:client:create');
      const data = parseInput(CreateClientInput, input);
      const org = isUuid(orgId) ? await ctx.organizations.findById(orgId) : null;
      if (!org) throw new AppError('invalid', 'organization_not_found', 'The organization does not exist.', { organizationId: orgId });
      if (org.status !== 'active') throw new AppError('invalid', 'organization_inactive', `The organization is ${org.status} and accepts no new clients.`, { organizationId: orgId });
      if (org.isSuperAdmin && actor.kind !== 'system') {
        throw protectedResource('Clients of the admin organization are created only as service accounts (POST /api/admin/service-accounts).');
      }
      if (isReservedClientId(actor, data.clientId)) throw clientIdTaken();
      await ctx.checkApplication(data.applicationId);
      const settings = resolveClientSettings(data);
      if (data.secret !== undefined && settings.clientType === 'public') throw publicClientSecret();
      if (data.secret !== undefined && !usesSecret(settings)) throw invalidClient('secret_unused', 'A private_key_jwt client authenticates with its keys and has no secret.', { path: 'secret' });
      const secret = usesSecret(settings) ? await ctx.prepareSecret(data.secret ?? {}) : null;
      try {
        return await db.transaction(async () => {
          const client = await repo.insertClient(db, orgId, {
            applicationId: data.applicationId,
            clientId: data.clientId ?? generateClientId(),
            clientName: data.clientName,
            settings,
          });
          const stored = secret ? await repo.insertSecret(db, client.id, secret.row) : null;
          await record(actor, client, 'client.created', { clientId: client.clientId, applicationId: client.applicationId, clientType: client.clientType });
          return { client, secret: stored && secret ? { ...stored, plaintext: secret.plaintext } : null };
        });
      } catch (err) {
        throw mapWriteError(err, data.applicationId);
      }
    },

    /**
     * Spec 70 §5 (RFC 7591): a relying party registers itself with an initial access token, as a web or
     * native client of the token's application, under the same rules as `create`. `claim` spends a use of
     * the token in the client's transaction and throws when none is left. Audited as `client.registered`.
     */
    async registerDynamic(actor: Actor, orgId: string, input: CreateClientInput, claim: () => Promise<void>): Promise<{ client: Client; secret: CreatedClientSecret | null }> {
      if (actor.kind !== 'registration') throw protectedResource('Only a registration request registers a client this way; admins use create.');
      const data = parseInput(CreateClientInput, input);
      const org = isUuid(orgId) ? await ctx.organizations.findById(orgId) : null;
      if (!org || org.status !== 'active' || org.isSuperAdmin || org.dynamicRegistration !== true) {
        throw new AppError('forbidden', 'registration_disabled', 'This organization does not accept dynamic client registration.');
      }
      if (data.applicationType === 'spa') throw invalidClient('invalid_application_type', 'Registered clients are web or native clients.', { path: 'applicationType' });
      if (isReservedClientId(actor, data.clientId)) throw clientIdTaken();
      await ctx.checkApplication(data.applicationId);
      const settings = resolveClientSettings(data);
      if (data.secret !== undefined && !usesSecret(settings)) throw invalidClient('secret_unused', 'This client authenticates without a secret.', { path: 'secret' });
      const secret = usesSecret(settings) ? await ctx.prepareSecret(data.secret ?? {}) : null;
      try {
        return await db.transaction(async () => {
          await claim();
          const client = await repo.insertClient(db, orgId, { applicationId: data.applicationId, clientId: data.clientId ?? generateClientId(), clientName: data.clientName, settings });
          const stored = secret ? await repo.insertSecret(db, client.id, secret.row) : null;
          await record(actor, client, 'client.registered', { clientId: client.clientId, applicationId: client.applicationId, clientType: client.clientType });
          return { client, secret: stored && secret ? { ...stored, plaintext: secret.plaintext } : null };
        });
      } catch (err) {
        throw mapWriteError(err, data.applicationId);
      }
    },

    /** Merges the patch into the current settings and re-checks every rule on the result. */
    async update(actor: Actor, orgId: string | null, ref: string, patch: UpdateClientInput, precondition?: ClientPrecondition): Promise<Client> {
      const data = parseInput(UpdateClientInput, patch);
      return db.transaction(async () => {
        authorize(actor, 'admin:client:update');
        const current = await load(orgId, ref);
        await precondition?.(current);
        const org = await assertMayChange(actor, current);
        if (current.status === 'revoked') throw clientRevoked();
        const { clientName, responseTypes: _rt, ...changes } = data;
        const draft: ClientDraft = { ...current, ...definedOnly(changes) };
        const settings = resolveClientSettings(draft);
        assertAdminClientUsable(current, org, { ...settings, status: current.status });
        const updated = await repo.updateSettings(current.organizationId, current.id, clientName ?? current.clientName, settings);
        if (!updated) throw clientNotFound();
        await ctx.forget(updated);
        await record(actor, updated, 'client.updated', { fields: Object.keys(patch) });
        return updated;
      });
    },

    /**
     * active ⇄ inactive, either → revoked (final). Revoking deletes every grant and token of the client
     * with the change; codes and sessions in the ephemeral store go once it commits.
     */
    async setStatus(actor: Actor, orgId: string | null, ref: string, status: ClientStatus): Promise<Client> {
      const next = parseInput(ClientStatus, status);
      const change = STATUS_CHANGES[next];
      return db.transaction(async () => {
        authorize(actor, change.permission);
        const current = await load(orgId, ref);
        const org = await assertMayChange(actor, current);
        assertAdminClientUsable(current, org, { ...current, status: next });
        if (current.status === 'revoked' || current.status === next) throw invalidTransition(current.status, next);
        const updated = await repo.setStatus(current.organizationId, current.id, current.status, next);
        await ctx.forget(current);
        if (!updated) throw invalidTransition((await load(orgId, ref)).status, next);
        const tokensDeleted = next === 'revoked' ? await ctx.sessions().revokeClientTokens(updated.organizationId, updated.clientId) : undefined;
        await record(actor, updated, change.eventType, { previousStatus: current.status, ...(tokensDeleted === undefined ? {} : { tokensDeleted }) });
        return updated;
      });
    },

    async generateSecret(actor: Actor, orgId: string | null, ref: string, options: ClientSecretInput = {}): Promise<CreatedClientSecret> {
      const input = parseInput(ClientSecretInput, options ?? {});
      return db.transaction(async () => {
        authorize(actor, 'admin:client:update');
        const client = await load(orgId, ref);
        await assertMayChange(actor, client);
        return writeSecret(actor, client, input);
      });
    },

    /** Revoking an already revoked secret succeeds; a secret of another client is `client_secret_not_found`. */
    async revokeSecret(actor: Actor, orgId: string | null, ref: string, secretId: string): Promise<void> {
      await db.transaction(async () => {
        authorize(actor, 'admin:client:revoke');
        const client = await load(orgId, ref);
        await assertMayChange(actor, client);
        const isRevoked = isUuid(secretId) && (await repo.revokeSecret(client.id, secretId, ctx.now()));
        if (!isRevoked) throw clientSecretNotFound();
        await ctx.forget(client);
        await record(actor, client, 'client.secret.revoked', { secretId });
      });
    },

    /** For service accounts: the same secret rules and audit entry, on a client already authorized. */
    writeSecret,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function mapWriteError(err: unknown, applicationId: string): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'clients_client_id_key') return clientIdTaken();
  if (e.code === '23503' && e.constraint === 'clients_organization_id_fkey') return organizationNotFound();
  if (e.code === '23503' && e.constraint === 'clients_application_id_fkey') return applicationNotFound(applicationId);
  return err;
}
