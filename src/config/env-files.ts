import fs from 'node:fs';

/** Every server variable may come from `<NAME>_FILE` (spec 50 §2). */
export const SERVER_VARIABLES = [
  'NODE_ENV', 'PORT', 'HOST', 'DATABASE_URL', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'ISSUER_BASE_URL', 'COOKIE_KEYS',
  'TWO_FACTOR_ENCRYPTION_KEY', 'SMTP_HOST', 'SMTP_PORT', 'SMTP_USER', 'SMTP_PASS', 'SMTP_FROM',
  'SMTP_SECURE', 'SMTP_STARTTLS', 'SMTP_TLS_REJECT_UNAUTHORIZED',
  'LOG_LEVEL', 'PASSWORD_HASH_MEMORY_KIB', 'PASSWORD_HASH_TIME_COST', 'PASSWORD_HASH_PARALLELISM', 'TRUST_PROXY', 'METRICS_ENABLED', 'ADMIN_CORS_ORIGINS', 'PORTA_AUTO_MIGRATE', 'PORTA_APP_ROLE',
  'PORTA_WORKERS', 'PORTA_WAIT_TIMEOUT', 'PORTA_SKIP_PROD_SAFETY', 'PORTA_DATA_DIR', 'PORTA_BOOTSTRAP_ADMIN_EMAIL',
  'PORTA_BOOTSTRAP_ADMIN_PASSWORD', 'SIGNING_KEY_ENCRYPTION_KEY',
] as const;

export type Env = Readonly<Record<string, string | undefined>>;

export interface ResolvedEnv {
  env: Record<string, string | undefined>;
  /** Names (never values) of variables whose `_FILE` overrode a plain value. */
  overridden: string[];
  /** One message per unusable `_FILE`. */
  errors: string[];
}

export type ReadFile = (path: string) => string;

const defaultReadFile: ReadFile = (p) => fs.readFileSync(p, 'utf8');

/** Replaces `<NAME>_FILE` with the file's content, minus one trailing newline. */
export function resolveFileVariables(source: Env, readFile: ReadFile = defaultReadFile): ResolvedEnv {
  const env: Record<string, string | undefined> = { ...source };
  const overridden: string[] = [];
  const errors: string[] = [];
  for (const name of SERVER_VARIABLES) {
    const path = source[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    let content: string;
    try {
      content = readFile(path);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      errors.push(`${name}_FILE: cannot read ${path} (${reason})`);
      continue;
    }
    const value = content.replace(/\r?\n$/, '');
    if (value === '') {
      errors.push(`${name}_FILE: ${path} is empty`);
      continue;
    }
    if (source[name] !== undefined && source[name] !== '') overridden.push(name);
    env[name] = value;
    delete env[`${name}_FILE`];
  }
  return { env, overridden, errors };
}
