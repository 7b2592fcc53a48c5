import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { systemActor } from '../../src/actors/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { describeWithServices } from '../support/services.js';

const FORM = 'application/x-www-form-urlencoded';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface RpKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function rpKey(alg: 'ES256' | 'RS256', kid: string): Promise<RpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** RFC 7523 §3 / OIDC Core §9: iss = sub = client_id, aud = the token endpoint, a unique jti, a short exp. */
function assertion(key: RpKey, clientId: string, audience: string, overrides: { jti?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: overrides.alg ?? String(key.publicJwk.alg), kid: key.publicJwk.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(overrides.jti ?? randomUUID())
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(key.privateKey);
}

function suite(backends: 'embedded' | 'services') {
  let server: TestServer;
  let slug: string;
  let tokenUrl: string;
  let keyClient: string;
  let uriClient: string;
  let secretClient: { clientId: string; secret: string };
  let key: RpKey;
  let otherKey: RpKey;
  let jwksServer: http.Server;
  let jwksHits = 0;

  const tokenRequest = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(tokenUrl, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: new URLSearchParams({ grant_type: 'client_credentials', ...body }) });
  const withAssertion = (clientId: string, jwt: string) => tokenRequest({ client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: jwt });

  beforeAll(async () => {
    key = await rpKey('ES256', 'rp-es');
    otherKey = await rpKey('ES256', 'rp-es');
    const rsa = await rpKey('RS256', 'rp-rsa');
    jwksServer = http.createServer((_req, res) => {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [rsa.publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

    server = await startTestServer({ backends });
    const { organizations, applications, clients } = server.porta.services;
    slug = `pkj-${backends}`;
    const org = await organizations.create(systemActor(), { name: `PKJ ${backends}`, slug });
    const app = await applications.create(systemActor(), { name: `PKJ app ${backends}`, slug: `pkj-app-${backends}` });
    const base = { applicationId: app.id, clientType: 'confidential' as const, grantTypes: ['client_credentials' as const], scope: 'openid' };
    const made = await clients.create(systemActor(), org.id, { ...base, clientName: 'Key client', tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk as never] } });
    expect(made.secret).toBeNull();
    keyClient = made.client.clientId;
    uriClient = (await clients.create(systemActor(), org.id, { ...base, clientName: 'URI client', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri })).client.clientId;
    const basic = await clients.create(systemActor(), org.id, { ...base, clientName: 'Basic client' });
    secretClient = { clientId: basic.client.clientId, secret: basic.secret!.plaintext };
    tokenUrl = `${server.url}/${slug}/auth/token`;
    (globalThis as { __rsa?: RpKey }).__rsa = rsa;
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  it('discovery advertises private_key_jwt with asymmetric algorithms only', async () => {
    const meta = (await (await fetch(`${server.url}/${slug}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']));
    expect(meta.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    expect(meta.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(meta.token_endpoint_auth_signing_alg_values_supported!.some((alg: string) => alg.startsWith('HS'))).toBe(false);
  });

  it('issues a token for an assertion signed with the registered key, audience the token endpoint or the issuer', async () => {
    const res = await withAssertion(keyClient, await assertion(key, keyClient, tokenUrl));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    const byIssuer = await withAssertion(keyClient, await assertion(key, keyClient, `${server.url}/${slug}`));
    expect(byIssuer.status).toBe(200);
  });

  it('fetches the keys of a jwks_uri client and accepts its RS256 assertion', async () => {
    const rsa = (globalThis as { __rsa?: RpKey }).__rsa!;
    const res = await withAssertion(uriClient, await assertion(rsa, uriClient, tokenUrl));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(jwksHits).toBeGreaterThan(0);
  });

  it('refuses a replayed assertion: invalid_client, 401', async () => {
    const jwt = await assertion(key, keyClient, tokenUrl);
    expect((await withAssertion(keyClient, jwt)).status).toBe(200);
    const replay = await withAssertion(keyClient, jwt);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('lets exactly one of ten concurrent uses of one assertion through', async () => {
    const jwt = await assertion(key, keyClient, tokenUrl);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => withAssertion(keyClient, jwt).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
  });

  it.each([
    ['the wrong audience', async () => assertion(key, keyClient, 'https://elsewhere.example/token')],
    ['another key', async () => assertion(otherKey, keyClient, tokenUrl)],
  ])('refuses an assertion with %s', async (_what, make) => {
    const res = await withAssertion(keyClient, await make());
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses an assertion naming another client: with a different client_id, or signed with the wrong client\'s key', async () => {
    const mismatch = await withAssertion(keyClient, await assertion(key, uriClient, tokenUrl));
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'invalid_request' });
    const impersonation = await tokenRequest({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion(key, uriClient, tokenUrl) });
    expect(impersonation.status).toBe(401);
    expect(await impersonation.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('enforces the registered method: a secret for a key client, or client_secret_post for a basic client, is invalid_client', async () => {
    const postForBasic = await tokenRequest({ client_id: secretClient.clientId, client_secret: secretClient.secret });
    expect(postForBasic.status).toBe(401);
    expect(await postForBasic.json()).toMatchObject({ error: 'invalid_client' });
    const basicAuth = `Basic ${Buffer.from(`${secretClient.clientId}:${secretClient.secret}`).toString('base64')}`;
    expect((await tokenRequest({}, { authorization: basicAuth })).status).toBe(200);
    const assertionForBasic = await withAssertion(secretClient.clientId, await assertion(key, secretClient.clientId, tokenUrl));
    expect(assertionForBasic.status).toBe(401);
    const secretForKeyClient = await tokenRequest({}, { authorization: `Basic ${Buffer.from(`${keyClient}:anything`).toString('base64')}` });
    expect(secretForKeyClient.status).toBe(401);
  });
}

describe('private_key_jwt client authentication (embedded backends)', () => suite('embedded'));
describeWithServices('private_key_jwt client authentication (PostgreSQL + Redis)', () => suite('services'));
