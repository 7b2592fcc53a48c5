import { fileURLToPath } from 'node:url';
import type { Config } from './config/index.js';
import type { Clock } from './platform/clock.js';
import type { Db } from './platform/db/index.js';
import type { Kv } from './platform/kv/index.js';
import type { Log } from './platform/log.js';
import { createOrganizationService, type OrganizationService } from './organizations/index.js';
import { createApplicationService, type ApplicationService } from './applications/index.js';
import { createSystemConfigService, type SystemConfigService } from './system-config/index.js';
import { createUserService, createPasswordHasher, type UserService } from './users/index.js';
import { createClientService, type ClientService } from './clients/index.js';
import { createSigningKeyService, type SigningKeyService } from './keys/index.js';
import { createTtlSettings, type RefreshingTtl } from './oidc/ttl.js';
import { loadI18n, type I18n } from './http/pages/i18n.js';
import { createRenderer, type Renderer } from './http/pages/render.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/default', import.meta.url));
export const LOCALES_DIR = fileURLToPath(new URL('../locales', import.meta.url));

export interface Services {
  clock: Clock;
  organizations: OrganizationService;
  applications: ApplicationService;
  systemConfig: SystemConfigService;
  users: UserService;
  clients: ClientService;
  keys: SigningKeyService;
  /** What the OIDC layer needs besides the stores. */
  oidc: { organizations: OrganizationService; clients: ClientService; users: UserService; keys: SigningKeyService; ttl: RefreshingTtl; renderer: Renderer; i18n: I18n };
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
  if (deps.isSchemaCurrent()) await keys.ensureActiveKey();
  const ttl = await createTtlSettings(
    (key) => (deps.isSchemaCurrent() ? systemConfig.getDuration(key) : Promise.reject(new Error('schema outdated'))),
    log,
  );
  const i18n = loadI18n(LOCALES_DIR);
  const renderer = createRenderer(TEMPLATES_DIR, i18n);
  return {
    clock, organizations, applications, systemConfig, users, clients, keys,
    oidc: { organizations, clients, users, keys, ttl, renderer, i18n },
    stop: () => ttl.stop(),
  };
}
