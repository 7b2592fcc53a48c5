import type { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { createJsonCache } from '../platform/cache.js';
import { createLocalCache } from '../platform/local-cache.js';
import type { Db } from '../platform/db/index.js';
import { emptyKeysetPage, type KeysetPage, type KeysetWindow } from '../platform/db/keyset.js';
import { isUuid } from '../platform/ids.js';
import type { Kv } from '../platform/kv/index.js';
import type { Log } from '../platform/log.js';
import type { PasswordHasher } from '../users/index.js';
import { applicationInactive, applicationNotFound, clientNotFound, invalidSecretExpiry, parseInput } from './errors.js';
import { createClientRepo, type ActiveSecretDigest, type Client, type ClientSecret, type NewSecret } from './repo.js';
import { ListClientsInput, type ClientSecretInput } from './schema.js';
import { findMatchingDigest, generateSecretValue, sha256Hex } from './secrets.js';
import { createSecretPool } from './secret-pool.js';
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
/** Bumped by every client or secret write: other processes drop their copies within a second. */
export const CLIENTS_VERSION_KEY = 'cache:clients:version';

export type ClientService = ReturnType<typeof createClientService>;

export function createClientService(deps: ClientServiceDeps) {
  const { db, kv, clock, log, passwords } = deps;
  const repo = createClientRepo(db);
  const cache = createJsonCache(kv, log);
  // The token path reads the client and its secrets' digests on every request: a per-process copy in
  // front of the shared cache (clients) and of PostgreSQL (digests, which never leave the process).
  const local = createLocalCache<Client | ActiveSecretDigest[]>({ kv, clock, log, counterKey: CLIENTS_VERSION_KEY, name: 'clients' });
  const now = () => new Date(clock.now());
  const forget = async (client: Pick<Client, 'organizationId' | 'clientId'>) => {
    await cache.delete(clientCacheKey(client.organizationId, client.clientId));
    await local.invalidate();
  };

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
  const secretPool = createSecretPool((plaintext) => passwords.hash(plaintext));

  async function prepareSecret(input: z.output<typeof ClientSecretInput>): Promise<{ plaintext: string; row: NewSecret }> {
    const at = now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && !(expiresAt.getTime() > at.getTime())) throw invalidSecretExpiry();
    const pooled = input.value === undefined ? secretPool.take() : undefined;
    const plaintext = pooled?.plaintext ?? input.value ?? generateSecretValue();
    const secretHash = await (pooled?.hash ?? passwords.hash(plaintext));
    return {
      plaintext,
      row: { secretHash, secretSha256: sha256Hex(plaintext), label: input.label || null, expiresAt, createdAt: at },
    };
  }

  async function matchingSecret(clientUuid: string, presented: string, at: Date) {
    if (!isUuid(clientUuid) || typeof presented !== 'string' || presented.length === 0 || presented.length > MAX_PRESENTED_SECRET) return null;
    const digests = (await local.get(`secrets:${clientUuid}`, () => repo.activeSecretDigests(clientUuid))) as ActiveSecretDigest[];
    return findMatchingDigest(presented, digests.filter((d) => d.expiresAt === null || d.expiresAt > at.getTime()));
  }

  const writes = createClientWrites({ ...deps, repo, getById, checkApplication, prepareSecret, forget, now });

  return {
    ...writes,
    /**
     * Runs a bulk creation (an import) with `ahead` generated secrets hashed in advance: their Argon2id
     * work overlaps the entries' database work. Secrets given by the caller are hashed as usual.
     */
    hashingSecretsAhead: <T>(ahead: number, fn: () => Promise<T>): Promise<T> => secretPool.during(ahead, fn),
    /** Spec 70 §4 machine access to the Admin API. */
    serviceAccounts: createServiceAccounts({ ...deps, repo, prepareSecret, forget, writeSecret: writes.writeSecret, revokeSecret: writes.revokeSecret }),

    findById,
    getById,

    /**
     * The engine's lookup, cached 300 s whatever the status (the OIDC layer decides what a non-active client
     * means), with a per-process copy in front that a client write anywhere drops within a second.
     */
    async findByClientId(orgId: string, clientId: string): Promise<Client | null> {
      if (!isUuid(orgId) || typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) return null;
      const load = () => cache.getOrLoad(clientCacheKey(orgId, clientId), CACHE_TTL_SECONDS, () => repo.findByClientId(orgId, clientId));
      return (await local.get(`client:${orgId}:${clientId}`, load)) as Client | null;
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
     * Spec 10 §6: true when `presented` matches any active, unexpired secret of the client (SHA-256, constant time;
     * secrets are high-entropy, so no Argon2 here). The digests are held per process like the client itself.
     * `last_used_at` is refreshed at most once a minute, in the background; failures are only logged.
     */
    async verifySecret(clientUuid: string, presented: string): Promise<boolean> {
      const at = now();
      const match = await matchingSecret(clientUuid, presented, at);
      if (!match) return false;
      const notSince = new Date(at.getTime() - TOUCH_INTERVAL_MS);
      if (match.lastUsedAt === null || match.lastUsedAt < notSince) {
        // The copy held in this process remembers the touch, so the next one is a minute away.
        match.lastUsedAt = at;
        repo.touchSecret(match.id, at, notSince).catch((err: unknown) => log.warn({ err, secretId: match.id }, 'client.secret_touch_failed'));
      }
      return true;
    },

    /** Whether an active secret has this value, without recording a use (provisioning compares values). */
    hasActiveSecret: async (clientUuid: string, value: string): Promise<boolean> => (await matchingSecret(clientUuid, value, now())) !== null,
  };
}
