import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNT_PORTAL_CLIENT_ID, accountPortalClient } from '../../src/clients/index.js';
import { createOrganizationRepo } from '../../src/organizations/repo.js';
import { createMigrator, readMigrations, type Db } from '../../src/platform/db/index.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';

const upTo025 = readMigrations().filter((m) => m.name < '026');
const before025 = upTo025.filter((m) => m.name < '025');

/**
 * Migration 025: an organization created before it has the account portal on, and so the built-in
 * `porta-account` client the engine derives from that setting (clients/account-portal.ts); down removes
 * the setting and the e-mail change links.
 */
function suite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db, before025).up();
  });
  afterAll(() => dispose?.());

  it('turns the portal on for organizations created before it, which then have porta-account', async () => {
    const { id } = await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Old', 'mig-portal-old') RETURNING id");
    expect(await createMigrator(db, upTo025).up()).toEqual(['025_account_portal']);
    const org = (await createOrganizationRepo(db).findById(id))!;
    expect(org.accountPortalEnabled).toBe(true);
    const client = accountPortalClient(org, 'https://id.example.com');
    expect(client).toMatchObject({
      client_id: ACCOUNT_PORTAL_CLIENT_ID, redirect_uris: ['https://id.example.com/mig-portal-old/account/callback'],
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], porta: { organization_id: id, require_pkce: true, require_consent: false },
    });
    const { rows } = await db.query('SELECT 1 FROM email_change_tokens');
    expect(rows).toEqual([]);
  });

  it('rolls back cleanly and forward again', async () => {
    expect(await createMigrator(db, upTo025).down(1)).toEqual(['025_account_portal']);
    expect(await db.maybeOne("SELECT 1 FROM information_schema.columns WHERE table_name = 'organizations' AND column_name = 'account_portal_enabled'")).toBeNull();
    expect(await db.maybeOne("SELECT 1 FROM information_schema.tables WHERE table_name = 'email_change_tokens'")).toBeNull();
    expect(await createMigrator(db, upTo025).up()).toEqual(['025_account_portal']);
  });
}

onEachDatabase('migration 025 (account portal)', suite);
