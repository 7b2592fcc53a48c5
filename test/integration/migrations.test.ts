import { onEachDatabase } from '../support/databases.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, parseMigration, readMigrations, type Db } from '../../src/platform/db/index.js';

const extra = [
  parseMigration('900_first', '-- Up Migration\nCREATE TABLE t_first (id int);\n-- Down Migration\nDROP TABLE t_first;'),
  parseMigration('901_second', '-- Up Migration\nCREATE TABLE t_second (id int);\nINSERT INTO t_second VALUES (1);\n-- Down Migration\nDROP TABLE t_second;'),
];
const broken = parseMigration('902_broken', '-- Up Migration\nCREATE TABLE t_broken (id int);\nSELECT * FROM no_such_table;\n-- Down Migration\nDROP TABLE t_broken;');

async function tableExists(db: Db, name: string): Promise<boolean> {
  const row = await db.one<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`public.${name}`]);
  return row.present;
}

function migratorSuite(open: () => Promise<{ db: Db; dispose(): Promise<void> }>) {
  let db: Db;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ db, dispose } = await open());
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('applies the shipped migrations, recorded in pgmigrations, with system_config defaults', async () => {
    const migrator = createMigrator(db);
    const shipped = readMigrations().map((m) => m.name);
    expect(shipped[0]).toBe('001_platform');
    expect((await migrator.status()).pending).toEqual(shipped);
    expect(await migrator.up()).toEqual(shipped);
    expect(await migrator.up()).toEqual([]);
    const status = await migrator.status();
    expect(status.pending).toEqual([]);
    expect(status.applied.map((m) => m.name)).toEqual(shipped);
    expect(status.applied[0]?.runOn).toBeInstanceOf(Date);
    const ttl = await db.one<{ value: unknown; value_type: string }>("SELECT value, value_type FROM system_config WHERE key = 'access_token_ttl'");
    expect(ttl).toEqual({ value: 3600, value_type: 'duration' });
    const locale = await db.one<{ value: unknown }>("SELECT value FROM system_config WHERE key = 'default_locale'");
    expect(locale.value).toBe('en');
  });

  it('touches updated_at on update', async () => {
    const before = await db.one<{ updated_at: Date }>("SELECT updated_at FROM system_config WHERE key = 'audit_retention_days'");
    await new Promise((r) => setTimeout(r, 5));
    await db.query("UPDATE system_config SET value = '120' WHERE key = 'audit_retention_days'");
    const after = await db.one<{ updated_at: Date }>("SELECT updated_at FROM system_config WHERE key = 'audit_retention_days'");
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
  });

  it('applies in order, rolls back newest first, and re-applies', async () => {
    const migrator = createMigrator(db, [...readMigrations(), ...extra]);
    expect(await migrator.up()).toEqual(['900_first', '901_second']);
    expect(await tableExists(db, 't_second')).toBe(true);
    expect(await migrator.down(2)).toEqual(['901_second', '900_first']);
    expect(await tableExists(db, 't_first')).toBe(false);
    expect((await migrator.status()).pending).toEqual(['900_first', '901_second']);
    expect(await migrator.up()).toEqual(['900_first', '901_second']);
    expect(await migrator.down(2)).toEqual(['901_second', '900_first']);
  });

  it('leaves nothing behind when a migration fails, and stops there', async () => {
    const migrator = createMigrator(db, [...readMigrations(), broken, ...extra]);
    await expect(migrator.up()).rejects.toThrow(/no_such_table/);
    expect(await tableExists(db, 't_broken')).toBe(false);
    expect(await tableExists(db, 't_first')).toBe(false);
    expect((await migrator.status()).pending).toEqual(['902_broken', '900_first', '901_second']);
  });

  it('reports applied migrations that have no file', async () => {
    await createMigrator(db, [...readMigrations(), extra[0]!]).up();
    const status = await createMigrator(db).status();
    expect(status.unknown).toEqual(['900_first']);
    await expect(createMigrator(db).down(1)).rejects.toThrow(/file is missing/);
    await createMigrator(db, [...readMigrations(), extra[0]!]).down(1);
  });

  it('applies each migration once when several processes migrate at the same time', async () => {
    const all = [...readMigrations(), ...extra];
    const results = await Promise.all([createMigrator(db, all).up(), createMigrator(db, all).up(), createMigrator(db, all).up()]);
    expect(results.flat().sort()).toEqual(['900_first', '901_second']);
    const rows = await db.many<{ name: string }>("SELECT name FROM pgmigrations WHERE name LIKE '90%' ORDER BY id");
    expect(rows.map((r) => r.name)).toEqual(['900_first', '901_second']);
    await createMigrator(db, all).down(2);
  });

  it('runs down for the shipped migrations to an empty schema', async () => {
    const migrator = createMigrator(db);
    const shipped = readMigrations().map((m) => m.name);
    expect(await migrator.down(shipped.length)).toEqual([...shipped].reverse());
    expect(await tableExists(db, 'system_config')).toBe(false);
    expect(await migrator.down(1)).toEqual([]);
  });
}

onEachDatabase('migrations', migratorSuite);
