import path from 'node:path';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(z.coerce.number<string>().int().min(0).max(65535));

const url = (protocols: string[]) =>
  optionalText.refine((v) => v === undefined || isUrlWith(v, protocols), {
    message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  });

function isUrlWith(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** OWASP Password Storage Cheat Sheet minimum for Argon2id, and Porta's default: m=19 MiB, t=2, p=1. */
export const ARGON2ID_MINIMUM = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** An Argon2id cost: the default when unset, refused below the OWASP minimum. */
const argon2Cost = (minimum: number, maximum: number, what: string) =>
  optionalText.pipe(
    z.coerce.number<string | undefined>().int()
      .min(minimum, { message: `must be at least ${minimum} (${what}: the OWASP minimum for Argon2id is m=19456 KiB, t=2, p=1)` })
      .max(maximum, { message: `must be at most ${maximum}` })
      .default(minimum),
  );

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** More would exhaust PostgreSQL first: every worker keeps its own pool of connections. */
export const MAX_WORKERS = 64;

const workerCount = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (n >= 1 && n <= MAX_WORKERS) return n;
  ctx.addIssue({ code: 'custom', message: `must be a whole number of worker processes from 1 to ${MAX_WORKERS} (got "${v}"); leave it unset for one per core in production` });
  return z.NEVER;
});

/** The raw environment as zod sees it; `loadConfig` turns it into `Config`. */
export const EnvSchema = z.object({
  // Seed 000: production unless said otherwise; `npm start` and the CLI in a checkout say development.
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  PORT: port(3000),
  HOST: optionalText.transform((v) => v ?? '0.0.0.0'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:', 'redis+cluster:', 'redis+sentinel:']),
  /** Prepended to every Redis key, so several deployments can share one Redis. */
  REDIS_KEY_PREFIX: optionalText
    .transform((v) => v ?? 'porta:')
    .refine((v) => /^[A-Za-z0-9:_.{}-]{1,64}$/.test(v), { message: 'must be 1–64 characters of A-Z a-z 0-9 : _ . - { }' }),
  ISSUER_BASE_URL: url(['http:', 'https:']),
  COOKIE_KEYS: optionalText,
  TWO_FACTOR_ENCRYPTION_KEY: optionalText,
  SMTP_HOST: optionalText,
  SMTP_PORT: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
  SMTP_USER: optionalText,
  SMTP_PASS: z.string().optional(),
  SMTP_FROM: optionalText,
  /** Implicit TLS from the first byte; default: on for port 465 only. */
  SMTP_SECURE: z.enum(['true', 'false', '1', '0', 'yes', 'no', '']).optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v === 'true' || v === '1' || v === 'yes')),
  /** Without implicit TLS: `required` refuses a server that does not offer STARTTLS; `optional` upgrades when offered. */
  SMTP_STARTTLS: optionalText.pipe(z.enum(['required', 'optional']).default('optional')),
  /** Verify the SMTP server's certificate (default true). */
  SMTP_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false', '1', '0', 'yes', 'no', '']).optional()
    .transform((v) => v === undefined || v === '' || v === 'true' || v === '1' || v === 'yes'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // Argon2id cost of password hashes made from now on; a stored hash is verified with its own parameters.
  PASSWORD_HASH_MEMORY_KIB: argon2Cost(ARGON2ID_MINIMUM.memoryCost, 4_194_304, 'memory in KiB'),
  PASSWORD_HASH_TIME_COST: argon2Cost(ARGON2ID_MINIMUM.timeCost, 100, 'passes over the memory'),
  PASSWORD_HASH_PARALLELISM: argon2Cost(ARGON2ID_MINIMUM.parallelism, 16, 'lanes'),
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const trust = parseTrustProxy(v);
      if (!('problem' in trust)) return trust;
      ctx.addIssue({ code: 'custom', message: trust.problem });
      return z.NEVER;
    }),
  METRICS_ENABLED: booleanFlag,
  ADMIN_CORS_ORIGINS: optionalText,
  PORTA_AUTO_MIGRATE: booleanFlag,
  PORTA_APP_ROLE: optionalText.refine((v) => v === undefined || v.length <= 63, { message: 'must be a PostgreSQL role name (at most 63 characters)' }),
  /** Worker processes sharing the port (Node cluster); unset: one per core in production, 1 otherwise. */
  PORTA_WORKERS: workerCount,
  PORTA_WAIT_TIMEOUT: optionalText.pipe(z.coerce.number<string | undefined>().int().min(0).max(3600).default(60)),
  PORTA_SKIP_PROD_SAFETY: booleanFlag,
  PORTA_DATA_DIR: optionalText.transform((v) => v ?? './.porta'),
  PORTA_BOOTSTRAP_ADMIN_EMAIL: optionalText.pipe(z.email().default('admin@porta.local')),
  PORTA_BOOTSTRAP_ADMIN_PASSWORD: optionalText,
  SIGNING_KEY_ENCRYPTION_KEY: optionalText,
  // The OpenTelemetry SDK's own variables: an OTLP endpoint turns tracing on (off by default).
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']),
  OTEL_SERVICE_NAME: optionalText.transform((v) => v ?? 'porta'),
  OTEL_SDK_DISABLED: booleanFlag,
});

export type RuntimeEnv = 'development' | 'test' | 'production';

export type DatabaseConfig =
  /** `appRole` (PORTA_APP_ROLE): the role the server connects as; `porta migrate up` grants it its privileges. */
  | { kind: 'postgres'; url: string; appRole?: string }
  | { kind: 'embedded'; dataDir: string; lockFile: string };

/** `keyPrefix` (REDIS_KEY_PREFIX, default `porta:`) starts every key in Redis. */
export type KvConfig = { kind: 'redis'; url: string; keyPrefix: string } | { kind: 'memory' };

export interface Config {
  env: RuntimeEnv;
  http: { port: number; host: string; trustProxy: TrustProxy; adminCorsOrigins: string[] };
  /** An origin (scheme, host, optional port): every absolute URL Porta emits starts with it. */
  issuerBaseUrl: string;
  /** Absolute path of PORTA_DATA_DIR. */
  dataDir: string;
  database: DatabaseConfig;
  kv: KvConfig;
  /** Newest first; empty until dev secrets are filled in outside production. */
  cookieKeys: string[];
  twoFactorEncryptionKey: string | undefined;
  smtp: SmtpConfig;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Argon2id parameters of new password hashes (PASSWORD_HASH_*): memory in KiB, passes, lanes. */
  passwordHash: { memoryCost: number; timeCost: number; parallelism: number };
  metricsEnabled: boolean;
  /** OpenTelemetry traces, when an OTLP endpoint is set; the SDK reads the other `OTEL_*` variables itself. */
  tracing: TracingConfig | undefined;
  autoMigrate: boolean;
  /** PORTA_WORKERS as set; undefined: the default (one per core in production, else 1), resolved at start by `planWorkers`. */
  workers: number | undefined;
  waitTimeoutSeconds: number;
  bootstrapAdmin: { email: string; password: string | undefined };
  signingKeyEncryptionKey: string | undefined;
  /** Production safety violations tolerated because PORTA_SKIP_PROD_SAFETY=true. */
  skippedSafetyViolations: string[];
  /** Names of variables whose `_FILE` won over a plain value. */
  fileOverrides: string[];
}

/** SMTP_*: without `host`, mail goes to local files outside production (PORTA_DATA_DIR/mail). */
export interface SmtpConfig {
  host: string | undefined;
  port: number;
  user: string | undefined;
  pass: string | undefined;
  from: string;
  /** Implicit TLS (SMTPS, usually port 465). */
  secure: boolean;
  /** Without implicit TLS: refuse to send unless the server offers STARTTLS. */
  requireStartTls: boolean;
  /** Verify the server's certificate. */
  tlsRejectUnauthorized: boolean;
}

export interface TracingConfig {
  serviceName: string;
}

export function embeddedDatabase(dataDir: string): DatabaseConfig {
  return { kind: 'embedded', dataDir: path.join(dataDir, 'data'), lockFile: path.join(dataDir, 'porta.lock') };
}
