import type { z } from 'zod';
import type { EnvSchema } from './schema.js';

type ParsedEnv = z.infer<typeof EnvSchema>;

/** Passwords shipped in Porta's own development files and common defaults (rule R6). */
const DEVELOPMENT_DB_PASSWORDS = new Set([
  'porta', 'porta_dev', 'porta-dev', 'portadev', 'postgres', 'password', 'secret', 'changeme', 'change-me', 'change_me', 'dev', 'development', 'test',
]);

const PLACEHOLDER = /change[-_]?me/i;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Spec 50 §3, rules R1–R9; every violation is returned so startup can list them all at once. */
export function productionSafetyViolations(e: ParsedEnv, cookieKeys: string[]): string[] {
  const v: string[] = [];
  const required: Array<[string, unknown]> = [
    ['DATABASE_URL', e.DATABASE_URL], ['REDIS_URL', e.REDIS_URL], ['ISSUER_BASE_URL', e.ISSUER_BASE_URL],
    ['COOKIE_KEYS', e.COOKIE_KEYS], ['TWO_FACTOR_ENCRYPTION_KEY', e.TWO_FACTOR_ENCRYPTION_KEY],
    ['SMTP_HOST', e.SMTP_HOST], ['SMTP_PORT', e.SMTP_PORT], ['SMTP_FROM', e.SMTP_FROM],
  ];
  for (const [name, value] of required) if (value === undefined) v.push(`R5: ${name} is required in production`);

  cookieKeys.forEach((key, i) => {
    if (PLACEHOLDER.test(key)) v.push(`R1: COOKIE_KEYS key ${i + 1} is a placeholder (contains "change-me")`);
    if (key.length < 32) v.push(`R2: COOKIE_KEYS key ${i + 1} is shorter than 32 characters`);
  });

  const tfa = e.TWO_FACTOR_ENCRYPTION_KEY;
  if (tfa !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(tfa)) v.push('R3: TWO_FACTOR_ENCRYPTION_KEY must be 64 hexadecimal characters');
    else if (isObviousPlaceholder(tfa)) v.push('R4: TWO_FACTOR_ENCRYPTION_KEY is an obvious placeholder (repeated pattern)');
  }

  if (e.DATABASE_URL !== undefined) {
    const password = decodeURIComponent(new URL(e.DATABASE_URL).password);
    if (password !== '' && (DEVELOPMENT_DB_PASSWORDS.has(password.toLowerCase()) || PLACEHOLDER.test(password))) {
      v.push('R6: the database password in DATABASE_URL is a development default');
    }
  }

  if (e.ISSUER_BASE_URL !== undefined) {
    const u = new URL(e.ISSUER_BASE_URL);
    if (u.protocol !== 'https:' && !LOCAL_HOSTS.has(u.hostname)) v.push('R7: ISSUER_BASE_URL must use https://');
  }
  if (e.LOG_LEVEL === 'debug' || e.LOG_LEVEL === 'trace') v.push(`R8: LOG_LEVEL=${e.LOG_LEVEL} is not allowed in production`);
  if (e.SMTP_HOST !== undefined && (e.SMTP_HOST === 'localhost' || e.SMTP_HOST.startsWith('127.'))) {
    v.push('R9: SMTP_HOST must not point at localhost in production');
  }
  return v;
}

/** A key made of one repeated short unit ("0000…", "0123456789abcdef" ×4, "abab…") is a placeholder. */
function isObviousPlaceholder(hex: string): boolean {
  const s = hex.toLowerCase();
  for (let unit = 1; unit <= 16; unit++) {
    if (s.length % unit === 0 && s.slice(0, unit).repeat(s.length / unit) === s) return true;
  }
  return new Set(s).size <= 2;
}
