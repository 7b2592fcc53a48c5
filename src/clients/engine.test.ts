import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { ENGINE_SECRET_PLACEHOLDER, toEngineMetadata } from './engine.js';
import type { Client } from './repo.js';
import { resolveClientSettings, type ClientDraft } from './rules.js';
import { findMatchingDigest, generateClientId, generateSecretValue, sha256Hex } from './secrets.js';

const base: Client = {
  id: '0b7c6f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f',
  organizationId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  applicationId: '2d3e4f5a-6b7c-4d8e-9fa0-1b2c3d4e5f60',
  clientId: 'portal-web',
  clientName: 'Portal',
  clientType: 'confidential',
  applicationType: 'web',
  redirectUris: ['https://portal.example/cb'],
  postLogoutRedirectUris: ['https://portal.example/'],
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  responseTypes: ['code'],
  scope: 'openid profile email',
  tokenEndpointAuthMethod: 'client_secret_basic',
  allowedOrigins: ['https://portal.example'],
  requirePkce: true,
  requireConsent: true,
  loginMethods: ['password'],
  idTokenSignedResponseAlg: 'RS256',
  idTokenClaims: 'scopes',
  backchannelLogoutUri: null,
  backchannelLogoutSessionRequired: true,
  jwks: null,
  jwksUri: null,
  status: 'active',
  isServiceAccount: false,
  description: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('toEngineMetadata', () => {
  it('maps a confidential web client', () => {
    expect(toEngineMetadata(base)).toEqual({
      client_id: 'portal-web',
      client_name: 'Portal',
      redirect_uris: ['https://portal.example/cb'],
      post_logout_redirect_uris: ['https://portal.example/'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      scope: 'openid profile email offline_access',
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
      id_token_signed_response_alg: 'RS256',
      client_secret: ENGINE_SECRET_PLACEHOLDER,
      porta: {
        internal_id: base.id,
        organization_id: base.organizationId,
        application_id: base.applicationId,
        client_type: 'confidential',
        application_type: 'web',
        require_consent: true,
        login_methods: ['password'],
        allowed_origins: ['https://portal.example'],
        status: 'active',
        require_pkce: true,
        id_token_claims: 'scopes',
      },
    });
  });

  it('hands over the protocol fields a client registered, and nothing for those it did not', () => {
    const jwks = { keys: [{ kty: 'EC' as const, crv: 'P-256', x: 'x', y: 'y', kid: 'rp-1' }] };
    const meta = toEngineMetadata({
      ...base,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks,
      requirePkce: false,
      idTokenSignedResponseAlg: 'PS256',
      idTokenClaims: 'minimal',
      backchannelLogoutUri: 'https://portal.example/bcl',
      backchannelLogoutSessionRequired: false,
    });
    expect(meta).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      id_token_signed_response_alg: 'PS256',
      backchannel_logout_uri: 'https://portal.example/bcl',
      backchannel_logout_session_required: false,
      porta: { require_pkce: false, id_token_claims: 'minimal' },
    });
    // A key-authenticated client has no secret, not even the placeholder.
    expect(meta).not.toHaveProperty('client_secret');
    expect(meta).not.toHaveProperty('jwks_uri');
    expect(toEngineMetadata(base)).not.toHaveProperty('backchannel_logout_uri');
    expect(toEngineMetadata(base)).not.toHaveProperty('jwks');
    // A public client always requires PKCE, whatever a row says.
    expect(toEngineMetadata({ ...base, clientType: 'public', tokenEndpointAuthMethod: 'none', requirePkce: false }).porta.require_pkce).toBe(true);
  });

  it('presents an SPA as a public web client without a secret', () => {
    const meta = toEngineMetadata({
      ...base,
      clientType: 'public',
      applicationType: 'spa',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      loginMethods: null,
    });
    expect(meta).toMatchObject({ application_type: 'web', token_endpoint_auth_method: 'none', scope: 'openid profile email' });
    expect(meta.porta).toMatchObject({ application_type: 'spa', login_methods: null });
    expect(meta).not.toHaveProperty('client_secret');
  });

  it('keeps native, does not duplicate offline_access, and drops response types without the code flow', () => {
    expect(toEngineMetadata({ ...base, applicationType: 'native', scope: 'openid offline_access' })).toMatchObject({
      application_type: 'native',
      scope: 'openid offline_access',
    });
    const m2m = toEngineMetadata({ ...base, grantTypes: ['client_credentials'], redirectUris: [], scope: 'openid' });
    expect(m2m).toMatchObject({ response_types: [], grant_types: ['client_credentials'], scope: 'openid' });
  });

  it('uses a placeholder no generated secret can equal', () => {
    expect(ENGINE_SECRET_PLACEHOLDER).toMatch(/^porta-secret-placeholder\./);
    expect(generateSecretValue()).not.toContain('.');
  });
});

describe('engine compatibility', () => {
  it('oidc-provider accepts the metadata of every kind of client and exposes the porta fields', async () => {
    const make = (clientId: string, draft: ClientDraft): Client => ({ ...base, clientId, ...resolveClientSettings(draft) });
    const metadata = [
      make('web', { clientType: 'confidential', redirectUris: ['https://a.example/cb'], postLogoutRedirectUris: ['https://a.example/'] }),
      make('spa', { clientType: 'public', applicationType: 'spa', redirectUris: ['http://localhost:5173/cb'] }),
      make('native', { clientType: 'public', applicationType: 'native', redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/callback'] }),
      make('m2m', { clientType: 'confidential', grantTypes: ['client_credentials'], scope: 'openid' }),
    ].map(toEngineMetadata);
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const provider = new Provider('http://localhost:3000/org', {
      clients: metadata as never,
      extraClientMetadata: { properties: ['porta'] },
      enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'] },
      jwks: { keys: [{ ...key, kid: 'k1', alg: 'ES256', use: 'sig' } as never, { ...rsa, kid: 'k2', alg: 'RS256', use: 'sig' } as never] },
      features: { clientCredentials: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      scopes: ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'],
    });
    for (const m of metadata) {
      const client = (await provider.Client.find(m.client_id)) as unknown as { porta: { internal_id: string }; applicationType: string };
      expect(client.porta.internal_id).toBe(base.id);
      expect(client.applicationType).toBe(m.application_type);
    }
  });
});

describe('secret helpers', () => {
  it('generates ids and secrets of the specified size', () => {
    expect(generateClientId()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateSecretValue()).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(generateSecretValue()).not.toBe(generateSecretValue());
  });

  it('finds the matching digest among several', () => {
    const candidates = ['one', 'two', 'three'].map((v, i) => ({ id: String(i), sha256: sha256Hex(v) }));
    expect(sha256Hex('one')).toMatch(/^[0-9a-f]{64}$/);
    expect(findMatchingDigest('two', candidates)?.id).toBe('1');
    expect(findMatchingDigest('four', candidates)).toBeNull();
    expect(findMatchingDigest('one', [{ id: 'x', sha256: 'not-hex' }])).toBeNull();
  });
});
