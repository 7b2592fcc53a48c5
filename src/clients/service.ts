import type { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { createJsonCache } from '../platform/cache.js';
import type { Db } from '../platform/db/index.js';
import { emptyKeysetPage, type KeysetPage, type KeysetWindow } from '../platform/db/keyset.js';
import { isUuid } from '../platform/ids.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { PasswordHasher } from '../users/index.js';
import {
  applicationInactive,
  applicationNotFound,
  clientIdTaken,
  clientNotFound,
  clientRevoked,
  clientSecretNotFound,
  invalidSecretExpiry,
  invalidTransition,
  organizationNotFound,
  parseInput,
  publicClientSecret,
} from './errors.js';
import { createClientRepo, type Client, type ClientSecret, type NewSecret } from './repo.js';
import { resolveClientSettings, type ClientDraft } from './rules.js';
import { ClientSecretInput, ClientStatus, CreateClientInput, ListClientsInput, UpdateClientInput } from './schema.js';
import { findMatchingDigest, generateClientId, generateSecretValue, sha256Hex } from './secrets.js';

export interface ClientServiceDeps {
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** Argon2id hasher for the stored `secret_hash` (users' password hasher). */
  passwords: PasswordHasher;
}

/** A secret as returned once, at creation: the only place its plaintext appears. */
export interface CreatedClientSecret extends ClientSecret {
  plaintext: string;
}

export interface ClientPage {
  data: Client[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

const CACHE_TTL_SECONDS = 300;
const TOUCH_INTERVAL_MS = 60_000;
const MAX_PRESENTED_SECRET = 1024;
const ClientSearchInput = ListClientsInput.pick({ applicationId: true, status: true, search: true, sortBy: true });

export const clientCacheKey = (orgId: string, clientId: string) => `porta:cache:client:${orgId}:${clientId}`;

export type ClientService = ReturnType<typeof createClientService>;

export function createClientService({ db, kv, clock, log, passwords }: ClientServiceDeps) {
  const repo = createClientRepo(db);
  const cache = createJsonCache(kv, log);
  const now = () => new Date(clock.now());
  const forget = (client: Pick<Client, 'organizationId' | 'clientId'>) => cache.delete(clientCacheKey(client.organizationId, client.clientId));

  async function findById(orgId: string, id: string): Promise<Client | null> {
    if (!isUuid(orgId) || !isUuid(id)) return null;
    return repo.findById(orgId, id);
  }

  async function getById(orgId: string, id: string): Promise<Client> {
    const client = await findById(orgId, id);
    if (!client) throw clientNotFound();
    return client;
  }

  async function checkApplication(applicationId: string): Promise<void> {
    const status = isUuid(applicationId) ? await repo.findApplicationStatus(applicationId) : null;
    if (status === null || status === 'archived') throw applicationNotFound(applicationId);
    if (status !== 'active') throw applicationInactive(applicationId);
  }

  /** Hashes outside any transaction: Argon2 is slow and the embedded engine has a single connection. */
  async function prepareSecret(input: z.output<typeof ClientSecretInput>): Promise<{ plaintext: string; row: NewSecret }> {
    const at = now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && !(expiresAt.getTime() > at.getTime())) throw invalidSecretExpiry();
    const plaintext = input.value ?? generateSecretValue();
    return {
      plaintext,
      row: { secretHash: await passwords.hash(plaintext), secretSha256: sha256Hex(plaintext), label: input.label || null, expiresAt, createdAt: at },
    };
  }

  return {
    /** Confidential clients get their first secret here (generated, or `secret.value` when provisioned); public ones none. */
    async create(orgId: string, input: CreateClientInput): Promise<{ client: Client; secret: CreatedClientSecret | null }> {
      const data = parseInput(CreateClientInput, input);
      if (!isUuid(orgId)) throw organizationNotFound();
      await checkApplication(data.applicationId);
      const settings = resolveClientSettings(data);
      if (data.secret !== undefined && settings.clientType === 'public') throw publicClientSecret();
      const secret = settings.clientType === 'confidential' ? await prepareSecret(data.secret ?? {}) : null;
      try {
        return await db.transaction(async (tx) => {
          const client = await repo.insertClient(tx, orgId, {
            applicationId: data.applicationId,
            clientId: data.clientId ?? generateClientId(),
            clientName: data.clientName,
            settings,
          });
          const stored = secret ? await repo.insertSecret(tx, client.id, secret.row) : null;
          return { client, secret: stored && secret ? { ...stored, plaintext: secret.plaintext } : null };
        });
      } catch (err) {
        throw mapWriteError(err, data.applicationId);
      }
    },

    findById,
    getById,

    /** The engine's lookup, cached 300 s whatever the status (the OIDC layer decides what a non-active client means). */
    async findByClientId(orgId: string, clientId: string): Promise<Client | null> {
      if (!isUuid(orgId) || typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) return null;
      return cache.getOrLoad(clientCacheKey(orgId, clientId), CACHE_TTL_SECONDS, () => repo.findByClientId(orgId, clientId));
    },

    /** Super-admin routes (`/api/admin/clients/:id`): internal UUID or client_id, in any organization. */
    async findInAnyOrg(idOrClientId: string): Promise<Client | null> {
      if (typeof idOrClientId !== 'string' || idOrClientId.length === 0 || idOrClientId.length > 255) return null;
      return repo.findAnyByIdOrClientId(idOrClientId, isUuid(idOrClientId));
    },

    /** `orgId` null lists every organization's clients (super-admin listing without an organization filter). */
    async list(orgId: string | null, query: ListClientsInput = {}): Promise<ClientPage> {
      const f = parseInput(ListClientsInput, query);
      const empty = { data: [], total: 0, page: f.page, pageSize: f.pageSize, totalPages: 0 };
      if ((orgId !== null && !isUuid(orgId)) || (f.applicationId !== undefined && !isUuid(f.applicationId))) return empty;
      const { rows, total } = await repo.list(orgId, { ...f, search: f.search || undefined });
      return { data: rows, total, page: f.page, pageSize: f.pageSize, totalPages: Math.ceil(total / f.pageSize) };
    },

    /** The cursor form of `list` (spec 20 §1 Cursor lists); the window comes from the cursor route. */
    async listKeyset(orgId: string | null, query: Pick<ListClientsInput, 'applicationId' | 'status' | 'search' | 'sortBy'>, window: KeysetWindow): Promise<KeysetPage<Client>> {
      const f = parseInput(ClientSearchInput, query);
      if ((orgId !== null && !isUuid(orgId)) || (f.applicationId !== undefined && !isUuid(f.applicationId))) return emptyKeysetPage();
      return repo.listKeyset(orgId, { ...f, search: f.search || undefined }, window);
    },

    /** Merges the patch into the current settings and re-checks every rule on the result. */
    async update(orgId: string, id: string, patch: UpdateClientInput): Promise<Client> {
      const data = parseInput(UpdateClientInput, patch);
      const current = await getById(orgId, id);
      if (current.status === 'revoked') throw clientRevoked();
      const { clientName, requirePkce: _pkce, responseTypes: _rt, ...changes } = data;
      const draft: ClientDraft = { ...current, ...definedOnly(changes) };
      const updated = await repo.updateSettings(orgId, id, clientName ?? current.clientName, resolveClientSettings(draft));
      if (!updated) throw clientNotFound();
      await forget(updated);
      return updated;
    },

    /** active ⇄ inactive, either → revoked (final). Revoking does not touch grants or tokens: the OIDC layer does. */
    async setStatus(orgId: string, id: string, status: ClientStatus): Promise<Client> {
      const next = parseInput(ClientStatus, status);
      const current = await getById(orgId, id);
      if (current.status === 'revoked' || current.status === next) throw invalidTransition(current.status, next);
      const updated = await repo.setStatus(orgId, id, current.status, next);
      await forget(current);
      if (updated) return updated;
      throw invalidTransition((await getById(orgId, id)).status, next);
    },

    async generateSecret(orgId: string, clientUuid: string, options: ClientSecretInput = {}): Promise<CreatedClientSecret> {
      const input = parseInput(ClientSecretInput, options ?? {});
      const client = await getById(orgId, clientUuid);
      if (client.clientType === 'public') throw publicClientSecret();
      if (client.status === 'revoked') throw clientRevoked();
      const { plaintext, row } = await prepareSecret(input);
      const secret = await repo.insertSecret(db, client.id, row);
      await forget(client);
      return { ...secret, plaintext };
    },

    /** Newest first; never hashes or plaintext. */
    async listSecrets(orgId: string, clientUuid: string): Promise<ClientSecret[]> {
      const client = await getById(orgId, clientUuid);
      return repo.listSecrets(client.id);
    },

    /** Revoking an already revoked secret succeeds; a secret of another client is `client_secret_not_found`. */
    async revokeSecret(orgId: string, clientUuid: string, secretId: string): Promise<void> {
      const client = await getById(orgId, clientUuid);
      const isRevoked = isUuid(secretId) && (await repo.revokeSecret(client.id, secretId, now()));
      if (!isRevoked) throw clientSecretNotFound();
      await forget(client);
    },

    /**
     * Spec 10 §6: true when `presented` matches any active, unexpired secret of the client (SHA-256, constant time).
     * `last_used_at` is refreshed at most once a minute, in the background; failures are only logged.
     */
    async verifySecret(clientUuid: string, presented: string): Promise<boolean> {
      if (!isUuid(clientUuid) || typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_SECRET) return false;
      const at = now();
      const match = findMatchingDigest(presented, await repo.activeSecretDigests(clientUuid, at));
      if (!match) return false;
      const notSince = new Date(at.getTime() - TOUCH_INTERVAL_MS);
      if (match.lastUsedAt === null || match.lastUsedAt < notSince) {
        repo.touchSecret(match.id, at, notSince).catch((err: unknown) => log.warn({ err, secretId: match.id }, 'client.secret_touch_failed'));
      }
      return true;
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mapWriteError(err: unknown, applicationId: string): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'clients_client_id_key') return clientIdTaken();
  if (e.code === '23503' && e.constraint === 'clients_organization_id_fkey') return organizationNotFound();
  if (e.code === '23503' && e.constraint === 'clients_application_id_fkey') return applicationNotFound(applicationId);
  return err;
}
