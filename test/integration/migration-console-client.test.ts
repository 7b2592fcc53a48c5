import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, readMigrations, type Db } from '../../src/platform/db/index.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';

const shipped = readMigrations();
const before026 = shipped.filter((m) => m.name < '026');
const upTo026 = shipped.filter((m) => m.name < '027');

const consoleClient = (db: Db) =>
  db.maybeOne<Record<string, unknown>>(
    `SELECT c.client_name, c.client_type, c.application_type, c.redirect_uris, c.post_logout_redirect_uris, c.grant_types, c.response_types,
            c.scope, c.token_endpoint_auth_method, c.require_pkce, c.require_consent, c.status, c.is_service_account,
            o.is_super_admin, a.slug AS application
       FROM clients c JOIN organizations o ON o.id = c.organization_id JOIN applications a ON a.id = c.application_id
      WHERE c.client_id = 'porta-admin-console'`,
  );

/** Spec 70 §3: installations initialised before the console get its built-in client from migration 026. */
function suite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db, before026).up();
  });
  afterAll(() => dispose?.());

  it('adds nothing to a database not yet initialised (porta init creates the client there)', async () => {
    expect(await createMigrator(db, upTo026).up()).toEqual(['026_admin_console_client']);
    expect(await consoleClient(db)).toBeNull();
    expect(await createMigrator(db, upTo026).down(1)).toEqual(['026_admin_console_client']);
  });

  it('adds the public PKCE client to an initialised installation, in the admin organization and application', async () => {
    await db.query("INSERT INTO applications (name, slug) VALUES ('Porta Admin', 'porta-admin')");
    expect(await createMigrator(db, upTo026).up()).toEqual(['026_admin_console_client']);
    expect(await consoleClient(db)).toEqual({
      client_name: 'Porta Admin Console', client_type: 'public', application_type: 'spa', redirect_uris: [], post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], scope: 'openid profile email offline_access',
      token_endpoint_auth_method: 'none', require_pkce: true, require_consent: false, status: 'active', is_service_account: false,
      is_super_admin: true, application: 'porta-admin',
    });
  });

  it('rolls back by removing the client, and applies again', async () => {
    expect(await createMigrator(db, upTo026).down(1)).toEqual(['026_admin_console_client']);
    expect(await consoleClient(db)).toBeNull();
    expect(await createMigrator(db, upTo026).up()).toEqual(['026_admin_console_client']);
    expect(await consoleClient(db)).not.toBeNull();
  });
}

onEachDatabase('migration 026: the admin console client', suite);
