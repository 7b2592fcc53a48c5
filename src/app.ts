import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Config } from './config/index.js';
import { createLog, type Log } from './platform/log.js';
import { systemClock, type Clock } from './platform/clock.js';
import { openDb, createMigrator, timeDb, type Db, type Migrator, type MigrationSource, type LockPurpose } from './platform/db/index.js';
import { createKv, timeKv, type Kv } from './platform/kv/index.js';
import { noMetrics } from './platform/metrics.js';
import type { ClusterWorker } from './platform/cluster.js';
import { waitUntilReachable } from './platform/wait.js';
import { AppError } from './platform/errors.js';
import { requestContext } from './http/request-context.js';
import { publicRequest } from './http/public-request.js';
import { errorMapper } from './http/errors.js';
import { checkRequestUrl } from './http/input-guard.js';
import { securityHeaders } from './http/security-headers.js';
import { createPages, readBodies } from './pages/index.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './http/metrics.js';
import { healthRoutes } from './http/health.js';
import { schemaGate, watchSchema, type SchemaState } from './http/schema-gate.js';
import { brandingAssetRoutes, pageOrganization } from './http/branding.js';
import { staticAssetRoutes } from './http/static-assets.js';
import { brandingUploadLimit } from './http/admin/organization-branding.js';
import { importBodyLimit } from './http/admin/import.js';
import { createServices, type Services } from './services.js';
import type { OidcDeps } from './oidc/types.js';
import type { ProviderRegistry } from './oidc/registry.js';
import type { LogoutDeliveryPolicy } from './oidc/backchannel-logout.js';
import { createAdminTokenLookup } from './oidc/admin-tokens.js';
import { adminRoutes } from './http/admin/index.js';
import { devMailRoutes } from './http/dev-mail.js';
import { adminConsole } from './http/admin-console.js';

export interface PortaOptions {
  config: Readonly<Config>;
  log?: Log;
  clock?: Clock;
  /** Who holds the embedded database's lock. */
  purpose?: LockPurpose;
  /** Interval of the pending-migration re-check (spec: 10 s). */
  schemaCheckIntervalMs?: number;
  /** Migrations (a list, or a directory read at every check) instead of the shipped ones (tests). */
  migrations?: MigrationSource;
  /** Mounts extra middleware just before the 404 fallback (tests). */
  extend?: (app: Koa) => void;
  /** Stores to use instead of opening the configured ones (tests); Porta closes them on close(). */
  db?: Db;
  kv?: Kv;
  /** The CLI's direct mode: the admin API accepts this one-off token as an all-permissions principal (spec 30 §1). */
  adminDirect?: { token: string; osUser: string };
  /** `admin`: health and the admin API alone, without OIDC engines, tenant routes or start-up work (the CLI's direct mode). */
  surface?: 'full' | 'admin';
  /** Timeouts and retries of back-channel logout deliveries instead of the defaults (tests). */
  backchannelLogout?: Partial<LogoutDeliveryPolicy>;
  /** The page templates and messages to read instead of the shipped `templates/` and `locales/` (tests). */
  pages?: { templates?: string; locales?: string };
  /**
   * This process is one worker of several (PORTA_WORKERS > 1). Only the first migrates, makes signing keys,
   * checks SMTP and runs the periodic purges; every worker sends mail (rows are claimed with SKIP LOCKED).
   */
  cluster?: ClusterWorker;
}

export interface Porta {
  config: Readonly<Config>;
  log: Log;
  clock: Clock;
  db: Db;
  kv: Kv;
  migrator: Migrator;
  schema: SchemaState;
  services: Services;
  /** The OIDC engines, shared by every organization (admin token checks, tests: `withOrganization`). */
  registry: ProviderRegistry;
  app: Koa;
  /** What the HTTP server runs for each request: the app, behind the replay of public documents (oidc/metadata-cache.ts). */
  listener: RequestListener;
  /** Set while shutting down: responses close their connection. */
  markDraining(): void;
  /** Disconnects PostgreSQL and Redis. */
  close(): Promise<void>;
}

/** The one place where stores, services and the HTTP app are wired together (server, CLI and tests). */
export async function createPorta(options: PortaOptions): Promise<Porta> {
  const log = options.log ?? createLog({ env: options.config.env, level: options.config.logLevel });
  let config = options.config;
  if (config.cookieKeys.length === 0) {
    // Only reachable when a caller skipped withDevSecrets; cookies then last as long as this process.
    log.warn('config.cookie_keys_missing: using a random per-process cookie key');
    config = Object.freeze({ ...config, cookieKeys: [randomBytes(32).toString('base64url')] });
  }
  const clock = options.clock ?? systemClock;
  const prometheus = config.metricsEnabled ? createPrometheusMetrics({ cluster: options.cluster }) : undefined;
  // Another worker of the same cluster did, or does, the once-only start-up work.
  const isLaterWorker = options.cluster !== undefined && !options.cluster.isFirst;
  const metrics = prometheus?.metrics ?? noMetrics;
  const openedKv = options.kv ?? createKv(config.kv, { clock, log });
  // Without metrics the stores are used as they are: nothing stands between a caller and a query.
  const kv = prometheus ? timeKv(openedKv, metrics.kvCommand) : openedKv;
  let db: Db | undefined = options.db;
  try {
    if (config.kv.kind === 'redis') {
      await waitUntilReachable('Redis', () => kv.ping(), { timeoutSeconds: config.waitTimeoutSeconds, log });
    }
    db ??= await openDb(config.database, { purpose: options.purpose ?? 'server', log });
    const opened = prometheus ? timeDb(db, metrics.dbQuery) : db;
    if (config.database.kind === 'postgres') {
      await waitUntilReachable('PostgreSQL', () => opened.ping(), { timeoutSeconds: config.waitTimeoutSeconds, log });
    }
    const migrator = createMigrator(opened, options.migrations, { appRole: config.database.kind === 'postgres' ? config.database.appRole : undefined });
    if ((config.database.kind === 'embedded' || config.autoMigrate) && !isLaterWorker) {
      const applied = await migrator.up();
      if (applied.length > 0) log.info({ migrations: applied }, 'migrations.applied');
    }
    const schema = await watchSchema(migrator, log, options.schemaCheckIntervalMs);
    const isAdminOnly = options.surface === 'admin';
    const services = await createServices({
      config, db: opened, kv, clock, log, metrics, isSchemaCurrent: () => schema.isCurrent(), isRequestOnly: isAdminOnly || isLaterWorker, backchannelLogout: options.backchannelLogout,
    });
    let isDraining = false;
    const pages = createPages({
      ...options.pages, isReloading: config.env === 'development', configuredLocale: () => services.systemConfig.peekMany()?.default_locale,
      warn: (warning) => log.warn(warning, 'pages.file_ignored'),
    });
    services.mailDelivery.usePages(pages);
    const oidcDeps = (): OidcDeps => ({ config, log, clock: services.clock, db: opened, kv, metrics, ...services.oidc, ...pages });
    const oidc = isAdminOnly ? undefined : await oidcSurface(oidcDeps());
    // Logout tokens are signed by the organization's engine; the admin surface loads the engines only if it needs one.
    let loading: Promise<OidcSurface> | undefined;
    services.oidc.backchannelLogout.useEngines(async (organizationId, fn) => {
      const org = await services.organizations.findById(organizationId);
      if (org) await (oidc ?? (await (loading ??= oidcSurface(oidcDeps())))).registry.withOrganization(org, fn);
    });
    const registry = oidc?.registry ?? NO_ENGINES;
    // The server sends the outbox; the CLI's direct mode only enqueues (spec 60 §8).
    if (!isAdminOnly) {
      services.mailDelivery.start();
      if (!isLaterWorker) void reportMailTransport(services, log);
    }
    const app = buildHttpApp({ config, log, db: opened, kv, schema, services, oidc, registry, prometheus, extend: options.extend, adminDirect: options.adminDirect, isDraining: () => isDraining });
    // The replay skips the middleware chain, so only while the chain has nothing of its own to add.
    const isReplayable = () => !isDraining && schema.isCurrent() && !prometheus && !config.tracing;
    let koa: RequestListener | undefined;
    const viaKoa: RequestListener = (req, res) => (koa ??= app.callback())(req, res);
    const listener = oidc ? oidc.publicDocuments.listener(viaKoa, { log, isEnabled: isReplayable }) : viaKoa;
    return {
      config, log, clock, db: opened, kv, migrator, schema, services, registry, app, listener,
      markDraining: () => {
        isDraining = true;
      },
      async close() {
        schema.stop();
        services.stop();
        // The message being sent finishes (or is retried later: its row stays pending).
        await services.mailDelivery.stop();
        // Logout tokens under way get a bounded last chance while the database can still record failures.
        await services.oidc.backchannelLogout.drain();
        await Promise.allSettled([opened.close(), kv.close()]);
      },
    };
  } catch (err) {
    await Promise.allSettled([db?.close(), kv.close()]);
    throw err;
  }
}

/** The start-up line on e-mail: SMTP reachable or not (never blocks start-up), or the development outbox. */
async function reportMailTransport(services: Services, log: Log): Promise<void> {
  const delivery = services.mailDelivery;
  if (delivery.transportKind === 'files') return log.info({ dir: delivery.outboxDir }, 'mail.dev_outbox: SMTP_HOST is not set; e-mails are written to files (see /_dev/mail)');
  const check = await delivery.checkSmtp(5_000).catch(() => undefined);
  if (!check) return;
  if (check.isReachable) log.info({ target: check.target }, 'mail.smtp_reachable');
  else log.warn({ target: check.target, error: check.error }, 'mail.smtp_unreachable: e-mails wait in the outbox and are retried');
}

/** The OIDC engines and tenant routes, imported only to be served: they are most of a short CLI command's start-up. */
async function oidcSurface(deps: OidcDeps) {
  const [{ createProviderRegistry }, { tenantRoutes, tenantErrorPresenter }, { createPublicDocuments }, portal] = await Promise.all([
    import('./oidc/registry.js'), import('./oidc/tenant.js'), import('./oidc/metadata-cache.js'), accountPortalModules(),
  ]);
  return { deps, registry: createProviderRegistry(deps), tenantRoutes, tenantErrorPresenter, publicDocuments: createPublicDocuments(deps), portal };
}

/** The account portal (spec 70 §2) and its code exchange with the organization's issuer. */
async function accountPortalModules() {
  const [{ accountPortalRoutes }, { createPortalSessions }, { createPortalCodeRedeemer }] = await Promise.all([
    import('./account-portal/routes.js'), import('./account-portal/session.js'), import('./oidc/account-portal-sign-in.js'),
  ]);
  return { accountPortalRoutes, createPortalSessions, createPortalCodeRedeemer };
}

type OidcSurface = Awaited<ReturnType<typeof oidcSurface>>;

/** The `admin` surface has no OIDC engines, so it knows no admin access token but the direct-mode one. */
const NO_ENGINES: ProviderRegistry = {
  providerFor: () => Promise.reject(new AppError('unauthorized', 'unauthorized', 'A valid admin access token is required.')),
  withOrganization: () => Promise.reject(new AppError('unauthorized', 'unauthorized', 'A valid admin access token is required.')),
  clear: () => undefined,
};

interface HttpAppDeps {
  config: Readonly<Config>;
  log: Log;
  db: Db;
  kv: Kv;
  schema: SchemaState;
  services: Services;
  /** Absent on the `admin` surface. */
  oidc: OidcSurface | undefined;
  registry: ProviderRegistry;
  /** Absent unless METRICS_ENABLED. */
  prometheus: PrometheusMetrics | undefined;
  extend: ((app: Koa) => void) | undefined;
  adminDirect: { token: string; osUser: string } | undefined;
  isDraining: () => boolean;
}

function buildHttpApp(deps: HttpAppDeps): Koa {
  // The engines are mounted into this app and sign their cookies with its keys (newest first signs).
  // Koa's own proxy mode believes the leftmost X-Forwarded-For entry: publicRequest decides instead.
  const app = new Koa({ proxy: false, keys: [...deps.config.cookieKeys] });
  // Errors are answered by errorMapper; Koa's default handler would print stacks to stderr.
  app.silent = true;
  const metrics = deps.prometheus;

  app.use(publicRequest({ trustProxy: deps.config.http.trustProxy, issuerBaseUrl: deps.config.issuerBaseUrl }));
  app.use(requestContext(deps.log));
  if (metrics) app.use(metrics.middleware);
  app.use(async (ctx, next) => {
    if (deps.isDraining()) ctx.set('Connection', 'close');
    await next();
  });
  const pageOrganizationOf = pageOrganization({ branding: deps.services.branding, log: deps.log });
  const present = deps.oidc?.tenantErrorPresenter(deps.oidc.deps, { pageOrganization: pageOrganizationOf });
  app.use(errorMapper(deps.log, { present }));
  app.use(securityHeaders({ isHttpsIssuer: deps.config.issuerBaseUrl.startsWith('https://') }));
  app.use(checkRequestUrl);
  app.use(readBodies({ limitFor: (ctx) => brandingUploadLimit(ctx) ?? importBodyLimit(ctx) }));

  const health = healthRoutes({ db: deps.db, kv: deps.kv, log: deps.log, schema: deps.schema, metrics });
  app.use(health.routes());
  app.use(schemaGate(deps.schema));
  // Discovery and JWKS from bytes the engine produced, before the routers (oidc/metadata-cache.ts).
  if (deps.oidc) app.use(deps.oidc.publicDocuments.middleware);
  app.use(neutralRoutes().routes());
  deps.extend?.(app);
  const { config, log, services, registry } = deps;
  // Development only: the messages of the local outbox (404 in production: not mounted).
  if (config.env !== 'production') app.use(devMailRoutes({ dir: services.mailDelivery.outboxDir, isActive: services.mailDelivery.transportKind === 'files' }).routes());
  app.use(adminRoutes({ config, log, services, tokens: createAdminTokenLookup(registry, services.organizations), direct: deps.adminDirect }));
  app.use(brandingAssetRoutes({ organizations: services.organizations, branding: services.branding, log }));
  // The pages' own scripts; `static` is a reserved slug (spec 10 §1), so no organization is shadowed.
  if (deps.oidc) app.use(staticAssetRoutes().routes());
  // The admin console (spec 70 §3): `admin` is a reserved slug, so no organization is shadowed.
  if (deps.oidc) app.use(adminConsole());
  if (deps.oidc) {
    const { portal, deps: oidcDeps } = deps.oidc;
    const accountPortal = portal.accountPortalRoutes({
      config, log, clock: services.clock, kv: deps.kv, renderer: oidcDeps.renderer, i18n: oidcDeps.i18n,
      organizations: services.organizations, users: services.users, sessions: services.sessions, twoFactor: services.twoFactor,
      passkeys: services.passkeys, audit: services.audit, clients: services.clients, rateLimits: services.rateLimits,
      redeemCode: portal.createPortalCodeRedeemer(registry), portalSessions: portal.createPortalSessions(deps.kv, () => services.clock.now()),
    });
    app.use(deps.oidc.tenantRoutes(oidcDeps, registry, { pageOrganization: pageOrganizationOf, accountPortal }));
  }
  app.use(() => {
    throw new AppError('not_found', 'not_found', 'Not found.');
  });
  return app;
}

/** The anonymous surface names neither product nor version (spec 50 §8). */
function neutralRoutes(): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Robots-Tag', 'noindex, nofollow');
    ctx.type = 'text/plain';
    ctx.body = 'No public content is served here.\n';
  });
  router.get('/robots.txt', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'User-agent: *\nDisallow: /\n';
  });
  router.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
  });
  return router;
}
