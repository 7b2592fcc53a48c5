import { CheckboxField, SelectField, SwitchField, TextAreaField, TextField } from '../../components';
import type { Client } from './types';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANTS = [
  { value: 'authorization_code', label: 'Authorization code' },
  { value: 'refresh_token', label: 'Refresh token' },
  { value: 'client_credentials', label: 'Client credentials (confidential only)' },
  { value: DEVICE_GRANT, label: 'Device authorization (RFC 8628)' },
];
const SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'];
const LOGIN_METHODS = [
  { value: 'password', label: 'Password' },
  { value: 'magic_link', label: 'Magic link' },
  { value: 'passkey', label: 'Passkey' },
];

/** Every client field the Admin API accepts on create and update, as the form edits them (lists as one entry per line). */
export interface ClientSettings {
  clientName: string;
  applicationType: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: string;
  jwks: string;
  jwksUri: string;
  allowedOrigins: string;
  requirePkce: boolean;
  requireConsent: boolean;
  inheritLoginMethods: boolean;
  loginMethods: string[];
  idTokenSignedResponseAlg: string;
  idTokenClaims: string;
  backchannelLogoutUri: string;
  backchannelLogoutSessionRequired: boolean;
}

/** The API's defaults for a new client of this type (docs/admin-api/clients.md). */
export function defaultSettings(clientType: 'confidential' | 'public', applicationType = 'web'): ClientSettings {
  const isConfidentialWeb = clientType === 'confidential' && applicationType === 'web';
  return {
    clientName: '',
    applicationType,
    redirectUris: '',
    postLogoutRedirectUris: '',
    grantTypes: isConfidentialWeb ? ['authorization_code', 'refresh_token', 'client_credentials'] : ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email'],
    tokenEndpointAuthMethod: clientType === 'public' ? 'none' : 'client_secret_basic',
    jwks: '',
    jwksUri: '',
    allowedOrigins: '',
    requirePkce: true,
    requireConsent: false,
    inheritLoginMethods: true,
    loginMethods: ['password'],
    idTokenSignedResponseAlg: 'RS256',
    idTokenClaims: 'scopes',
    backchannelLogoutUri: '',
    backchannelLogoutSessionRequired: true,
  };
}

export function settingsOf(client: Client): ClientSettings {
  return {
    clientName: client.clientName,
    applicationType: client.applicationType,
    redirectUris: client.redirectUris.join('\n'),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'),
    grantTypes: client.grantTypes,
    scopes: client.scope.split(' ').filter(Boolean),
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    jwks: client.jwks ? JSON.stringify(client.jwks, null, 2) : '',
    jwksUri: client.jwksUri ?? '',
    allowedOrigins: client.allowedOrigins.join('\n'),
    requirePkce: client.requirePkce,
    requireConsent: client.requireConsent,
    inheritLoginMethods: client.loginMethods === null,
    loginMethods: client.loginMethods ?? client.effectiveLoginMethods,
    idTokenSignedResponseAlg: client.idTokenSignedResponseAlg,
    idTokenClaims: client.idTokenClaims,
    backchannelLogoutUri: client.backchannelLogoutUri ?? '',
    backchannelLogoutSessionRequired: client.backchannelLogoutSessionRequired,
  };
}

const lines = (value: string) => value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

export class JwksParseError extends Error {}

/** The request body for `POST`/`PUT /clients`; the server checks every rule again. */
export function settingsBody(s: ClientSettings): Record<string, unknown> {
  let jwks: unknown = null;
  if (s.tokenEndpointAuthMethod === 'private_key_jwt' && s.jwks.trim()) {
    try {
      jwks = JSON.parse(s.jwks);
    } catch {
      throw new JwksParseError('The JWK Set is not valid JSON.');
    }
  }
  const isKeyJwt = s.tokenEndpointAuthMethod === 'private_key_jwt';
  return {
    clientName: s.clientName,
    applicationType: s.applicationType,
    redirectUris: lines(s.redirectUris),
    postLogoutRedirectUris: lines(s.postLogoutRedirectUris),
    grantTypes: s.grantTypes,
    scope: SCOPES.filter((scope) => s.scopes.includes(scope)).join(' '),
    tokenEndpointAuthMethod: s.tokenEndpointAuthMethod,
    jwks: isKeyJwt ? jwks : null,
    jwksUri: isKeyJwt && s.jwksUri.trim() ? s.jwksUri.trim() : null,
    allowedOrigins: lines(s.allowedOrigins),
    requirePkce: s.requirePkce,
    requireConsent: s.requireConsent,
    loginMethods: s.inheritLoginMethods ? null : s.loginMethods,
    idTokenSignedResponseAlg: s.idTokenSignedResponseAlg,
    idTokenClaims: s.idTokenClaims,
    backchannelLogoutUri: s.backchannelLogoutUri.trim() || null,
    backchannelLogoutSessionRequired: s.backchannelLogoutSessionRequired,
  };
}

function toggled(list: string[], value: string, isOn: boolean): string[] {
  return isOn ? [...new Set([...list, value])] : list.filter((v) => v !== value);
}

/** The settings fields shared by the create and edit screens. */
export function ClientSettingsFields({ clientType, value, onChange }: { clientType: 'confidential' | 'public'; value: ClientSettings; onChange: (next: ClientSettings) => void }) {
  const set = <K extends keyof ClientSettings>(key: K) => (v: ClientSettings[K]) => onChange({ ...value, [key]: v });
  const isPublic = clientType === 'public';
  const authMethods = isPublic
    ? [{ value: 'none', label: 'None (public client, PKCE)' }]
    : [
        { value: 'client_secret_basic', label: 'Client secret (HTTP Basic)' },
        { value: 'client_secret_post', label: 'Client secret (form post)' },
        { value: 'private_key_jwt', label: 'Private key JWT' },
      ];
  return (
    <>
      <TextField label="Client name" name="clientName" value={value.clientName} onChange={set('clientName')} isRequired />
      <SelectField
        label="Application type"
        value={value.applicationType}
        onChange={set('applicationType')}
        options={[
          { value: 'web', label: 'Web (server-side)' },
          { value: 'native', label: 'Native (mobile or desktop)' },
          ...(isPublic ? [{ value: 'spa', label: 'Single-page app' }] : []),
        ]}
      />
      <fieldset className="field-group">
        <legend>Grant types</legend>
        {GRANTS.filter((g) => !(isPublic && g.value === 'client_credentials')).map((g) => (
          <CheckboxField key={g.value} label={g.label} isSelected={value.grantTypes.includes(g.value)} onChange={(isOn: boolean) => set('grantTypes')(toggled(value.grantTypes, g.value, isOn))} />
        ))}
      </fieldset>
      <TextAreaField label="Redirect URIs" name="redirectUris" value={value.redirectUris} onChange={set('redirectUris')} description="One per line, at most 10. https, or http on localhost/127.0.0.1/[::1]; native apps may use a private-use scheme. Required with the authorization-code grant." />
      <TextAreaField label="Post-logout redirect URIs" name="postLogoutRedirectUris" value={value.postLogoutRedirectUris} onChange={set('postLogoutRedirectUris')} description="One per line, same rules." />
      <fieldset className="field-group">
        <legend>Scopes</legend>
        {SCOPES.map((scope) => (
          <CheckboxField key={scope} label={scope} isSelected={value.scopes.includes(scope)} onChange={(isOn: boolean) => set('scopes')(toggled(value.scopes, scope, isOn))} />
        ))}
      </fieldset>
      <SelectField label="Token endpoint authentication" value={value.tokenEndpointAuthMethod} onChange={set('tokenEndpointAuthMethod')} options={authMethods} />
      {value.tokenEndpointAuthMethod === 'private_key_jwt' ? (
        <>
          <TextAreaField label="JWK Set (public keys)" name="jwks" value={value.jwks} onChange={set('jwks')} description='{"keys":[…]}, 1–10 public keys (RSA, EC or OKP). Give either this or a JWKS URI.' />
          <TextField label="JWKS URI" name="jwksUri" value={value.jwksUri} onChange={set('jwksUri')} description="https URL where the client publishes its keys, instead of the JWK Set." />
        </>
      ) : null}
      <TextAreaField label="Allowed CORS origins" name="allowedOrigins" value={value.allowedOrigins} onChange={set('allowedOrigins')} description="One bare origin per line (https://app.example.com), at most 20." />
      <SwitchField label="Require PKCE" isSelected={isPublic ? true : value.requirePkce} isDisabled={isPublic} onChange={set('requirePkce')} description={isPublic ? 'Public clients always use PKCE with S256.' : 'Turn off only for relying-party libraries without PKCE.'} />
      <SwitchField label="Require consent" isSelected={value.requireConsent} onChange={set('requireConsent')} />
      <fieldset className="field-group">
        <legend>Login methods</legend>
        <CheckboxField label="Inherit the organization's login methods" isSelected={value.inheritLoginMethods} onChange={set('inheritLoginMethods')} />
        {value.inheritLoginMethods
          ? null
          : LOGIN_METHODS.map((m) => (
              <CheckboxField key={m.value} label={m.label} isSelected={value.loginMethods.includes(m.value)} onChange={(isOn: boolean) => set('loginMethods')(toggled(value.loginMethods, m.value, isOn))} />
            ))}
      </fieldset>
      <SelectField
        label="ID token signing algorithm"
        value={value.idTokenSignedResponseAlg}
        onChange={set('idTokenSignedResponseAlg')}
        options={[
          { value: 'RS256', label: 'RS256' },
          { value: 'ES256', label: 'ES256' },
          { value: 'PS256', label: 'PS256' },
        ]}
      />
      <SelectField
        label="ID token claims"
        value={value.idTokenClaims}
        onChange={set('idTokenClaims')}
        options={[
          { value: 'scopes', label: 'Claims of the granted scopes (and custom claims)' },
          { value: 'minimal', label: 'Minimal (the rest from userinfo)' },
        ]}
      />
      <TextField label="Back-channel logout URI" name="backchannelLogoutUri" value={value.backchannelLogoutUri} onChange={set('backchannelLogoutUri')} description="https URL receiving OIDC Back-Channel Logout tokens; needs the authorization-code grant. Empty for none." />
      <SwitchField label="Back-channel logout requires the session id (sid)" isSelected={value.backchannelLogoutSessionRequired} onChange={set('backchannelLogoutSessionRequired')} />
    </>
  );
}
