import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, createPostgresDb, readMigrations, type Db } from '../../src/platform/db/index.js';
import { guideRoles, type GuideRoles } from '../support/db-roles.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/services.js';

/** 001 and 002 as databases made before them ran them: CREATE EXTENSION pgcrypto/citext, users.email citext. */
const before = readMigrations(path.join(import.meta.dirname, '../fixtures/migrations-citext'));
const shipped = readMigrations();
const upTo007 = [...before, ...shipped.filter((m) => m.name > '002' && m.name < '008')];
/** Later migrations are not this file's subject. */
const upTo008 = [...upTo007, ...shipped.filter((m) => m.name.startsWith('008_'))];

describeWithPostgres('008 on a database made with citext (existing installations)', () => {
  let database: TestDatabase;
  let db: Db;
  let orgId: string;

  const emailColumn = () =>
    db.one<{ type: string; indexes: string[]; constraints: string[] }>(
      `SELECT (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email') AS type,
              (SELECT array_agg(indexname::text ORDER BY indexname) FROM pg_indexes WHERE tablename = 'users' AND indexdef LIKE '%email%') AS indexes,
              coalesce((SELECT array_agg(conname::text) FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'), '{}') AS constraints`,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPostgresDb({ url: database.url });
    await createMigrator(db, upTo007).up();
    orgId = (await db.one<{ id: string }>("SELECT id FROM organizations WHERE slug = 'porta-admin'")).id;
    await db.query("INSERT INTO users (organization_id, email) VALUES ($1, 'Ann@Example.com')", [orgId]);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('turns users.email into text with a case-insensitive unique index, keeping the rows and the extension', async () => {
    expect(await emailColumn()).toEqual({ type: 'citext', indexes: ['users_email', 'users_organization_id_email_key'], constraints: ['users_organization_id_email_key'] });
    expect(await createMigrator(db, upTo008).up()).toEqual(['008_users_email_text']);
    expect(await emailColumn()).toEqual({ type: 'text', indexes: ['users_organization_lower_email_key'], constraints: [] });
    expect(await db.one("SELECT email FROM users WHERE organization_id = $1 AND lower(email) = lower($2)", [orgId, 'ANN@example.COM'])).toEqual({ email: 'Ann@Example.com' });
    await expect(db.query("INSERT INTO users (organization_id, email) VALUES ($1, 'ann@EXAMPLE.com')", [orgId])).rejects.toMatchObject({
      code: '23505',
      constraint: 'users_organization_lower_email_key',
    });
    expect(await db.many("SELECT extname FROM pg_extension WHERE extname = 'citext'")).toEqual([{ extname: 'citext' }]);
  });

  it('rolls back to citext where the extension is installed, and applies again', async () => {
    expect(await createMigrator(db, upTo008).down(1)).toEqual(['008_users_email_text']);
    expect((await emailColumn()).type).toBe('citext');
    expect(await createMigrator(db, upTo008).up()).toEqual(['008_users_email_text']);
    expect((await emailColumn()).type).toBe('text');
  });
});

describeWithPostgres('switching an existing installation to the guide\'s migration role', () => {
  let database: TestDatabase;
  let roles: GuideRoles;
  let owner: Db;
  let migrate: Db;

  beforeAll(async () => {
    database = await createTestDatabase();
    owner = createPostgresDb({ url: database.url });
    await createMigrator(owner, upTo007).up();
    roles = guideRoles();
    await roles.apply(database.name);
    migrate = createPostgresDb({ url: roles.migrate.urlFor(database.name) });
  });
  afterAll(async () => {
    await migrate?.close();
    await owner?.close();
    await database?.drop();
    await roles?.drop();
  });

  it('says the migration role may not migrate tables it does not own, and changes nothing', async () => {
    await expect(createMigrator(migrate, upTo008).up()).rejects.toThrow(
      `The database role "${roles.migrate.name}" may not migrate the schema: migration 008_users_email_text failed with "must be owner of table users".`,
    );
    expect((await createMigrator(owner, upTo008).status()).pending).toEqual(['008_users_email_text']);
  });
});
