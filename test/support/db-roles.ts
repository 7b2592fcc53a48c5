import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLog } from '../../src/platform/log.js';
import { postgresAdminUrl, uniqueName } from './services.js';

/**
 * The deployment guide's "Principle of Least Privilege" block, verbatim (seed 000). Tests run it with
 * the role and database names made unique (roles are shared by the whole cluster) and fresh passwords.
 */
export const GUIDE_ROLES_SQL = `-- Application role: can read/write data but NOT alter schema
CREATE ROLE porta_app LOGIN PASSWORD 'app-password-here';
GRANT CONNECT ON DATABASE porta TO porta_app;
GRANT USAGE ON SCHEMA public TO porta_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO porta_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO porta_app;

-- Migration role: can alter schema (used only during deployments)
CREATE ROLE porta_migrate LOGIN PASSWORD 'migrate-password-here';
GRANT CONNECT ON DATABASE porta TO porta_migrate;
GRANT ALL PRIVILEGES ON SCHEMA public TO porta_migrate;
GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO porta_migrate;
GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public TO porta_migrate;`;

export interface GuideRole {
  name: string;
  password: string;
  /** DATABASE_URL of this role on `database`. */
  urlFor(database: string): string;
}

export interface GuideRoles {
  app: GuideRole;
  migrate: GuideRole;
  /** Runs the guide's block on `database` as the superuser: the roles the first time, the grants every time. */
  apply(database: string): Promise<void>;
  /** Drops both roles; call it after dropping every database they hold privileges in. */
  drop(): Promise<void>;
}

export async function runAsSuperuser(database: string, sql: string): Promise<void> {
  const u = new URL(postgresAdminUrl);
  u.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function role(name: string): GuideRole {
  const password = randomBytes(12).toString('hex');
  return {
    name,
    password,
    urlFor(database) {
      const u = new URL(postgresAdminUrl);
      u.username = name;
      u.password = password;
      u.pathname = `/${database}`;
      return u.toString();
    },
  };
}

/** The guide's two roles under unique names; nothing is created until `apply`. */
export function guideRoles(): GuideRoles {
  const suffix = uniqueName('t');
  const app = role(`porta_app_${suffix}`);
  const migrate = role(`porta_migrate_${suffix}`);
  let isCreated = false;
  const sqlFor = (database: string) =>
    GUIDE_ROLES_SQL.split('\n')
      .filter((line) => !(isCreated && line.startsWith('CREATE ROLE')))
      .join('\n')
      .replace(/'app-password-here'/g, `'${app.password}'`)
      .replace(/'migrate-password-here'/g, `'${migrate.password}'`)
      .replace(/\bporta_app\b/g, app.name)
      .replace(/\bporta_migrate\b/g, migrate.name)
      .replace(/ON DATABASE porta /g, `ON DATABASE ${database} `);
  return {
    app,
    migrate,
    async apply(database) {
      await runAsSuperuser(database, sqlFor(database));
      isCreated = true;
    },
    async drop() {
      if (!isCreated) return;
      await runAsSuperuser('postgres', `DROP ROLE IF EXISTS ${app.name}; DROP ROLE IF EXISTS ${migrate.name};`);
    },
  };
}

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A log whose JSON lines the test reads. */
export function captureLog() {
  const lines: LogLine[] = [];
  const log = createLog({ env: 'test', level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  return { log, lines };
}

/** The CLI's environment: direct mode on the given database, no Redis, no server. */
export function cliEnv(dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', PORTA_DATA_DIR: dataDir, ...extra };
  delete env.REDIS_URL;
  delete env.PORTA_SERVER;
  return env;
}

/** Polls `fn` until `isDone` or the timeout; returns the last value. */
export async function waitFor<T>(fn: () => Promise<T>, isDone: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (isDone(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET `route` as JSON, optionally with a bearer token. */
export async function probe(url: string, route: string, token?: string) {
  const res = await fetch(`${url}${route}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
