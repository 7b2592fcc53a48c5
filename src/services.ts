import { fileURLToPath } from 'node:url';
import type { Config } from './config/index.js';
import type { Clock } from './platform/clock.js';
import type { Db } from './platform/db/index.js';
import type { Kv } from './platform/kv/index.js';
import type { Log } from './platform/log.js';
import {
  createOrganizationDestroyService,
  createOrganizationService,
  type OrganizationDestroyService,
  type OrganizationService,
} from './organizations/index.js';
import { createBrandingService, type BrandingService } from './branding/index.js';
import { createApplicationService, type ApplicationService } from './applications/index.js';
import { createSystemConfigService, type SystemConfigService } from './system-config/index.js';
import { createUserService, createPasswordHasher, createUserGdprService, type UserService, type UserGdprService } from './users/index.js';
import { createClientService, type ClientService } from './clients/index.js';
import { createSigningKeyService, type SigningKeyService } from './keys/index.js';
import { createAuditService, type AuditService } from './audit/index.js';
import { createAccessService, createRbacService, type AccessService, type RbacService } from './rbac/index.js';
import { createRateLimitService, type RateLimitService } from './rate-limits/index.js';
import { createBootstrapService, SUPER_ADMIN_USER_KEY, type BootstrapService } from './bootstrap/index.js';
import { createStatsService, type StatsService } from './stats/index.js';
import { createExportService, type ExportService } from './exports/index.js';
import { createProvisioningService, type ProvisioningService } from './provisioning/index.js';
import { createSessionService, type SessionService } from './sessions/index.js';
import { createAdapterFactory } from './oidc/adapter.js';
import { createTtlSettings, type RefreshingTtl } from './oidc/ttl.js';
import { loadI18n, type I18n } from './http/pages/i18n.js';
import { createRenderer, type Renderer } from './http/pages/render.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/default', import.meta.url));
export const LOCALES_DIR = fileURLToPath(new URL('../locales', import.meta.url));

export interface Services {
  clock: Clock;
  organizations: OrganizationService;
  /** Spec 20 §5.1 permanent removal of an organization and all it owns. */
  organizationDestroy: OrganizationDestroyService;
  /** Uploaded logo and favicon per organization (spec 20 §5.2). */
  branding: BrandingService;
  applications: ApplicationService;
  systemConfig: SystemConfigService;
  users: UserService;
  /** Spec 50 §11 export and purge of one user's data. */
  gdpr: UserGdprService;
  /** Spec 20 §5.8 counts and health. */
  stats: StatsService;
  clients: ClientService;
  keys: SigningKeyService;
  audit: AuditService;
  /** Roles, permissions and custom claims a user holds in one application (tokens, admin authorization). */
  access: AccessService;
  /** Roles, permissions, claim definitions and values; user-role assignments. */
  rbac: RbacService;
  /** Tracked OIDC sessions: the mirror, listing and revocation with the logout cascade. */
  sessions: SessionService;
  rateLimits: RateLimitService;
  /** `porta init` and the first-run bootstrap. */
  bootstrap: BootstrapService;
  /** Spec 20 §5.9 exports. */
  exports: ExportService;
  /** Import manifests (`POST /import`, `porta provision`). */
  provisioning: ProvisioningService;
  /** What the OIDC layer needs besides the stores. */
  oidc: {
    organizations: OrganizationService; applications: ApplicationService; clients: ClientService; users: UserService; keys: SigningKeyService;
    audit: AuditService; rateLimits: RateLimitService; ttl: RefreshingTtl; renderer: Renderer; i18n: I18n;
    access: AccessService; rbac: RbacService; sessions: SessionService;
  };
  stop(): void;
}

export interface ServiceDeps {
  config: Readonly<Config>;
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** With an outdated schema, start-up work that needs the tables waits until it is current. */
  isSchemaCurrent: () => boolean;
}

/** Builds every domain service from the stores; the server, the CLI and tests all start here. */
export async function createServices(deps: ServiceDeps): Promise<Services> {
  const { db, kv, clock, log } = deps;
  const passwords = createPasswordHasher();
  const organizations = createOrganizationService({ db, kv, clock, log });
  const applications = createApplicationService({ db, kv, clock, log });
  const systemConfig = createSystemConfigService({ db, kv, clock, log });
  const users = createUserService({ db, clock, log, passwords, settings: systemConfig });
  const clients = createClientService({ db, kv, clock, log, passwords });
  const keys = createSigningKeyService({ db, kv, clock, log });
  const audit = createAuditService({ db, clock, log, retentionDays: () => systemConfig.getNumber('audit_retention_days') });
  const access = createAccessService(db);
  const rbac = createRbacService({ db, kv, clock, log, applications, users, organizations, systemConfig });
  const rateLimits = createRateLimitService({ kv, log, settings: systemConfig, audit });
  const sessions: SessionService = createSessionService({
    db, clock, log,
    destroyLive: (organizationId, sessionId) =>
      createAdapterFactory({ db, kv, log, clock, organizationId, mirror: sessions }).destroySession(sessionId),
  });
  const branding = createBrandingService({ db, kv, log });
  const organizationDestroy = createOrganizationDestroyService({ db, clock, log, organizations, audit, sessions, branding });
  const stopSessionPurge = deps.isSchemaCurrent() ? sessions.startPurgeTimer() : () => undefined;
  const bootstrap = createBootstrapService({ db, kv, clock, log, passwords });
  const exports = createExportService({ db, clock, organizations, applications });
  const provisioning = createProvisioningService({ db, kv, clock, log, passwords });
  const superAdminUserId = () => systemConfig.findString(SUPER_ADMIN_USER_KEY);
  const gdpr = createUserGdprService({ db, clock, log, users, organizations, audit, superAdminUserId, sessions });
  const stats = createStatsService({ db, kv, clock, organizations, audit });
  if (deps.isSchemaCurrent()) await keys.ensureActiveKey();
  const ttl = await createTtlSettings(
    (key) => (deps.isSchemaCurrent() ? systemConfig.getDuration(key) : Promise.reject(new Error('schema outdated'))),
    log,
  );
  const i18n = loadI18n(LOCALES_DIR);
  const renderer = createRenderer(TEMPLATES_DIR, i18n);
  return {
    clock, organizations, organizationDestroy, branding, applications, systemConfig, users, gdpr, stats, clients, keys, audit, access, rbac, rateLimits, bootstrap, sessions, exports, provisioning,
    oidc: { organizations, applications, clients, users, keys, audit, rateLimits, ttl, renderer, i18n, access, rbac, sessions },
    stop: () => {
      ttl.stop();
      stopSessionPurge();
    },
  };
}
