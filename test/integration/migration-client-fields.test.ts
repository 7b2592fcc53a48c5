import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMigrator, readMigrations, type Db } from '../../src/platform/db/index.js';
import { onEachDatabase, type OpenDb } from '../support/databases.js';

const shipped = readMigrations();
const upTo008 = shipped.filter((m) => m.name < '009');
const upTo009 = shipped.filter((m) => m.name < '010');

function suite(open: OpenDb) {
  let db: Db;
  let dispose: () => Promise<void>;
  let orgId: string;
  let appId: string;

  const insertClient = (clientId: string, clientType = 'confidential') =>
    db.one<{ id: string }>(
      `INSERT INTO clients (organization_id, application_id, client_id, client_name, client_type) VALUES ($1, $2, $3, $3, $4) RETURNING id`,
      [orgId, appId, clientId, clientType],
    );
  const fields = (clientId: string) =>
    db.one('SELECT id_token_signed_response_alg, id_token_claims, require_pkce, backchannel_logout_uri, jwks, jwks_uri FROM clients WHERE client_id = $1', [clientId]);

  beforeAll(async () => {
    ({ db, dispose } = await open());
    await createMigrator(db, upTo008).up();
    orgId = (await db.one<{ id: string }>("INSERT INTO organizations (name, slug) VALUES ('Mig org', 'mig-org') RETURNING id")).id;
    appId = (await db.one<{ id: string }>("INSERT INTO applications (name, slug) VALUES ('Mig app', 'mig-app') RETURNING id")).id;
    await insertClient('before-009');
  });
  afterAll(() => dispose?.());

  it('keeps ES256 for clients registered before it, and gives new ones RS256 and the other defaults', async () => {
    expect(await createMigrator(db, upTo009).up()).toEqual(['009_client_protocol_fields']);
    expect(await fields('before-009')).toEqual({
      id_token_signed_response_alg: 'ES256', id_token_claims: 'scopes', require_pkce: true, backchannel_logout_uri: null, jwks: null, jwks_uri: null,
    });
    await insertClient('after-009');
    expect(await fields('after-009')).toMatchObject({ id_token_signed_response_alg: 'RS256', id_token_claims: 'scopes', require_pkce: true });
  });

  it('lets confidential clients turn PKCE off, never public ones, and holds keys inline or by URL, not both', async () => {
    await db.query("UPDATE clients SET require_pkce = false WHERE client_id = 'after-009'");
    await insertClient('public-009', 'public');
    await expect(db.query("UPDATE clients SET require_pkce = false WHERE client_id = 'public-009'")).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.query(`UPDATE clients SET jwks = '{"keys":[]}', jwks_uri = 'https://rp.example/jwks' WHERE client_id = 'after-009'`),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(db.query("UPDATE clients SET id_token_signed_response_alg = 'HS256' WHERE client_id = 'after-009'")).rejects.toMatchObject({ code: '23514' });
  });

  it('rolls back to PKCE for everyone and the secret methods, and applies again', async () => {
    await db.query("UPDATE clients SET token_endpoint_auth_method = 'private_key_jwt', jwks_uri = 'https://rp.example/jwks' WHERE client_id = 'before-009'");
    expect(await createMigrator(db, upTo009).down(1)).toEqual(['009_client_protocol_fields']);
    expect(await db.one("SELECT token_endpoint_auth_method, require_pkce FROM clients WHERE client_id = 'before-009'")).toEqual({
      token_endpoint_auth_method: 'client_secret_basic', require_pkce: true,
    });
    expect(await db.one("SELECT require_pkce FROM clients WHERE client_id = 'after-009'")).toEqual({ require_pkce: true });
    expect(await createMigrator(db, upTo009).up()).toEqual(['009_client_protocol_fields']);
  });
}

onEachDatabase('migration 009: client protocol fields', suite);
