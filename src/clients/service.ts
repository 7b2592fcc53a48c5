import type { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { createJsonCache } from '../platform/cache.js';
import type { Db } from '../platform/db/index.js';
import { emptyKeysetPage, type KeysetPage, type KeysetWindow } from '../platform/db/keyset.js';
import { isUuid } from '../platform/ids.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { PasswordHasher } from '../users/index.js';
import { applicationInactive, applicationNotFound, clientNotFound, invalidSecretExpiry, parseInput } from './errors.js';
import { createClientRepo, type Client, type ClientSecret, type NewSecret } from './repo.js';
import { ListClientsInput, type ClientSecretInput } from './schema.js';
import { findMatchingDigest, generateSecretValue, sha256Hex } from './secrets.js';
import { createServiceAccounts, type ServiceAccountDeps } from './service-accounts.js';
import { createClientWrites, type ClientWriteContext } from './writes.js';

export type { CreatedClientSecret } from './writes.js';

export interface ClientServiceDeps extends Pick<ClientWriteContext, 'audit' | 'sessions' | 'isMailConfigured'> {
  organizations: ClientWriteContext['organizations'] & ServiceAccountDeps['organizations'];
  applications: ServiceAccountDeps['applications'];
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** Argon2id hasher for the stored `secret_hash` (users' password hasher). */
  passwords: PasswordHasher;
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

export const clientCacheKey = (orgId: string, clientId: string) => `cache:client:${orgId}:${clientId}`;

export type ClientService = ReturnType<typeof createClientService>;

export function createClientService(deps: ClientServiceDeps) {
  const { db, kv, clock, log, passwords } = deps;
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

  async function matchingSecret(clientUuid: string, presented: string, at: Date) {
    if (!isUuid(clientUuid) || typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_SECRET) return null;
    return findMatchingDigest(presented, await repo.activeSecretDigests(clientUuid, at));
  }

  const writes = createClientWrites({ ...deps, repo, getById, checkApplication, prepareSecret, forget, now });

  return {
    ...writes,
    /** Spec 70 §4 machine access to the Admin API. */
    serviceAccounts: createServiceAccounts({ ...deps, repo, prepareSecret, forget, writeSecret: writes.writeSecret, revokeSecret: writes.revokeSecret }),

    findById,
    getById,

    /** The engine's lookup, cached 300 s whatever the status (the OIDC layer decides what a non-active client means). */
    async findByClientId(orgId: string, clientId: string): Promise<Client | null> {
      if (!isUuid(orgId) || typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) return null;
      return cache.getOrLoad(clientCacheKey(orgId, clientId), CACHE_TTL_SECONDS, () => repo.findByClientId(orgId, clientId));
    },

    /** As findByClientId, past the cache: authorization decisions read the truth (a status change applies at once). */
    async findByClientIdUncached(orgId: string, clientId: string): Promise<Client | null> {
      if (!isUuid(orgId) || typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) return null;
      return repo.findByClientId(orgId, clientId);
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

    /** Newest first; never hashes or plaintext. */
    async listSecrets(orgId: string, clientUuid: string): Promise<ClientSecret[]> {
      const client = await getById(orgId, clientUuid);
      return repo.listSecrets(client.id);
    },

    /**
     * Spec 10 §6: true when `presented` matches any active, unexpired secret of the client (SHA-256, constant time).
     * `last_used_at` is refreshed at most once a minute, in the background; failures are only logged.
     */
    async verifySecret(clientUuid: string, presented: string): Promise<boolean> {
      const at = now();
      const match = await matchingSecret(clientUuid, presented, at);
      if (!match) return false;
      const notSince = new Date(at.getTime() - TOUCH_INTERVAL_MS);
      if (match.lastUsedAt === null || match.lastUsedAt < notSince) {
        repo.touchSecret(match.id, at, notSince).catch((err: unknown) => log.warn({ err, secretId: match.id }, 'client.secret_touch_failed'));
      }
      return true;
    },

    /** Whether an active secret has this value, without recording a use (provisioning compares values). */
    hasActiveSecret: async (clientUuid: string, value: string): Promise<boolean> => (await matchingSecret(clientUuid, value, now())) !== null,
  };
}
