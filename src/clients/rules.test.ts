import { describe, expect, it } from 'vitest';
import { isAppError } from '../platform/errors.js';
import { originProblem, redirectUriProblem, resolveClientSettings, type ClientDraft } from './rules.js';

function codeOf(draft: ClientDraft): string | undefined {
  try {
    resolveClientSettings(draft);
    return undefined;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
}

const web = { redirectUris: ['https://app.example.com/cb'] };

describe('redirectUriProblem', () => {
  it.each([
    ['https://app.example.com/cb', 'web'],
    ['https://app.example.com:8443/cb?x=1', 'spa'],
    ['http://localhost:3000/cb', 'web'],
    ['http://127.0.0.1/callback', 'native'],
    ['http://[::1]:8080/cb', 'spa'],
    ['com.example.app:/cb', 'native'],
    ['com.example.app:/oauth2redirect', 'native'],
    ['https://app.example.com/cb', 'native'],
  ] as const)('accepts %s for %s', (uri, type) => {
    expect(redirectUriProblem(uri, type)).toBeNull();
  });

  it.each([
    ['/relative/cb', 'web', 'absolute'],
    ['https://app.example.com/cb#frag', 'web', 'fragment'],
    ['https://*.example.com/cb', 'web', 'wildcard'],
    ['https://user:pw@app.example.com/cb', 'web', 'credentials'],
    ['http://app.example.com/cb', 'web', 'https'],
    ['http://192.168.1.10/cb', 'native', 'https'],
    ['com.example.app:/cb', 'web', 'https'],
    ['com.example.app:/cb', 'spa', 'https'],
    ['myapp:/cb', 'native', 'reverse domain'],
    ['javascript:alert(1)', 'native', 'reverse domain'],
    ['data:text/html,x', 'native', 'reverse domain'],
    ['https://localhost/cb', 'native', 'loopback'],
    ['ftp://example.com/cb', 'web', 'https'],
  ] as const)('rejects %s for %s', (uri, type, reason) => {
    expect(redirectUriProblem(uri, type)).toContain(reason);
  });
});

describe('originProblem', () => {
  it('accepts bare origins', () => {
    for (const o of ['https://app.example.com', 'https://app.example.com:8443', 'http://localhost:5173', 'http://127.0.0.1:8765']) {
      expect(originProblem(o)).toBeNull();
    }
  });
  it('rejects paths, trailing slashes, other schemes, insecure hosts and garbage', () => {
    for (const o of ['https://app.example.com/', 'https://app.example.com/x', 'https://App.example.com', 'ftp://example.com', 'http://app.example.com', 'null', '*']) {
      expect(originProblem(o)).not.toBeNull();
    }
  });
});

describe('resolveClientSettings', () => {
  it('applies the defaults for a confidential web client', () => {
    expect(resolveClientSettings({ clientType: 'confidential', ...web })).toEqual({
      clientType: 'confidential',
      applicationType: 'web',
      redirectUris: ['https://app.example.com/cb'],
      postLogoutRedirectUris: [],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      responseTypes: ['code'],
      scope: 'openid profile email',
      tokenEndpointAuthMethod: 'client_secret_basic',
      allowedOrigins: [],
      requireConsent: false,
      loginMethods: null,
      requirePkce: true,
      idTokenSignedResponseAlg: 'RS256',
      idTokenClaims: 'scopes',
      backchannelLogoutUri: null,
      backchannelLogoutSessionRequired: true,
      jwks: null,
      jwksUri: null,
    });
  });

  it('accepts the protocol fields of spec 70 §5 on a confidential client', () => {
    const jwks = { keys: [{ kty: 'RSA' as const, n: 'AQAB', e: 'AQAB', kid: 'rp' }] };
    expect(resolveClientSettings({
      clientType: 'confidential',
      ...web,
      requirePkce: false,
      idTokenSignedResponseAlg: 'ES256',
      idTokenClaims: 'minimal',
      backchannelLogoutUri: 'https://app.example.com/backchannel',
      backchannelLogoutSessionRequired: false,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks,
    })).toMatchObject({
      requirePkce: false,
      idTokenSignedResponseAlg: 'ES256',
      idTokenClaims: 'minimal',
      backchannelLogoutUri: 'https://app.example.com/backchannel',
      backchannelLogoutSessionRequired: false,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks,
      jwksUri: null,
    });
    expect(resolveClientSettings({ clientType: 'confidential', ...web, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://app.example.com/jwks' }))
      .toMatchObject({ jwks: null, jwksUri: 'https://app.example.com/jwks' });
  });

  it('drops the keys when a client moves from private_key_jwt to a secret only if asked, and says why otherwise', () => {
    const jwksUri = 'https://app.example.com/jwks';
    expect(codeOf({ clientType: 'confidential', ...web, tokenEndpointAuthMethod: 'client_secret_basic', jwksUri })).toBe('keys_without_private_key_jwt');
    expect(resolveClientSettings({ clientType: 'confidential', ...web, tokenEndpointAuthMethod: 'client_secret_basic', jwksUri: null }).jwksUri).toBeNull();
  });

  it('gives public and non-web clients code + refresh and the none auth method', () => {
    const spa = resolveClientSettings({ clientType: 'public', applicationType: 'spa', ...web });
    expect(spa).toMatchObject({ grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'none' });
    const native = resolveClientSettings({ clientType: 'confidential', applicationType: 'native', ...web });
    expect(native).toMatchObject({ grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'client_secret_basic' });
  });

  it('lets client_credentials-only clients go without redirect URIs', () => {
    expect(resolveClientSettings({ clientType: 'confidential', grantTypes: ['client_credentials'] }).redirectUris).toEqual([]);
  });

  it('normalises duplicates and scope spacing', () => {
    const s = resolveClientSettings({
      clientType: 'confidential',
      redirectUris: ['https://a.example/cb', 'https://a.example/cb'],
      grantTypes: ['authorization_code', 'authorization_code'],
      scope: '  openid   email openid ',
      loginMethods: ['password', 'password'],
      allowedOrigins: ['https://a.example', 'https://a.example'],
      tokenEndpointAuthMethod: 'client_secret_post',
    });
    expect(s).toMatchObject({
      redirectUris: ['https://a.example/cb'],
      grantTypes: ['authorization_code'],
      scope: 'openid email',
      loginMethods: ['password'],
      allowedOrigins: ['https://a.example'],
      tokenEndpointAuthMethod: 'client_secret_post',
    });
  });

  it.each<[string, ClientDraft]>([
    ['spa_requires_public', { clientType: 'confidential', applicationType: 'spa', ...web }],
    ['public_client_credentials', { clientType: 'public', grantTypes: ['authorization_code', 'client_credentials'], ...web }],
    ['invalid_grant_types', { clientType: 'confidential', grantTypes: ['refresh_token', 'client_credentials'] }],
    ['redirect_uris_required', { clientType: 'public' }],
    ['redirect_uris_required', { clientType: 'confidential', grantTypes: ['authorization_code'], redirectUris: [] }],
    ['invalid_redirect_uri', { clientType: 'confidential', redirectUris: ['http://app.example.com/cb'] }],
    ['invalid_post_logout_redirect_uri', { clientType: 'confidential', ...web, postLogoutRedirectUris: ['https://a.example/#x'] }],
    ['invalid_auth_method', { clientType: 'public', tokenEndpointAuthMethod: 'client_secret_basic', ...web }],
    ['invalid_auth_method', { clientType: 'confidential', tokenEndpointAuthMethod: 'none', ...web }],
    ['invalid_scope', { clientType: 'confidential', scope: 'openid admin', ...web }],
    ['invalid_scope', { clientType: 'confidential', scope: '   ', ...web }],
    ['invalid_origin', { clientType: 'public', allowedOrigins: ['https://a.example/path'], ...web }],
    ['public_client_pkce', { clientType: 'public', requirePkce: false, ...web }],
    ['private_key_jwt_keys', { clientType: 'confidential', tokenEndpointAuthMethod: 'private_key_jwt', ...web }],
    ['private_key_jwt_keys', {
      clientType: 'confidential', tokenEndpointAuthMethod: 'private_key_jwt', ...web,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }, jwksUri: 'https://app.example.com/jwks',
    }],
    ['private_jwk', {
      clientType: 'confidential', tokenEndpointAuthMethod: 'private_key_jwt', ...web,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret' }] },
    }],
    ['invalid_jwks_uri', { clientType: 'confidential', tokenEndpointAuthMethod: 'private_key_jwt', ...web, jwksUri: 'http://keys.example.com/jwks' }],
    ['keys_without_private_key_jwt', { clientType: 'confidential', ...web, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }],
    ['invalid_backchannel_logout_uri', { clientType: 'confidential', ...web, backchannelLogoutUri: 'http://rp.example.com/bcl' }],
    ['backchannel_logout_without_login', { clientType: 'confidential', grantTypes: ['client_credentials'], backchannelLogoutUri: 'https://rp.example.com/bcl' }],
  ])('rejects with %s', (code, draft) => {
    expect(codeOf(draft)).toBe(code);
  });
});
