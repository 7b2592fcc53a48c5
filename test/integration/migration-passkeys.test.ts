import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, readMigrations, type Db } from '../../src/platform/db/index.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';

const upTo022 = readMigrations().filter((m) => m.name < '023');

/** Migration 022: a credential belongs to one user of its own organization; down leaves no one without a way in. */
function suite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  const org = async (slug: string, methods: string) =>
    (await db.one<{ id: string }>('INSERT INTO organizations (name, slug, default_login_methods) VALUES ($1, $1, $2::text[]) RETURNING id', [slug, methods])).id;
  const user = async (orgId: string, email: string) =>
    (await db.one<{ id: string }>('INSERT INTO users (organization_id, email) VALUES ($1, $2) RETURNING id', [orgId, email])).id;
  const credential = (orgId: string, userId: string, hex: string) =>
    db.query("INSERT INTO webauthn_credentials (organization_id, user_id, credential_id, public_key) VALUES ($1, $2, decode($3, 'hex'), '\\x01'::bytea)", [orgId, userId, hex]);

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db, upTo022).up();
  });
  afterAll(() => dispose?.());

  it('binds a credential to a user of its own organization, its id unique per organization', async () => {
    const a = await org('mig-pk-a', '{password,passkey}');
    const b = await org('mig-pk-b', '{passkey}');
    const ua = await user(a, 'a@example.com');
    const ub = await user(b, 'b@example.com');
    await credential(a, ua, 'aa01');
    await expect(credential(a, ua, 'aa01')).rejects.toMatchObject({ code: '23505' });
    await credential(b, ub, 'aa01');
    // A user of organization B under organization A's id: refused by the composite foreign key.
    await expect(credential(a, ub, 'bb02')).rejects.toMatchObject({ code: '23503' });
    await db.query('DELETE FROM users WHERE id = $1', [ua]);
    expect((await db.one<{ n: string }>('SELECT count(*) AS n FROM webauthn_credentials WHERE organization_id = $1', [a])).n).toBe('0');
  });

  it('rolls back to password where passkeys were the only method, and clients back to their organization', async () => {
    const only = await org('mig-pk-only', '{passkey}');
    const mixed = await org('mig-pk-mixed', '{magic_link,passkey}');
    const app = (await db.one<{ id: string }>("INSERT INTO applications (name, slug) VALUES ('Mig pk', 'mig-pk-app') RETURNING id")).id;
    await db.query("INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type, login_methods) VALUES ($1, $2, 'c-only', 'c', 'public', '{passkey}'), ($1, $2, 'c-mixed', 'c', 'public', '{password,passkey}')", [only, app]);
    expect(await createMigrator(db, upTo022).down(1)).toEqual(['022_passkeys']);
    const methods = async (id: string) => (await db.one<{ m: string[] }>('SELECT default_login_methods AS m FROM organizations WHERE id = $1', [id])).m;
    expect(await methods(only)).toEqual(['password']);
    expect(await methods(mixed)).toEqual(['magic_link']);
    const clients = await db.many<{ client_id: string; login_methods: string[] | null }>("SELECT client_id, login_methods FROM clients WHERE client_id LIKE 'c-%' ORDER BY client_id");
    expect(clients).toEqual([{ client_id: 'c-mixed', login_methods: ['password'] }, { client_id: 'c-only', login_methods: null }]);
    expect(await db.maybeOne("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'webauthn_user_handle'")).toBeNull();
    expect(await createMigrator(db, upTo022).up()).toEqual(['022_passkeys']);
  });
}

onEachDatabase('migration 022 (passkeys)', suite);
