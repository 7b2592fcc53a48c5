import path from 'node:path';
import { resolveFileVariables, type Env, type ReadFile } from './env-files.js';
import { EnvSchema, embeddedDatabase, type Config } from './schema.js';
import { productionSafetyViolations } from './safety.js';

/** Every problem found in the environment, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  cwd?: string;
  readFile?: ReadFile;
}

/**
 * Turns the environment (with `*_FILE` variants) into one frozen Config, or throws ConfigError
 * listing every problem. Reads only the files that `*_FILE` variables name.
 */
export function loadConfig(source: Env, options: LoadConfigOptions = {}): Readonly<Config> {
  const cwd = options.cwd ?? process.cwd();
  const resolved = resolveFileVariables(source, options.readFile);
  const problems = [...resolved.errors];
  const parsed = EnvSchema.safeParse(resolved.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';

  const cookieKeys = (e.COOKIE_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (!isProduction) {
    cookieKeys.forEach((k, i) => {
      if (k.length < 16) problems.push(`COOKIE_KEYS: key ${i + 1} is shorter than 16 characters`);
    });
  }
  if (!isProduction && e.TWO_FACTOR_ENCRYPTION_KEY !== undefined && !/^[0-9a-fA-F]{64}$/.test(e.TWO_FACTOR_ENCRYPTION_KEY)) {
    problems.push('TWO_FACTOR_ENCRYPTION_KEY: must be 64 hexadecimal characters (32 bytes)');
  }

  const adminCorsOrigins = (e.ADMIN_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of adminCorsOrigins) {
    if (!isOrigin(origin)) problems.push(`ADMIN_CORS_ORIGINS: "${origin}" is not an origin like https://admin.example.com`);
  }

  let issuerBaseUrl = (e.ISSUER_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  if (e.ISSUER_BASE_URL !== undefined) {
    const u = new URL(issuerBaseUrl);
    if (u.search !== '' || u.hash !== '') problems.push('ISSUER_BASE_URL: must not contain a query or fragment');
    // Issuers are `{origin}/{slug}`, and the engine builds its endpoint URLs from the origin alone.
    else if (u.pathname !== '/' || u.username !== '' || u.password !== '') {
      problems.push('ISSUER_BASE_URL: must be an origin like https://auth.example.com, without a path or credentials');
    } else issuerBaseUrl = u.origin;
  }

  const violations = isProduction ? productionSafetyViolations(e, cookieKeys) : [];
  const skippedSafetyViolations: string[] = [];
  if (violations.length > 0) {
    if (e.PORTA_SKIP_PROD_SAFETY) skippedSafetyViolations.push(...violations);
    else problems.push(...violations);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(cwd, e.PORTA_DATA_DIR);
  const config: Config = {
    env: e.NODE_ENV,
    http: { port: e.PORT, host: e.HOST, trustProxy: e.TRUST_PROXY, adminCorsOrigins },
    issuerBaseUrl,
    dataDir,
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL, ...(e.PORTA_APP_ROLE ? { appRole: e.PORTA_APP_ROLE } : {}) } : embeddedDatabase(dataDir),
    kv: e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : { kind: 'memory' },
    cookieKeys,
    twoFactorEncryptionKey: e.TWO_FACTOR_ENCRYPTION_KEY,
    smtp: {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT ?? 587,
      user: e.SMTP_USER,
      pass: e.SMTP_PASS === '' ? undefined : e.SMTP_PASS,
      from: e.SMTP_FROM ?? 'noreply@porta.local',
      secure: e.SMTP_SECURE ?? (e.SMTP_PORT ?? 587) === 465,
      requireStartTls: e.SMTP_STARTTLS === 'required',
      tlsRejectUnauthorized: e.SMTP_TLS_REJECT_UNAUTHORIZED,
    },
    logLevel: e.LOG_LEVEL,
    passwordHash: { memoryCost: e.PASSWORD_HASH_MEMORY_KIB, timeCost: e.PASSWORD_HASH_TIME_COST, parallelism: e.PASSWORD_HASH_PARALLELISM },
    metricsEnabled: e.METRICS_ENABLED,
    tracing: (e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && !e.OTEL_SDK_DISABLED ? { serviceName: e.OTEL_SERVICE_NAME } : undefined,
    autoMigrate: e.PORTA_AUTO_MIGRATE,
    workers: e.PORTA_WORKERS,
    waitTimeoutSeconds: e.PORTA_WAIT_TIMEOUT,
    bootstrapAdmin: { email: e.PORTA_BOOTSTRAP_ADMIN_EMAIL, password: e.PORTA_BOOTSTRAP_ADMIN_PASSWORD },
    signingKeyEncryptionKey: e.SIGNING_KEY_ENCRYPTION_KEY,
    skippedSafetyViolations,
    fileOverrides: resolved.overridden,
  };
  return deepFreeze(config);
}

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === value;
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
