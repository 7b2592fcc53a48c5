import { describe, expect, it } from 'vitest';
import { resolveClientSettings } from '../clients/index.js';
import { DEFAULT_CLIENT_NAME, registeredMetadata, registrationDraft } from './registration-metadata.js';

const errorOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { error?: string }).error;
  }
  return undefined;
};

describe('registration metadata (RFC 7591 §2)', () => {
  it('applies the RFC defaults: a confidential web client with the code grant and client_secret_basic', () => {
    expect(registrationDraft({ redirect_uris: ['https://rp.example/cb'] })).toMatchObject({
      clientName: DEFAULT_CLIENT_NAME,
      clientType: 'confidential',
      applicationType: 'web',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['authorization_code'],
      redirectUris: ['https://rp.example/cb'],
      postLogoutRedirectUris: [],
      jwks: null,
      jwksUri: null,
    });
  });

  it('makes a public client of token_endpoint_auth_method none and keeps understood members only', () => {
    const draft = registrationDraft({ token_endpoint_auth_method: 'none', application_type: 'native', client_name: ' CLI ', logo_uri: 'https://x', porta: { internal_id: 'x' } });
    expect(draft).toMatchObject({ clientType: 'public', applicationType: 'native', clientName: 'CLI' });
    expect(draft).not.toHaveProperty('porta');
    expect(draft).not.toHaveProperty('logo_uri');
  });

  it.each([
    [{ response_types: ['token'] }],
    [{ response_types: ['code id_token'] }],
    [{ grant_types: ['implicit'] }],
    [{ grant_types: ['password'] }],
    [{ token_endpoint_auth_method: 'client_secret_jwt' }],
    [{ token_endpoint_auth_method: 'tls_client_auth' }],
    [{ application_type: 'spa' }],
    [{ grant_types: ['client_credentials'], response_types: ['code'] }],
    [{ grant_types: ['authorization_code'], response_types: [] }],
    [{ client_name: '' }],
    [{ jwks: { keys: [] } }],
  ])('refuses %j with invalid_client_metadata', (metadata) => {
    expect(errorOf(() => registrationDraft(metadata))).toBe('invalid_client_metadata');
  });

  it('answers malformed redirect_uris with invalid_redirect_uri', () => {
    expect(errorOf(() => registrationDraft({ redirect_uris: 'https://rp.example/cb' }))).toBe('invalid_redirect_uri');
  });

  it('describes the registered client as Porta stores it, with the secret only for secret-based clients', () => {
    const draft = registrationDraft({ grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://rp.example/cb'] });
    const settings = resolveClientSettings(draft);
    const engine = { client_id: 'abc', client_id_issued_at: 1, client_secret: 's3cret', porta: { internal_id: 'x' }, contacts: ['a@b'] };
    const metadata = registeredMetadata(settings, draft.clientName, engine);
    expect(metadata).toMatchObject({
      client_id: 'abc', client_secret: 's3cret', client_secret_expires_at: 0, response_types: ['code'], scope: 'openid profile email offline_access',
    });
    expect(metadata).not.toHaveProperty('porta');
    expect(metadata).not.toHaveProperty('contacts');
    const publicDraft = registrationDraft({ token_endpoint_auth_method: 'none', redirect_uris: ['https://rp.example/cb'] });
    expect(registeredMetadata(resolveClientSettings(publicDraft), publicDraft.clientName, engine)).not.toHaveProperty('client_secret');
  });
});
