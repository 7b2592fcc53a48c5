import type { Config } from './config/index.js';
import type { Clock } from './platform/clock.js';
import type { Db } from './platform/db/index.js';
import type { Kv } from './platform/kv/index.js';
import type { Log } from './platform/log.js';
import { noMetrics, type Metrics } from './platform/metrics.js';
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
import { createRegistrationService, type RegistrationService } from './registration/index.js';
import { createSigningKeyService, type SigningKeyService } from './keys/index.js';
import { createAuditService, type AuditService } from './audit/index.js';
import { createAccessService, createAdminAccess, createRbacService, matchesClaimType, type AccessService, type AdminAccess, type RbacService } from './rbac/index.js';
import { createRateLimitService, type RateLimitService } from './rate-limits/index.js';
import { createBootstrapService, type BootstrapService } from './bootstrap/index.js';
import { createStatsService, type StatsService } from './stats/index.js';
import { createExportService, type ExportService } from './exports/index.js';
import { createProvisioningService, type ProvisioningService } from './provisioning/index.js';
import { createSessionService, type SessionService } from './sessions/index.js';
import { createSeedService, type SeedService } from './seed/index.js';
import { createTwoFactorService, type TwoFactorService } from './two-factor/index.js';
import { createPasskeyService, type PasskeyService } from './passkeys/index.js';
import { createMailComposer, createMailDelivery, createMailService, type DeliveryPolicy, type MailDelivery, type MailService, type MailTransport } from './mail/index.js';
import { createSessionRevoker } from './oidc/revoker.js';
import { createBackchannelLogout, type BackchannelLogout, type LogoutDeliveryPolicy } from './oidc/backchannel-logout.js';
import { createTtlSettings, type RefreshingTtl } from './oidc/ttl.js';

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
  /** Second factors (spec 60 §4): enrolment, verification, admin disable/reset, factor-change notices. */
  twoFactor: TwoFactorService;
  /** Passkeys (spec 70 §1): WebAuthn ceremonies and each user's list. */
  passkeys: PasskeyService;
  /** Spec 20 §5.8 counts and health. */
  stats: StatsService;
  clients: ClientService;
  /** Spec 70 §5 dynamic client registration: initial access tokens and the RFC 7591/7592 use cases. */
  registration: RegistrationService;
  keys: SigningKeyService;
  audit: AuditService;
  /** Roles, permissions and custom claims a user holds in one application (tokens, admin authorization). */
  access: AccessService;
  /** Roles, permissions, claim definitions and values; user-role assignments. */
  rbac: RbacService;
  /** Who holds which admin powers: the actor of an admin token, and the protections that follow. */
  adminAccess: AdminAccess;
  /** Tracked OIDC sessions: the mirror, listing and revocation with the logout cascade. */
  sessions: SessionService;
  rateLimits: RateLimitService;
  /** `porta init` and the first-run bootstrap. */
  bootstrap: BootstrapService;
  /** Spec 20 §5.9 exports. */
  exports: ExportService;
  /** Import manifests (`POST /import`, `porta provision`). */
  provisioning: ProvisioningService;
  /** `porta seed run`: development data through the same use cases (actor: the system, source `seed`). */
  seed: SeedService;
  /** E-mails through the durable outbox (spec 60 §8): `enqueue` joins the caller's transaction. */
  mail: MailService;
  /** The outbox's delivery worker: the server starts it (`start`), never the CLI's direct mode. */
  mailDelivery: MailDelivery;
  /** What the OIDC layer needs besides the stores. */
  oidc: {
    organizations: OrganizationService; applications: ApplicationService; clients: ClientService; users: UserService; keys: SigningKeyService;
    audit: AuditService; rateLimits: RateLimitService; ttl: RefreshingTtl;
    access: AccessService; rbac: RbacService; sessions: SessionService;
    /** Logout tokens to relying parties when a session ends (OIDC Back-Channel Logout 1.0). */
    backchannelLogout: BackchannelLogout;
    registration: RegistrationService;
    twoFactor: TwoFactorService;
    passkeys: PasskeyService;
  };
  stop(): void;
}

export interface ServiceDeps {
  config: Readonly<Config>;
  db: Db;
  kv: Kv;
  clock: Clock;
  log: Log;
  /** Counters for operators; none when absent (the CLI, most tests). */
  metrics?: Metrics;
  /** With an outdated schema, start-up work that needs the tables waits until it is current. */
  isSchemaCurrent: () => boolean;
  /**
   * No purge or retention timer and no signing key made at start: only admin requests are served (the CLI's
   * direct mode), or another worker of the cluster does that work.
   */
  isRequestOnly?: boolean;
  /** Timeouts and retries of back-channel logout deliveries (tests); the defaults otherwise. */
  backchannelLogout?: Partial<LogoutDeliveryPolicy>;
  /** Retries of the mail worker, or another transport than SMTP / files (tests). */
  mail?: { policy?: Partial<DeliveryPolicy>; transport?: MailTransport };
}

/** Builds every domain service from the stores; the server, the CLI and tests all start here. */
export async function createServices(deps: ServiceDeps): Promise<Services> {
  const { db, kv, clock, log } = deps;
  const passwords = createPasswordHasher(deps.config.passwordHash);
  const mail = createMailService({ db, clock, log, onCommitted: () => mailDelivery.nudge(), composer: () => mailComposer });
  const audit = createAuditService({ db, clock, log, retentionDays: () => systemConfig.getNumber('audit_retention_days') });
  // Magic links need a mail transport; without one only passwords sign admins in (issue 9 item 10).
  const isMailConfigured = deps.config.smtp.host !== undefined;
  const organizations = createOrganizationService({ db, kv, clock, log, audit, isMailConfigured });
  const applications = createApplicationService({ db, kv, clock, log, audit });
  const systemConfig = createSystemConfigService({ db, kv, clock, log, audit });
  const users = createUserService({
    db, clock, log, passwords, settings: systemConfig, audit, adminAccess: () => adminAccess, sessions: () => sessions,
    mail: () => mail, issuerBaseUrl: deps.config.issuerBaseUrl,
    organizationNames: async (orgId) => {
      const org = await organizations.findById(orgId);
      return org ? [org.name, org.branding.companyName, org.slug] : [];
    },
    organization: async (orgId) => {
      const org = await organizations.findById(orgId);
      return org ? { id: org.id, slug: org.slug, name: org.name, companyName: org.branding.companyName } : null;
    },
    access: () => ({
      roleApplicationSlug: async (appId, roleId) => {
        const role = await rbac.getRole(appId, roleId);
        return (await applications.findByIdOrSlug(role.applicationId))?.slug ?? '';
      },
      claimType: async (appId, claimId) => (await rbac.getClaim(appId, claimId)).claimType,
      matchesClaimType: (type, value) => matchesClaimType(type as Parameters<typeof matchesClaimType>[0], value),
      assignRole: async (actor, orgId, userId, roleId) => void (await rbac.assignRoles(actor, orgId, userId, { roleIds: [roleId] })),
      setClaimValue: async (actor, appId, claimId, userId, value) => void (await rbac.setClaimValue(actor, appId, claimId, userId, { value })),
    }),
  });
  const clients = createClientService({
    db, kv, clock, log, passwords, audit, organizations, applications, sessions: () => sessions, isMailConfigured,
  });
  const registration = createRegistrationService({ db, clock, log, audit, organizations, applications, clients });
  const keys = createSigningKeyService({ db, kv, clock, log, audit });
  const access = createAccessService(db);
  const rbac = createRbacService({ db, kv, clock, log, applications, users, organizations, audit, adminAccess: () => adminAccess });
  const rateLimits = createRateLimitService({ kv, log, settings: systemConfig, audit, metrics: deps.metrics ?? noMetrics });
  const sessions: SessionService = createSessionService({ db, clock, log, audit, revoker: () => revoker, adminAccess: () => adminAccess });
  const backchannelLogout = createBackchannelLogout({ log, audit, policy: deps.backchannelLogout });
  const revoker = createSessionRevoker({ db, kv, log, clock, mirror: sessions, backchannel: backchannelLogout });
  const adminAccess: AdminAccess = createAdminAccess({
    db, organizations, applications, systemConfig, clients,
    users: { findById: (orgId, id) => users.findById(orgId, id) },
  });
  const branding = createBrandingService({ db, kv, clock, log, audit, organizations });
  const mailComposer = createMailComposer({
    config: deps.config, log, organizations, branding, configuredLocale: () => systemConfig.findString('default_locale'),
  });
  const mailDelivery = createMailDelivery({
    config: deps.config, db, clock, log, audit, organizations, branding, isSchemaCurrent: deps.isSchemaCurrent, composer: mailComposer, ...deps.mail,
  });
  const organizationDestroy = createOrganizationDestroyService({ db, clock, log, organizations, audit, sessions, branding });
  const hasStartupWork = deps.isSchemaCurrent() && !deps.isRequestOnly;
  const stopSessionPurge = hasStartupWork ? sessions.startPurgeTimer() : () => undefined;
  const stopAuditRetention = deps.isRequestOnly ? () => undefined : audit.startRetentionTimer({ isEnabled: deps.isSchemaCurrent });
  const bootstrap = createBootstrapService({ db, log, organizations, applications, clients, users, systemConfig, keys, audit });
  const exports = createExportService({ db, clock, organizations, applications, audit });
  const provisioning = createProvisioningService({ db, clock, log, audit, organizations, applications, clients, users, systemConfig, rbac });
  const twoFactor = createTwoFactorService({
    db, clock, log, audit, passwords, encryptionKey: deps.config.twoFactorEncryptionKey, users, organizations,
    adminAccess: () => adminAccess, mail: () => mail, settings: systemConfig, passkeys: () => passkeys,
  });
  const passkeys = createPasskeyService({
    db, kv, clock, log, audit, issuerBaseUrl: deps.config.issuerBaseUrl, users, organizations, adminAccess: () => adminAccess, twoFactor: () => twoFactor,
  });
  const gdpr = createUserGdprService({ db, clock, log, users, organizations, audit, adminAccess: () => adminAccess, sessions, twoFactor, passkeys });
  const stats = createStatsService({ db, kv, clock, organizations, audit });
  const seed = createSeedService({ organizations, applications, clients, users, audit, log });
  if (hasStartupWork) await keys.ensureActiveKey();
  const ttl = await createTtlSettings(
    (key) => (deps.isSchemaCurrent() ? systemConfig.getDuration(key) : Promise.reject(new Error('schema outdated'))),
    log,
  );
  return {
    clock, organizations, organizationDestroy, branding, applications, systemConfig, users, gdpr, twoFactor, passkeys, stats, clients, registration, keys, audit, access, rbac, adminAccess, rateLimits, bootstrap, sessions, exports, provisioning, seed, mail, mailDelivery,
    oidc: { organizations, applications, clients, users, keys, audit, rateLimits, ttl, access, rbac, sessions, backchannelLogout, registration, twoFactor, passkeys },
    stop: () => {
      ttl.stop();
      stopSessionPurge();
      stopAuditRetention();
      void mailDelivery.stop();
    },
  };
}
