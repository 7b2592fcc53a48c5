import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliDirectActor, systemActor } from '../../src/actors/index.js';
import { parseProvisioningText } from '../../src/provisioning/index.js';
import { startAdminServer, type AdminClient, type AdminServer } from '../support/admin.js';
import { runPorta } from '../support/cli.js';

const REDIRECT = 'https://rp.example.com/callback';
const PUBLIC_JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'rp-1' };

/** Spec 70 §5 client fields through every edge that writes clients: Admin API, provisioning, CLI. */
describe('client protocol fields (spec 70 §5): ID token algorithm and claims, PKCE, back-channel logout, private_key_jwt', () => {
  let s: AdminServer;
  let admin: AdminClient;
  let org: { id: string; slug: string };
  let appId: string;

  beforeAll(async () => {
    s = await startAdminServer();
    admin = await s.clientWithRoles(['porta-app-admin']);
    org = await s.porta.services.organizations.create(systemActor(), { name: 'Fields Org', slug: 'fields-org' });
    appId = (await s.porta.services.applications.create(systemActor(), { name: 'Fields App', slug: 'fields-app' })).id;
  });
  afterAll(() => s?.stop());

  const base = (body: Record<string, unknown> = {}) => ({
    organizationId: org.id, applicationId: appId, clientName: 'RP', clientType: 'confidential', redirectUris: [REDIRECT], ...body,
  });

  it('gives a new client RS256, claims in the ID token, PKCE, no back-channel logout and no keys', async () => {
    const res = await admin.post('/clients', base());
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.client).toMatchObject({
      idTokenSignedResponseAlg: 'RS256',
      idTokenClaims: 'scopes',
      requirePkce: true,
      backchannelLogoutUri: null,
      backchannelLogoutSessionRequired: true,
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
      jwksUri: null,
    });
    expect(res.body.data.secret.plaintext).toBeTruthy();
  });

  it('stores each field, shows it back, and changes it with PUT', async () => {
    const created = await admin.post('/clients', base({
      idTokenSignedResponseAlg: 'ES256',
      idTokenClaims: 'minimal',
      requirePkce: false,
      backchannelLogoutUri: 'https://rp.example.com/backchannel',
      backchannelLogoutSessionRequired: false,
    }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.data.client.id as string;
    expect(created.body.data.client).toMatchObject({
      idTokenSignedResponseAlg: 'ES256', idTokenClaims: 'minimal', requirePkce: false,
      backchannelLogoutUri: 'https://rp.example.com/backchannel', backchannelLogoutSessionRequired: false,
    });

    const updated = await admin.put(`/clients/${id}`, { idTokenSignedResponseAlg: 'PS256', requirePkce: true, backchannelLogoutUri: null });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.data).toMatchObject({ idTokenSignedResponseAlg: 'PS256', idTokenClaims: 'minimal', requirePkce: true, backchannelLogoutUri: null });
    expect((await admin.get(`/clients/${id}`)).body.data).toMatchObject({ idTokenSignedResponseAlg: 'PS256', backchannelLogoutUri: null });
    const entries = (await s.porta.services.audit.list({ targetId: id })).data;
    const fields = (entries.find((e) => e.eventType === 'client.updated')?.metadata as { fields: string[] }).fields;
    expect([...fields].sort()).toEqual(['backchannelLogoutUri', 'idTokenSignedResponseAlg', 'requirePkce']);
  });

  it('registers a private_key_jwt client with its public keys and no secret, and switches it to a URL', async () => {
    const created = await admin.post('/clients', base({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.data.secret).toBeNull();
    expect(created.body.warning).toBeUndefined();
    expect(created.body.data.client).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] }, jwksUri: null });
    const id = created.body.data.client.id as string;

    const moved = await admin.put(`/clients/${id}`, { jwks: null, jwksUri: 'https://rp.example.com/jwks.json' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toMatchObject({ jwks: null, jwksUri: 'https://rp.example.com/jwks.json' });

    // Back to a secret: the keys must go, and saying so is required.
    const refused = await admin.put(`/clients/${id}`, { tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'jwksUri', reason: 'keys_without_private_key_jwt' }] });
    const back = await admin.put(`/clients/${id}`, { tokenEndpointAuthMethod: 'client_secret_basic', jwksUri: null });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.data).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', jwks: null, jwksUri: null });
  });

  it.each([
    ['public_client_pkce', 'requirePkce', { clientType: 'public', applicationType: 'spa', requirePkce: false }],
    ['private_key_jwt_keys', 'jwks', { tokenEndpointAuthMethod: 'private_key_jwt' }],
    ['private_jwk', 'jwks', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...PUBLIC_JWK, d: 'private-part' }] } }],
    ['invalid_jwks_uri', 'jwksUri', { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'http://rp.example.com/jwks' }],
    ['keys_without_private_key_jwt', 'jwksUri', { jwksUri: 'https://rp.example.com/jwks' }],
    ['invalid_backchannel_logout_uri', 'backchannelLogoutUri', { backchannelLogoutUri: 'http://rp.example.com/bcl' }],
    [undefined, 'idTokenSignedResponseAlg', { idTokenSignedResponseAlg: 'HS256' }],
    [undefined, 'idTokenClaims', { idTokenClaims: 'everything' }],
    [undefined, 'jwks.keys', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [] } }],
  ])('refuses %s (%s) with 400 validation_failed and creates nothing', async (reason, field, body) => {
    const name = `refused-${field}-${Math.random().toString(36).slice(2)}`;
    const res = await admin.post('/clients', base({ clientName: name, ...body }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', message: expect.any(String) });
    expect(res.body.details[0].path).toBe(field);
    if (reason) expect(res.body.details[0].reason).toBe(reason);
    const listed = await s.porta.services.clients.list(org.id, { search: name });
    expect(listed.total).toBe(0);
  });

  it('provisions the fields from a file, and a second run changes nothing', async () => {
    const file = `
organizations:
  - name: Fields Org
    slug: fields-org
    applications:
      - name: Fields App
        slug: fields-app
        clients:
          - client_name: Provisioned RP
            client_type: confidential
            client_id: provisioned-rp
            redirect_uris: [${REDIRECT}]
            id_token_signed_response_alg: ES256
            id_token_claims: minimal
            require_pkce: false
            backchannel_logout_uri: https://rp.example.com/bcl
            token_endpoint_auth_method: private_key_jwt
            jwks: { keys: [{ kty: EC, crv: P-256, x: ${PUBLIC_JWK.x}, y: ${PUBLIC_JWK.y}, kid: rp-1 }] }
`;
    const { provisioning, clients } = s.porta.services;
    const first = await provisioning.apply(cliDirectActor('ops'), provisioning.validate(parseProvisioningText(file)));
    expect(first.entries.filter((e) => e.type === 'client').map((e) => e.action)).toEqual(['created']);
    const client = await clients.findByClientId(org.id, 'provisioned-rp');
    expect(client).toMatchObject({
      idTokenSignedResponseAlg: 'ES256', idTokenClaims: 'minimal', requirePkce: false, backchannelLogoutUri: 'https://rp.example.com/bcl',
      tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] }, jwksUri: null,
    });
    const again = await provisioning.apply(cliDirectActor('ops'), provisioning.validate(parseProvisioningText(file)));
    expect(again.entries.filter((e) => e.type === 'client').map((e) => e.action)).toEqual(['skipped']);
    const overwrite = await provisioning.apply(cliDirectActor('ops'), provisioning.validate(parseProvisioningText(file)), { mode: 'overwrite' });
    expect(overwrite.entries.filter((e) => e.type === 'client').map((e) => [e.action, e.reason])).toEqual([['skipped', 'unchanged']]);

    const bad = file.replace('token_endpoint_auth_method: private_key_jwt', 'token_endpoint_auth_method: client_secret_basic');
    expect(() => provisioning.validate(parseProvisioningText(bad))).toThrow();
  });
});

describe('porta client create/update with the protocol flags (direct mode)', { timeout: 120_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porta-client-fields-'));
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', PORTA_DATA_DIR: dataDir };
    delete e.DATABASE_URL;
    delete e.REDIS_URL;
    delete e.PORTA_SERVER;
    return e;
  };
  const cli = (args: string[], input = '') => runPorta(args, { env: env(), input });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('sets every field by flag, reads keys from a file, and clears a URI with ""', async () => {
    expect((await cli(['migrate', 'up'])).status).toBe(0);
    expect((await cli(['org', 'create', '--name', 'Cli Org', '--slug', 'cli-org'])).status).toBe(0);
    expect((await cli(['app', 'create', '--name', 'Cli App', '--slug', 'cli-app'])).status).toBe(0);
    const jwksFile = path.join(dataDir, 'rp-keys.json');
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [PUBLIC_JWK] }));
    const created = await cli([
      'client', 'create', '--org', 'cli-org', '--app', 'cli-app', '--type', 'confidential', '--name', 'Cli RP', '--redirect-uris', REDIRECT,
      '--auth-method', 'private_key_jwt', '--jwks-file', jwksFile, '--id-token-alg', 'PS256', '--id-token-claims', 'minimal',
      '--require-pkce', 'false', '--backchannel-logout-uri', 'https://rp.example.com/bcl', '--json',
    ]);
    expect(created.status, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout).data.client;
    expect(client).toMatchObject({
      tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] }, idTokenSignedResponseAlg: 'PS256', idTokenClaims: 'minimal',
      requirePkce: false, backchannelLogoutUri: 'https://rp.example.com/bcl', backchannelLogoutSessionRequired: true,
    });

    const updated = await cli(['client', 'update', client.clientId, '--backchannel-logout-uri', '', '--id-token-alg', 'RS256', '--json']);
    expect(updated.status, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).data).toMatchObject({ backchannelLogoutUri: null, idTokenSignedResponseAlg: 'RS256' });

    const bad = await cli(['client', 'update', client.clientId, '--jwks-file', path.join(dataDir, 'missing.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Cannot read');
  });
});
