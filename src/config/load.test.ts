import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError, MAX_WORKERS } from './index.js';

const strongProd = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://porta:Zq8xY3vR2pL9mK4tW7nB@db:5432/porta',
  REDIS_URL: 'redis://redis:6379',
  ISSUER_BASE_URL: 'https://auth.example.com',
  COOKIE_KEYS: 'k'.repeat(10) + 'Zq8xY3vR2pL9mK4tW7nBaaaaaaaaaa',
  TWO_FACTOR_ENCRYPTION_KEY: '3f9a1c7e5b2d8f4a6c0e9b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a',
  SMTP_HOST: 'smtp.example.com',
  SMTP_PORT: '587',
  SMTP_FROM: 'noreply@example.com',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'development', ...env }, { cwd: '/srv', readFile: () => '' });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads the SMTP TLS settings: implicit TLS on port 465 unless SMTP_SECURE says, STARTTLS optional unless required, certificates verified', () => {
    const dev = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'development', SMTP_HOST: 'mail.example.com', ...env }, { cwd: '/srv' }).smtp;
    expect(dev({})).toMatchObject({ port: 587, secure: false, requireStartTls: false, tlsRejectUnauthorized: true });
    expect(dev({ SMTP_PORT: '465' })).toMatchObject({ port: 465, secure: true });
    expect(dev({ SMTP_PORT: '465', SMTP_SECURE: 'false' }).secure).toBe(false);
    expect(dev({ SMTP_PORT: '2525', SMTP_SECURE: 'true', SMTP_STARTTLS: 'required', SMTP_TLS_REJECT_UNAUTHORIZED: 'false' }))
      .toMatchObject({ secure: true, requireStartTls: true, tlsRejectUnauthorized: false });
    expect(problemsOf({ SMTP_STARTTLS: 'sometimes', SMTP_SECURE: 'maybe' })).toHaveLength(2);
  });

  it('is production unless NODE_ENV says otherwise (seed 000), and then lists every missing variable at once', () => {
    expect(() => loadConfig({}, { cwd: '/srv/app' })).toThrow(/DATABASE_URL is required in production[\s\S]*COOKIE_KEYS is required in production/);
  });

  it('in development, uses embedded backends under ./.porta', () => {
    const c = loadConfig({ NODE_ENV: 'development' }, { cwd: '/srv/app' });
    expect(c.env).toBe('development');
    expect(c.http).toEqual({ port: 3000, host: '0.0.0.0', trustProxy: { kind: 'none' }, adminCorsOrigins: [] });
    expect(c.database).toEqual({ kind: 'embedded', dataDir: '/srv/app/.porta/data', lockFile: '/srv/app/.porta/porta.lock' });
    expect(c.kv).toEqual({ kind: 'memory' });
    expect(c.issuerBaseUrl).toBe('http://localhost:3000');
    expect(c.smtp.from).toBe('noreply@porta.local');
    expect(c.waitTimeoutSeconds).toBe(60);
    expect(Object.isFrozen(c) && Object.isFrozen(c.http)).toBe(true);
  });

  it('reads PORTA_WORKERS as a whole number from 1 to MAX_WORKERS, unset meaning the default', () => {
    const workers = (value?: string) => loadConfig({ NODE_ENV: 'development', ...(value === undefined ? {} : { PORTA_WORKERS: value }) }).workers;
    expect(workers()).toBeUndefined();
    expect(workers('')).toBeUndefined();
    expect(workers('1')).toBe(1);
    expect(workers(' 4 ')).toBe(4);
    expect(workers(String(MAX_WORKERS))).toBe(MAX_WORKERS);
    for (const bad of ['0', '-2', '1.5', '2e0', '0x2', 'two', String(MAX_WORKERS + 1), '100000']) {
      expect(problemsOf({ PORTA_WORKERS: bad })).toEqual([
        `PORTA_WORKERS: must be a whole number of worker processes from 1 to ${MAX_WORKERS} (got "${bad}"); leave it unset for one per core in production`,
      ]);
    }
  });

  it('reads the Argon2id parameters, the OWASP minimum by default, refusing anything lower', () => {
    const hashing = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'development', ...env }).passwordHash;
    expect(hashing()).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(hashing({ PASSWORD_HASH_MEMORY_KIB: ' 65536 ', PASSWORD_HASH_TIME_COST: '3', PASSWORD_HASH_PARALLELISM: '4' })).toEqual({ memoryCost: 65536, timeCost: 3, parallelism: 4 });
    expect(problemsOf({ PASSWORD_HASH_MEMORY_KIB: '19455', PASSWORD_HASH_TIME_COST: '1', PASSWORD_HASH_PARALLELISM: '0' })).toEqual([
      'PASSWORD_HASH_MEMORY_KIB: must be at least 19456 (memory in KiB: the OWASP minimum for Argon2id is m=19456 KiB, t=2, p=1)',
      'PASSWORD_HASH_TIME_COST: must be at least 2 (passes over the memory: the OWASP minimum for Argon2id is m=19456 KiB, t=2, p=1)',
      'PASSWORD_HASH_PARALLELISM: must be at least 1 (lanes: the OWASP minimum for Argon2id is m=19456 KiB, t=2, p=1)',
    ]);
    expect(problemsOf({ PASSWORD_HASH_TIME_COST: '2.5' })).toHaveLength(1);
    expect(problemsOf({ PASSWORD_HASH_MEMORY_KIB: 'lots' })).toHaveLength(1);
    expect(problemsOf({ PASSWORD_HASH_PARALLELISM: '17' })).toEqual(['PASSWORD_HASH_PARALLELISM: must be at most 16']);
  });

  it('uses PostgreSQL and Redis when their URLs are set', () => {
    const c = loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/porta', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://postgres@127.0.0.1:5432/porta' });
    expect(c.kv).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'porta:' });
  });

  it('lets several deployments share one Redis through REDIS_KEY_PREFIX, and checks it', () => {
    const env = { NODE_ENV: 'development', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig({ ...env, REDIS_KEY_PREFIX: 'staging:porta:' }).kv).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'staging:porta:' });
    expect(() => loadConfig({ ...env, REDIS_KEY_PREFIX: 'has space' })).toThrow(/REDIS_KEY_PREFIX/);
  });

  it('turns tracing on only with an OTLP endpoint, and off again with OTEL_SDK_DISABLED', () => {
    const env = { NODE_ENV: 'development' };
    expect(loadConfig(env).tracing).toBeUndefined();
    expect(loadConfig({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({ serviceName: 'porta' });
    expect(loadConfig({ ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/v1/traces', OTEL_SERVICE_NAME: 'porta-eu' }).tracing).toEqual({ serviceName: 'porta-eu' });
    expect(loadConfig({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).join('\n')).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('parses flags, ports and lists', () => {
    const c = loadConfig({
      NODE_ENV: 'development',
      PORT: '8080', TRUST_PROXY: 'true', METRICS_ENABLED: '1', PORTA_AUTO_MIGRATE: 'false', PORTA_WAIT_TIMEOUT: '5',
      COOKIE_KEYS: 'newest-key-0123456789, older-key-0123456789', ADMIN_CORS_ORIGINS: 'https://a.example.com,http://localhost:5173',
      ISSUER_BASE_URL: 'https://auth.example.com/', PORTA_DATA_DIR: '/var/lib/porta',
    });
    expect(c.http.port).toBe(8080);
    expect(c.http.trustProxy).toEqual({ kind: 'hops', hops: 1 });
    expect(c.metricsEnabled).toBe(true);
    expect(c.autoMigrate).toBe(false);
    expect(c.waitTimeoutSeconds).toBe(5);
    expect(c.cookieKeys).toEqual(['newest-key-0123456789', 'older-key-0123456789']);
    expect(c.http.adminCorsOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(c.issuerBaseUrl).toBe('https://auth.example.com');
    expect(c.dataDir).toBe('/var/lib/porta');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', TRUST_PROXY: 'maybe' });
    expect(problems.length).toBe(4);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/TRUST_PROXY/);
  });

  it('rejects short cookie keys and malformed 2FA keys outside production', () => {
    const problems = problemsOf({ COOKIE_KEYS: 'short', TWO_FACTOR_ENCRYPTION_KEY: 'nothex' });
    expect(problems).toEqual([
      'COOKIE_KEYS: key 1 is shorter than 16 characters',
      'TWO_FACTOR_ENCRYPTION_KEY: must be 64 hexadecimal characters (32 bytes)',
    ]);
  });

  it('accepts a strong production configuration', () => {
    const c = loadConfig(strongProd);
    expect(c.env).toBe('production');
    expect(c.skippedSafetyViolations).toEqual([]);
  });

  it('reports every production safety violation (R1–R9) together', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://porta:porta@db:5432/porta',
      ISSUER_BASE_URL: 'http://auth.example.com',
      COOKIE_KEYS: 'change-me',
      TWO_FACTOR_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
      LOG_LEVEL: 'debug',
      SMTP_HOST: '127.0.0.1',
    });
    const rules = problems.map((p) => p.slice(0, 3)).sort();
    expect(rules).toEqual(['R1:', 'R2:', 'R4:', 'R5:', 'R5:', 'R5:', 'R6:', 'R7:', 'R8:', 'R9:']);
    expect(problems.join('\n')).toMatch(/REDIS_URL is required/);
  });

  it('lets R7 accept http on loopback hosts', () => {
    expect(problemsOf({ ...strongProd, ISSUER_BASE_URL: 'http://localhost:3000' })).toEqual([]);
    expect(problemsOf({ ...strongProd, ISSUER_BASE_URL: 'http://127.0.0.1:3000' })).toEqual([]);
  });

  it('starts with PORTA_SKIP_PROD_SAFETY and keeps the violations for the error log', () => {
    const c = loadConfig({ ...strongProd, LOG_LEVEL: 'debug', PORTA_SKIP_PROD_SAFETY: 'true' });
    expect(c.skippedSafetyViolations).toEqual(['R8: LOG_LEVEL=debug is not allowed in production']);
  });

  it('reads *_FILE variables, strips one trailing newline, and lets _FILE win', () => {
    const files: Record<string, string> = { '/run/secrets/db': 'postgresql://u:p@db/porta\r\n', '/run/secrets/keys': 'file-key-0123456789abcdef\n\n' };
    const c = loadConfig(
      { NODE_ENV: 'development', DATABASE_URL: 'postgresql://plain@db/porta', DATABASE_URL_FILE: '/run/secrets/db', COOKIE_KEYS_FILE: '/run/secrets/keys' },
      { readFile: (p) => files[p] ?? '' },
    );
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db/porta' });
    expect(c.cookieKeys).toEqual(['file-key-0123456789abcdef']);
    expect(c.fileOverrides).toEqual(['DATABASE_URL']);
  });

  it('names the variable and path of an unusable _FILE, never its content', () => {
    const problems = problemsOf({ SMTP_PASS_FILE: '/missing', TWO_FACTOR_ENCRYPTION_KEY_FILE: '/empty' });
    expect(problems.sort()).toEqual(['SMTP_PASS_FILE: /missing is empty', 'TWO_FACTOR_ENCRYPTION_KEY_FILE: /empty is empty']);
    const unreadable = (() => {
      try {
        loadConfig({ NODE_ENV: 'development', SMTP_PASS_FILE: '/nope' }, { readFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); } });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(unreadable).toEqual(['SMTP_PASS_FILE: cannot read /nope (ENOENT)']);
  });
  it('reads TRUST_PROXY as nothing, a hop count or trusted ranges (IPv4 and IPv6)', () => {
    const trust = (v: string) => loadConfig({ NODE_ENV: 'development', TRUST_PROXY: v }).http.trustProxy;
    expect(trust('false')).toEqual({ kind: 'none' });
    expect(trust('0')).toEqual({ kind: 'none' });
    expect(trust('yes')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(trust(' 10.0.0.0/8, 192.0.2.7 ,2001:DB8::/32, ::1, ::ffff:172.16.0.0/108 ')).toEqual({
      kind: 'ranges',
      ranges: ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '::1/128', '172.16.0.0/12'],
    });
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33, nginx' })).toEqual([
      'TRUST_PROXY: "10.0.0.0/33", "nginx" is not true, false, a hop count or an IP address or CIDR range',
    ]);
    expect(problemsOf({ TRUST_PROXY: '99' })).toEqual(['TRUST_PROXY: a hop count is at most 32']);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.1,' })).toEqual(['TRUST_PROXY: "" is not true, false, a hop count or an IP address or CIDR range']);
  });

  it('takes ISSUER_BASE_URL as an origin only', () => {
    expect(loadConfig({ NODE_ENV: 'development', ISSUER_BASE_URL: 'https://Auth.Example.com:443/' }).issuerBaseUrl).toBe('https://auth.example.com');
    expect(problemsOf({ ISSUER_BASE_URL: 'https://auth.example.com/sso' })).toEqual([
      'ISSUER_BASE_URL: must be an origin like https://auth.example.com, without a path or credentials',
    ]);
    expect(problemsOf({ ISSUER_BASE_URL: 'https://u:p@auth.example.com' })).toHaveLength(1);
  });
});
