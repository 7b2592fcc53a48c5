import { createHash, randomBytes } from 'node:crypto';
import { ADMIN_APPLICATION_SLUG, authorize, registrationActor, type Actor, type AdminPermission, type RequestOrigin } from '../actors/index.js';
import type { ApplicationService } from '../applications/index.js';
import type { AuditService } from '../audit/index.js';
import type { Client, ClientService, CreateClientInput, CreatedClientSecret, UpdateClientInput } from '../clients/index.js';
import type { OrganizationService } from '../organizations/index.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../platform/db/index.js';
import { AppError } from '../platform/errors.js';
import { isUuid } from '../platform/ids.js';
import type { Log } from '../platform/log.js';
import { parseInput } from '../platform/validation.js';
import { createRegistrationTokenRepo } from './repo.js';
import {
  CreateRegistrationTokenInput,
  DEFAULT_TOKEN_TTL_SECONDS,
  ListRegistrationTokensQuery,
  MAX_TOKEN_TTL_SECONDS,
  type CreatedRegistrationToken,
  type RegistrationToken,
  type RegistrationTokenPage,
} from './schema.js';

export interface RegistrationServiceDeps {
  db: Db;
  clock: Clock;
  log: Log;
  audit: Pick<AuditService, 'record'>;
  organizations: Pick<OrganizationService, 'getByIdOrSlug' | 'findById'>;
  applications: Pick<ApplicationService, 'findByIdOrSlug'>;
  clients: Pick<ClientService, 'registerDynamic' | 'update' | 'setStatus' | 'findByClientIdUncached'>;
}

/** RFC 7591 metadata of a new client, mapped to Porta's fields; the application comes from the token. */
export type RegistrationInput = Omit<CreateClientInput, 'applicationId'>;

const MAX_PRESENTED_TOKEN = 512;
const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

const tokenNotFound = () => new AppError('not_found', 'registration_token_not_found', 'Registration token not found.');
const invalidToken = () => new AppError('unauthorized', 'invalid_token', 'The initial access token is unknown, expired, revoked or used up.');
const registrationDisabled = () => new AppError('forbidden', 'registration_disabled', 'This organization does not accept dynamic client registration.');

/**
 * Dynamic client registration (spec 70 §5, RFC 7591/7592): the initial access tokens admins hand out, and
 * the registration use cases the OIDC edge calls for a relying party. Clients themselves are written by
 * the clients domain's use cases, with the relying party as a `registration` actor.
 */
export function createRegistrationService(deps: RegistrationServiceDeps) {
  const { db, clock, log, audit } = deps;
  const repo = createRegistrationTokenRepo(db);
  const now = () => new Date(clock.now());

  async function organizationFor(orgRef: string) {
    const org = await deps.organizations.getByIdOrSlug(orgRef);
    if (org.isSuperAdmin) throw new AppError('forbidden', 'protected_resource', 'The super-admin organization never accepts dynamic client registration.');
    return org;
  }

  async function applicationFor(ref: string) {
    const app = await deps.applications.findByIdOrSlug(ref);
    if (!app || app.status === 'archived') throw new AppError('invalid', 'application_not_found', 'The application does not exist or is archived.', { applicationId: ref });
    if (app.slug === ADMIN_APPLICATION_SLUG) throw new AppError('forbidden', 'protected_resource', 'Clients of the admin application are never registered dynamically.');
    if (app.status !== 'active') throw new AppError('invalid', 'application_inactive', 'The application is inactive and accepts no new clients.', { applicationId: app.id });
    return app;
  }

  /** The registered client a registration access token stands for, while its organization accepts registrations. */
  async function registeredClient(orgId: string, clientId: string): Promise<Client> {
    const org = await deps.organizations.findById(orgId);
    if (!org || org.status !== 'active' || !org.dynamicRegistration) throw registrationDisabled();
    const client = await deps.clients.findByClientIdUncached(orgId, clientId);
    if (!client || client.status === 'revoked') throw invalidToken();
    return client;
  }

  async function findUsableToken(orgId: string, presented: string): Promise<RegistrationToken | null> {
    if (!isUuid(orgId) || typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_TOKEN) return null;
    return repo.findUsable(orgId, sha256Hex(presented), now());
  }

  const managingActor = (client: Client, permission: AdminPermission, from?: RequestOrigin) =>
    registrationActor({ organizationId: client.organizationId, clientId: client.id, name: 'registration-access-token', permissions: [permission] }, from);

  return {
    /** `porta org registration-token create`: a new initial access token, returned once. */
    async createToken(actor: Actor, orgRef: string, input: CreateRegistrationTokenInput): Promise<CreatedRegistrationToken> {
      const parsed = parseInput(CreateRegistrationTokenInput, input);
      const at = now();
      const expiresAt = parsed.expiresAt ?? new Date(at.getTime() + DEFAULT_TOKEN_TTL_SECONDS * 1000);
      if (expiresAt.getTime() <= at.getTime() || expiresAt.getTime() > at.getTime() + MAX_TOKEN_TTL_SECONDS * 1000) {
        throw new AppError('invalid', 'invalid_token_expiry', 'expiresAt must be in the future and at most a year away.', { path: 'expiresAt' });
      }
      const plaintext = randomBytes(32).toString('base64url');
      const created = await db.transaction(async () => {
        authorize(actor, 'admin:client:create');
        const org = await organizationFor(orgRef);
        const app = await applicationFor(parsed.applicationId);
        const token = await repo.insert(org.id, {
          applicationId: app.id, tokenSha256: sha256Hex(plaintext), label: parsed.label || null, expiresAt, maxUses: parsed.maxUses ?? null, createdAt: at,
        }, at);
        await audit.record(actor, {
          eventType: 'registration_token.created', targetType: 'registration_token', targetId: token.id, organizationId: org.id,
          metadata: { applicationId: app.id, expiresAt: token.expiresAt, maxUses: token.maxUses, label: token.label },
        });
        return token;
      });
      log.info({ organizationId: created.organizationId, registrationTokenId: created.id }, 'registration_token.created');
      return { ...created, token: plaintext };
    },

    /** Newest first; never the token or its hash. An unknown application filter lists nothing. */
    async listTokens(orgRef: string, query: ListRegistrationTokensQuery = {}): Promise<RegistrationTokenPage> {
      const q = parseInput(ListRegistrationTokensQuery, query);
      const org = await deps.organizations.getByIdOrSlug(orgRef);
      const empty = { data: [], total: 0, page: q.page, pageSize: q.pageSize, totalPages: 0 };
      const app = q.applicationId === undefined ? undefined : await deps.applications.findByIdOrSlug(q.applicationId);
      if (app === null) return empty;
      const { rows, total } = await repo.list(org.id, { applicationId: app?.id, status: q.status, limit: q.pageSize, offset: (q.page - 1) * q.pageSize }, now());
      return { data: rows, total, page: q.page, pageSize: q.pageSize, totalPages: Math.ceil(total / q.pageSize) };
    },

    /** Revoking an already revoked token succeeds and changes nothing. Clients it registered stay. */
    async revokeToken(actor: Actor, orgRef: string, tokenId: string): Promise<RegistrationToken> {
      return db.transaction(async () => {
        authorize(actor, 'admin:client:revoke');
        const org = await deps.organizations.getByIdOrSlug(orgRef);
        const current = isUuid(tokenId) ? await repo.findById(org.id, tokenId, now()) : null;
        if (!current) throw tokenNotFound();
        if (current.revokedAt !== null) return current;
        await repo.revoke(org.id, current.id, now());
        await audit.record(actor, {
          eventType: 'registration_token.revoked', targetType: 'registration_token', targetId: current.id, organizationId: org.id,
          metadata: { applicationId: current.applicationId, useCount: current.useCount },
        });
        return (await repo.findById(org.id, current.id, now())) ?? current;
      });
    },

    /** The engine's lookup of a presented initial access token: this organization's, and still usable. */
    findUsableToken,

    /**
     * RFC 7591 registration with an initial access token: one use of the token is spent in the same
     * transaction that stores the client, so a token limited to n uses registers at most n clients.
     */
    async register(orgId: string, presented: string, input: RegistrationInput, from?: RequestOrigin): Promise<{ client: Client; secret: CreatedClientSecret | null }> {
      const token = await findUsableToken(orgId, presented);
      if (!token) throw invalidToken();
      const actor = registrationActor({ organizationId: orgId, name: `registration-token:${token.id}` }, from);
      const result = await deps.clients.registerDynamic(actor, orgId, { ...input, applicationId: token.applicationId }, async () => {
        if (!(await repo.consume(orgId, token.id, now()))) throw invalidToken();
      });
      log.info({ organizationId: orgId, registrationTokenId: token.id, clientId: result.client.clientId }, 'client.registered');
      return result;
    },

    /** RFC 7592 update: the registered client replaces its metadata (the rules of `clients.update` apply). */
    async updateRegistered(orgId: string, clientId: string, patch: UpdateClientInput, from?: RequestOrigin): Promise<Client> {
      const client = await registeredClient(orgId, clientId);
      return deps.clients.update(managingActor(client, 'admin:client:update', from), orgId, client.id, patch);
    },

    /** RFC 7592 delete: the client is revoked, with every grant and token it holds. */
    async removeRegistered(orgId: string, clientId: string, from?: RequestOrigin): Promise<Client> {
      const client = await registeredClient(orgId, clientId);
      return deps.clients.setStatus(managingActor(client, 'admin:client:revoke', from), orgId, client.id, 'revoked');
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
