import { AppError } from '../errors.js';
import type { Db, Queryable } from './types.js';

/**
 * What the application role needs on Porta's schema (the deployment guide's `porta_app`): USAGE on the
 * schema, SELECT/INSERT/UPDATE/DELETE on every table, USAGE/SELECT on every sequence. Porta's schema is
 * the first of the search path (`public` unless configured otherwise) and holds Porta's objects only.
 */
const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT'] as const;

export interface MissingPrivilege {
  kind: 'schema' | 'table' | 'sequence';
  object: string;
  privilege: string;
  /** The object's owner (who may grant it). */
  owner: string;
  /** Whether the current role may grant it (owner, superuser, or holder WITH GRANT OPTION). */
  canGrant: boolean;
}

/** For logs and errors, one entry per object: `users: INSERT, UPDATE`, `schema public: USAGE`. */
export function describeMissing(missing: MissingPrivilege[]): string[] {
  return byObject(missing).map((list) => {
    const { kind, object } = list[0]!;
    return `${kind === 'schema' ? `schema ${object}` : object}: ${list.map((m) => m.privilege).join(', ')}`;
  });
}

// $1: the role to check, NULL for the current one. Catalog reads only: never fails for lack of privileges.
const MISSING_SQL = `
WITH s AS (SELECT n.oid, n.nspname, n.nspowner FROM pg_namespace n WHERE n.nspname = coalesce(current_schema(), 'public')),
     who AS (SELECT coalesce($1::name, current_user) AS name)
SELECT 'schema' AS kind, s.nspname AS object, 'USAGE' AS privilege, pg_get_userbyid(s.nspowner) AS owner,
       has_schema_privilege(current_user, s.oid, 'USAGE WITH GRANT OPTION') AS can_grant, 0 AS ord
  FROM s, who WHERE NOT has_schema_privilege(who.name, s.oid, 'USAGE')
UNION ALL
SELECT 'table', c.relname, p.privilege, pg_get_userbyid(c.relowner),
       has_table_privilege(current_user, c.oid, p.privilege || ' WITH GRANT OPTION'), 1
  FROM s JOIN pg_class c ON c.relnamespace = s.oid AND c.relkind IN ('r', 'p'), who,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(privilege)
 WHERE NOT has_table_privilege(who.name, c.oid, p.privilege)
UNION ALL
SELECT 'sequence', c.relname, p.privilege, pg_get_userbyid(c.relowner),
       has_sequence_privilege(current_user, c.oid, p.privilege || ' WITH GRANT OPTION'), 2
  FROM s JOIN pg_class c ON c.relnamespace = s.oid AND c.relkind = 'S', who,
       unnest(ARRAY['USAGE', 'SELECT']) AS p(privilege)
 WHERE NOT has_sequence_privilege(who.name, c.oid, p.privilege)
ORDER BY ord, object, privilege`;

interface MissingRow {
  kind: MissingPrivilege['kind'];
  object: string;
  privilege: string;
  owner: string;
  can_grant: boolean;
}

/** Privileges `role` (default: the connected role) lacks on Porta's schema, tables and sequences. */
export async function findMissingPrivileges(db: Queryable, role: string | null = null): Promise<MissingPrivilege[]> {
  const rows = await db.many<MissingRow>(MISSING_SQL, [role]);
  return rows.map((r) => ({ kind: r.kind, object: r.object, privilege: r.privilege, owner: r.owner, canGrant: r.can_grant }));
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface GrantResult {
  role: string;
  /** What was granted now, one entry per object: `users: SELECT, INSERT, UPDATE, DELETE`. */
  granted: string[];
}

/** The role a grant or privilege check names does not exist. */
export class UnknownRoleError extends AppError {
  constructor(role: string) {
    super('invalid', 'database_role_unknown', `The database role "${role}" (PORTA_APP_ROLE or --app-role) does not exist: create it as the deployment guide shows, or fix the name.`);
    this.name = 'UnknownRoleError';
  }
}

/** The connected role could not give the application role everything it needs. */
export class GrantIncompleteError extends AppError {
  constructor(readonly role: string, grantor: string, readonly missing: MissingPrivilege[]) {
    const owners = [...new Set(missing.map((m) => m.owner))];
    super(
      'forbidden',
      'database_grant_incomplete',
      `The database role "${grantor}" may not grant "${role}" ${describeMissing(missing).join('; ')}: ` +
        `only the owner (${owners.map((o) => `"${o}"`).join(', ')}) or a role holding them WITH GRANT OPTION may. ` +
        `Run \`porta db grant --app-role ${role}\` connected as that owner, or make "${grantor}" the owner of Porta's ` +
        `tables and sequences (ALTER TABLE … OWNER TO ${quoteIdent(grantor)}) so that later migrations and grants work.`,
      { missing: describeMissing(missing) },
    );
    this.name = 'GrantIncompleteError';
  }
}

/**
 * Gives `role` the application role's privileges on every table and sequence of Porta's schema, now
 * and (ALTER DEFAULT PRIVILEGES) on those the connected role creates later. Grants only what is missing;
 * throws GrantIncompleteError naming what the connected role may not grant.
 */
export async function grantAppRole(db: Db, role: string, lockKey: number): Promise<GrantResult> {
  return db.transaction(async (tx) => {
    // Replicas migrating at once would otherwise GRANT concurrently ("tuple concurrently updated").
    await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    const exists = await tx.maybeOne('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (!exists) throw new UnknownRoleError(role);
    const { schema, me } = await tx.one<{ schema: string; me: string }>("SELECT coalesce(current_schema(), 'public') AS schema, current_user AS me");
    const to = quoteIdent(role);
    const inSchema = `IN SCHEMA ${quoteIdent(schema)}`;
    await tx.exec(
      `ALTER DEFAULT PRIVILEGES ${inSchema} GRANT ${TABLE_PRIVILEGES.join(', ')} ON TABLES TO ${to};\n` +
        `ALTER DEFAULT PRIVILEGES ${inSchema} GRANT ${SEQUENCE_PRIVILEGES.join(', ')} ON SEQUENCES TO ${to};`,
    );
    const grants = byObject((await findMissingPrivileges(tx, role)).filter((m) => m.canGrant));
    for (const list of grants) {
      const { kind, object } = list[0]!;
      const target = kind === 'schema' ? `SCHEMA ${quoteIdent(object)}` : `${kind === 'table' ? 'TABLE' : 'SEQUENCE'} ${quoteIdent(schema)}.${quoteIdent(object)}`;
      await tx.exec(`GRANT ${list.map((m) => m.privilege).join(', ')} ON ${target} TO ${to}`);
    }
    const left = await findMissingPrivileges(tx, role);
    if (left.length > 0) throw new GrantIncompleteError(role, me, left);
    return { role, granted: describeMissing(grants.flat()) };
  });
}

const PRIVILEGE_ORDER = ['USAGE', ...TABLE_PRIVILEGES] as readonly string[];

/** One list per object, privileges in the guide's order. */
function byObject(missing: MissingPrivilege[]): MissingPrivilege[][] {
  const groups = new Map<string, MissingPrivilege[]>();
  for (const m of missing) {
    const key = `${m.kind}:${m.object}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((list) => list.sort((a, b) => PRIVILEGE_ORDER.indexOf(a.privilege) - PRIVILEGE_ORDER.indexOf(b.privilege)));
}

/** The connected role may not change the schema: the message says so and what to do instead. */
export class MigrationPrivilegeError extends AppError {
  constructor(role: string, reason: string) {
    super(
      'forbidden',
      'migration_not_permitted',
      `The database role "${role}" may not migrate the schema: ${reason}. Apply migrations as the migration role ` +
        `(\`porta migrate up\` with its DATABASE_URL, the role that owns Porta's tables); a server connected as "${role}" ` +
        'must run with PORTA_AUTO_MIGRATE=false.',
    );
    this.name = 'MigrationPrivilegeError';
  }
}

/** What the connected role lacks to apply migrations (CREATE on the schema, reading and writing pgmigrations). */
export async function findMigrationBlockers(db: Queryable): Promise<{ role: string; blockers: string[] }> {
  const row = await db.one<{ role: string; schema: string; can_create: boolean; journal: string | null; can_record: boolean }>(
    `SELECT current_user AS role, s.nspname AS schema, has_schema_privilege(s.oid, 'CREATE') AS can_create,
            c.relname AS journal,
            c.oid IS NULL OR (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')) AS can_record
       FROM pg_namespace s
       LEFT JOIN pg_class c ON c.relnamespace = s.oid AND c.relname = 'pgmigrations' AND c.relkind = 'r'
      WHERE s.nspname = coalesce(current_schema(), 'public')`,
  );
  const blockers: string[] = [];
  if (!row.can_create) blockers.push(`it lacks CREATE on schema ${row.schema}`);
  if (!row.can_record) blockers.push('it may not read and write pgmigrations');
  return { role: row.role, blockers };
}

/** insufficient_privilege (42501): "permission denied for …", "must be owner of …". */
export function isInsufficientPrivilege(err: unknown): err is Error {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '42501';
}
