import { z } from 'zod';
import { ADMIN_APPLICATION_SLUG, ADMIN_CLI_CLIENT_ID, ADMIN_CLI_CLIENT_NAME, SUPER_ADMIN_ROLE, systemActor } from '../actors/index.js';
import type { ApplicationService } from '../applications/index.js';
import type { AuditService } from '../audit/index.js';
import type { ClientService } from '../clients/index.js';
import type { SigningKeyService } from '../keys/index.js';
import type { OrganizationService } from '../organizations/index.js';
import type { Db } from '../platform/db/index.js';
import type { Log } from '../platform/log.js';
import { AppError } from '../platform/errors.js';
import { parseInput } from '../platform/validation.js';
import type { SystemConfigService } from '../system-config/index.js';
import type { UserService } from '../users/index.js';
import { createBootstrapRepo } from './repo.js';

export const SUPER_ADMIN_USER_KEY = 'super_admin_user_id';

/** Spec 30 §3 `porta init`: the CLI client's registered redirects (loopback, any port per RFC 8252). */
export const ADMIN_CLI_REDIRECT_URIS = ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://127.0.0.1/auth/callback'];

export const InitInput = z.strictObject({
  email: z.email().max(255),
  password: z.string().min(8).max(128),
  givenName: z.string().trim().min(1).max(255).optional(),
  familyName: z.string().trim().min(1).max(255).optional(),
});
export type InitInput = z.input<typeof InitInput>;

export interface InitResult {
  organization: { id: string; slug: string; name: string };
  application: { id: string; slug: string };
  clientId: string;
  user: { id: string; email: string };
  roles: string[];
}

export interface BootstrapServiceDeps {
  db: Db;
  log: Log;
  organizations: Pick<OrganizationService, 'getSuperAdmin'>;
  applications: Pick<ApplicationService, 'findBySlug' | 'create'>;
  clients: Pick<ClientService, 'findByClientId' | 'create'>;
  users: Pick<UserService, 'create'>;
  systemConfig: Pick<SystemConfigService, 'get' | 'define'>;
  keys: Pick<SigningKeyService, 'ensureActiveKey'>;
  audit: Pick<AuditService, 'record'>;
}

export const alreadyInitialized = () =>
  new AppError('conflict', 'already_initialized', 'Porta is already initialised: an admin user exists.');

export type BootstrapService = ReturnType<typeof createBootstrapService>;

export function createBootstrapService({ db, log, organizations, applications, clients, users, systemConfig, keys, audit }: BootstrapServiceDeps) {
  const repo = createBootstrapRepo(db);
  const actor = systemActor('bootstrap');

  async function superAdminUserId(): Promise<string | null> {
    try {
      const value = await systemConfig.get(SUPER_ADMIN_USER_KEY);
      return typeof value === 'string' && value !== '' ? value : null;
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  return {
    /** True once `porta init` (or the first-run bootstrap) has created the super admin. */
    isInitialized: async (): Promise<boolean> => (await superAdminUserId()) !== null,

    /**
     * Spec 30 §3, in one transaction, through the same use cases as every other edge (actor: the
     * system, source `bootstrap`): the admin application with its permissions and built-in roles, the
     * CLI's and the console's public PKCE clients, the first admin (active, e-mail verified, `porta-super-admin`),
     * `super_admin_user_id` and a signing key. A second run fails with `already_initialized`.
     */
    async initialize(input: InitInput): Promise<InitResult> {
      const data = parseInput(InitInput, input);
      const result = await db.transaction(async () => {
        await repo.lock();
        if ((await superAdminUserId()) !== null) throw alreadyInitialized();

        const org = await organizations.getSuperAdmin();
        const app = (await applications.findBySlug(ADMIN_APPLICATION_SLUG))
          ?? (await applications.create(actor, { name: 'Porta Admin', slug: ADMIN_APPLICATION_SLUG, description: 'The Porta Admin API and CLI.' }));
        await repo.seedAdminCatalog(app.id);

        const client = (await clients.findByClientId(org.id, ADMIN_CLI_CLIENT_ID))
          ?? (await clients.create(actor, org.id, {
            applicationId: app.id,
            clientId: ADMIN_CLI_CLIENT_ID,
            clientName: ADMIN_CLI_CLIENT_NAME,
            clientType: 'public',
            applicationType: 'native',
            redirectUris: ADMIN_CLI_REDIRECT_URIS,
            postLogoutRedirectUris: ['http://127.0.0.1'],
            grantTypes: ['authorization_code', 'refresh_token'],
            scope: 'openid profile email offline_access',
            tokenEndpointAuthMethod: 'none',
          })).client;
        await repo.ensureConsoleClient(org.id, app.id);

        const user = await users.create(actor, org.id, {
          email: data.email,
          password: data.password,
          givenName: data.givenName,
          familyName: data.familyName,
          emailVerified: true,
        });
        await repo.grantRole(user.id, app.id, SUPER_ADMIN_ROLE);
        await systemConfig.define(SUPER_ADMIN_USER_KEY, {
          value: user.id,
          valueType: 'string',
          description: 'The protected first super admin (set by porta init)',
          isSensitive: true,
          isReadonly: true,
        });
        await keys.ensureActiveKey();
        await audit.record(actor, {
          eventType: 'system.initialized',
          eventCategory: 'system',
          organizationId: org.id,
          userId: user.id,
          targetType: 'user',
          targetId: user.id,
          description: 'Super-admin organization, admin application, CLI and console clients and first admin created.',
        });
        return {
          organization: { id: org.id, slug: org.slug, name: org.name },
          application: { id: app.id, slug: app.slug },
          clientId: client.clientId,
          user: { id: user.id, email: user.email },
          roles: [SUPER_ADMIN_ROLE],
        };
      });
      log.info({ userId: result.user.id, organization: result.organization.slug }, 'system.initialized');
      return result;
    },
  };
}
