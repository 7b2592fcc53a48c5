import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './types.js';
import {
  findMigrationBlockers,
  findMissingPrivileges,
  grantAppRole,
  isInsufficientPrivilege,
  MigrationPrivilegeError,
  type GrantResult,
  type MissingPrivilege,
} from './privileges.js';

/** `migrations/` at the package root, from both src/ and dist/. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

/** Serialises migration runs of several processes sharing one PostgreSQL. */
const MIGRATION_LOCK_KEY = 7_301_202_611;
const FILE_NAME = /^(\d{3,})_[a-z0-9_-]+\.sql$/i;

export interface Migration {
  name: string;
  up: string;
  down: string;
}

export interface AppliedMigration {
  name: string;
  runOn: Date;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: string[];
  /** Recorded as applied but with no file here (a newer Porta ran them). */
  unknown: string[];
}

export interface Migrator {
  status(): Promise<MigrationStatus>;
  /**
   * Applies every pending migration, each in its own transaction; returns their names. Then, with an
   * `appRole`, grants it what it needs on every table and sequence (also when nothing was pending: after
   * a restore without privileges). Throws MigrationPrivilegeError when the connected role may not migrate.
   */
  up(): Promise<string[]>;
  /** Rolls back the newest `count` applied migrations; returns their names. */
  down(count?: number): Promise<string[]>;
  /** Gives `role` the application role's privileges now and on objects this role creates later. */
  grantAppRole(role: string): Promise<GrantResult>;
  /** Privileges the connected role lacks on Porta's schema, tables and sequences (cheap: catalogs only). */
  missingPrivileges(): Promise<MissingPrivilege[]>;
}

export interface MigratorOptions {
  /** PORTA_APP_ROLE: the role the server connects as, granted its privileges after every `up()`. */
  appRole?: string;
}

/** Migrations as given, or read from a directory on every call (a file added later shows as pending). */
export type MigrationSource = Migration[] | string;

/** Reads `NNN_name.sql` files in the node-pg-migrate SQL format (`-- Up Migration` / `-- Down Migration`). */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => FILE_NAME.test(f))
    .sort()
    .map((file) => parseMigration(file.replace(/\.sql$/i, ''), fs.readFileSync(path.join(dir, file), 'utf8')));
}

export function parseMigration(name: string, text: string): Migration {
  const upAt = text.search(/^--\s*Up Migration\s*$/im);
  const downAt = text.search(/^--\s*Down Migration\s*$/im);
  if (upAt < 0) throw new Error(`migration ${name} has no "-- Up Migration" section`);
  const up = downAt > upAt ? text.slice(upAt, downAt) : text.slice(upAt);
  const down = downAt >= 0 ? (downAt > upAt ? text.slice(downAt) : text.slice(downAt, upAt)) : '';
  return { name, up: stripMarker(up), down: stripMarker(down) };
}

function stripMarker(section: string): string {
  return section.replace(/^--\s*(Up|Down) Migration\s*$/im, '').trim();
}

export function createMigrator(db: Db, source: MigrationSource = DEFAULT_MIGRATIONS_DIR, options: MigratorOptions = {}): Migrator {
  const migrations = () => (typeof source === 'string' ? readMigrations(source) : source);
  const ensureTable = () =>
    db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(
        'CREATE TABLE IF NOT EXISTS pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)',
      );
    });

  const applied = async (): Promise<AppliedMigration[]> => {
    const exists = await db.one<{ present: boolean }>("SELECT to_regclass('public.pgmigrations') IS NOT NULL AS present");
    if (!exists.present) return [];
    const rows = await db.many<{ name: string; run_on: Date }>('SELECT name, run_on FROM pgmigrations ORDER BY id');
    return rows.map((r) => ({ name: r.name, runOn: r.run_on }));
  };

  async function statusOf(all: Migration[]): Promise<MigrationStatus> {
    const done = await applied();
    const names = new Set(done.map((m) => m.name));
    const known = new Set(all.map((m) => m.name));
    return {
      applied: done,
      pending: all.filter((m) => !names.has(m.name)).map((m) => m.name),
      unknown: done.filter((m) => !known.has(m.name)).map((m) => m.name),
    };
  }

  /** Runs one migration step; a privilege error becomes a message saying this role may not migrate. */
  async function step(role: string, name: string, sql: string, run: (sql: string) => Promise<void>): Promise<void> {
    try {
      await run(sql);
    } catch (err) {
      if (isInsufficientPrivilege(err)) throw new MigrationPrivilegeError(role, `migration ${name} failed with "${err.message}"`);
      throw err;
    }
  }

  async function assertMayMigrate(): Promise<string> {
    const { role, blockers } = await findMigrationBlockers(db);
    if (blockers.length > 0) throw new MigrationPrivilegeError(role, blockers.join(' and '));
    return role;
  }

  async function applyPending(role: string, all: Migration[]): Promise<string[]> {
    await ensureTable();
    const ran: string[] = [];
    for (const m of all) {
      const didRun = await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const existing = await tx.maybeOne('SELECT 1 FROM pgmigrations WHERE name = $1', [m.name]);
        if (existing) return false;
        await step(role, m.name, m.up, (sql) => tx.exec(sql));
        await tx.query('INSERT INTO pgmigrations (name, run_on) VALUES ($1, now())', [m.name]);
        return true;
      });
      if (didRun) ran.push(m.name);
    }
    return ran;
  }

  return {
    status: () => statusOf(migrations()),
    async up() {
      // Checked even with nothing pending: auto-migrate as a role that may not migrate is wrong now,
      // not only at the next upgrade.
      const role = await assertMayMigrate();
      const all = migrations();
      const ran = (await statusOf(all)).pending.length > 0 ? await applyPending(role, all) : [];
      if (options.appRole) await grantAppRole(db, options.appRole, MIGRATION_LOCK_KEY);
      return ran;
    },
    async down(count = 1) {
      const role = await assertMayMigrate();
      await ensureTable();
      const rolledBack: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = await db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
          const last = await tx.maybeOne<{ id: number; name: string }>(
            'SELECT id, name FROM pgmigrations ORDER BY id DESC LIMIT 1',
          );
          if (!last) return null;
          const m = migrations().find((x) => x.name === last.name);
          if (!m) throw new Error(`migration ${last.name} is applied but its file is missing; cannot roll it back`);
          if (m.down === '') throw new Error(`migration ${m.name} has no "-- Down Migration" section`);
          await step(role, m.name, m.down, (sql) => tx.exec(sql));
          await tx.query('DELETE FROM pgmigrations WHERE id = $1', [last.id]);
          return m.name;
        });
        if (name === null) break;
        rolledBack.push(name);
      }
      return rolledBack;
    },
    grantAppRole: (role) => grantAppRole(db, role, MIGRATION_LOCK_KEY),
    missingPrivileges: () => findMissingPrivileges(db),
  };
}
