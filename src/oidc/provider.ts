import Provider, { type Configuration, type KoaContextWithOIDC, errors } from 'oidc-provider';
import { missingAlgorithms } from '../keys/index.js';
import { findAccountFor } from './account.js';
import { accessTokenClaims, applicationIdOf } from './rbac-claims.js';
import { portaOf } from './client-extras.js';
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.js';
import type { OidcDeps, Organization } from './types.js';
import { mirrorSessions } from './session-mirror.js';
import { installBackchannelLogout } from './backchannel-logout.js';
import { loadExistingGrant } from './grants.js';
import { CLIENT_JWKS_BODY_LIMIT, outboundFetch } from './outbound-fetch.js';
import { resourceServerInfo } from './resources.js';
import { REGISTRATION_PATH, installRegistration, registrationFeatures } from './registration.js';
import { DEVICE_CODE_TTL_SECONDS, deviceFlowFeature, installDeviceFlow } from './device-flow.js';
import { holdBuiltClients } from './engine-clients.js';
import { tenantAdapters } from './tenant-adapter.js';
import { currentTenant, findTenant } from './tenant-scope.js';
import { interactionPolicyOf } from './second-factor-check.js';
import { ACR_VALUES_SUPPORTED } from '../two-factor/index.js';

export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'] as const;

const PROFILE_CLAIMS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
  'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
];

/** What differs between the engines: the routes and discovery of dynamic registration (spec 70 §5). */
export interface EngineShape {
  isRegistrationEnabled: boolean;
}

export function engineShapeOf(org: Organization): EngineShape {
  return { isRegistrationEnabled: org.dynamicRegistration === true && !org.isSuperAdmin };
}

/**
 * Cookie options whose `path` is the organization in scope: cookies stay under /{org}, so organizations
 * never share a browser session. Not a plain object, so the engine keeps it as it is rather than copying
 * its value once; `path` is an own enumerable getter, so the engine's `{ ...options }` reads it per request.
 */
function tenantCookieOptions(): NonNullable<Configuration['cookies']>['long'] {
  const options = Object.create(null) as Record<string, unknown>;
  Object.assign(options, { httpOnly: true, sameSite: 'lax' });
  Object.defineProperty(options, 'path', { enumerable: true, get: () => `/${currentTenant().org.slug}` });
  return options;
}

/**
 * Builds an engine that serves every organization of one shape. Everything per organization comes from
 * the tenant scope of the call (tenant-scope.ts): the issuer, the adapter's organization (and with it
 * clients, grants, tokens, sessions and codes), accounts, cookie paths, the interaction URL and pages.
 * `customClaimNames` are every application's custom claims: the engine drops claims it does not list.
 */
export async function buildEngine(deps: OidcDeps, shape: EngineShape, customClaimNames: readonly string[] = []): Promise<Provider> {
  let jwks = await deps.keys.getSigningJwks();
  if (missingAlgorithms(jwks.keys).length > 0) {
    // The schema may have become current after start-up (migrations run while serving).
    await deps.keys.ensureActiveKey();
    jwks = await deps.keys.getSigningJwks();
  }
  const ttl = deps.ttl;

  const configuration: Configuration = {
    adapter: tenantAdapters(deps),
    jwks: jwks as Configuration['jwks'],
    findAccount: findAccountFor(deps),
    cookies: {
      keys: [...deps.config.cookieKeys],
      long: tenantCookieOptions(),
      short: tenantCookieOptions(),
    },
    routes: {
      authorization: '/auth/authorize',
      token: '/auth/token',
      introspection: '/auth/token/introspection',
      revocation: '/auth/token/revocation',
      userinfo: '/auth/userinfo',
      jwks: '/auth/jwks',
      end_session: '/auth/session/end',
      pushed_authorization_request: '/auth/par',
      registration: REGISTRATION_PATH,
      // RFC 8628: the user-code page (and its resume step, /auth/device/{uid}) and the device authorization endpoint.
      code_verification: '/auth/device',
      device_authorization: '/auth/device/auth',
    },
    interactions: {
      url: (_ctx, interaction) => `/${currentTenant().org.slug}/interaction/${interaction.uid}`,
      // Spec 60 §4: a live session signed in with one factor is not reused where a second one is now required.
      policy: interactionPolicyOf(deps),
    },
    // `urn:porta:acr:1fa` / `2fa` (docs/oidc.md#sign-in-strength-amr-acr-and-step-up); `acr_values` asks for step-up.
    acrValues: [...ACR_VALUES_SUPPORTED],
    scopes: [...SCOPES],
    claims: {
      // `acr` and `amr` in every ID token: what the sign-in used (RFC 8176), not only when a client asks.
      openid: ['sub', 'org_id', 'org_slug', 'roles', 'permissions', 'acr', 'amr', ...customClaimNames],
      profile: PROFILE_CLAIMS,
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      address: ['address'],
      // Every ID token of a browser session carries it (Client#includeSid below), so discovery lists it.
      sid: null,
    },
    responseTypes: ['code'],
    // Spec 60 §11: the languages of the pages (`locales/*.json`), picked by `ui_locales` first.
    discovery: { claim_types_supported: ['normal'], ui_locales_supported: deps.i18n.locales() },
    // Spec 70 §5: public clients always use PKCE; a confidential client only if registered so (the default).
    // The engine knows no method but S256.
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' || portaOf(client)?.require_pkce !== false },
    loadExistingGrant,
    // Spec 70 §5: private_key_jwt besides secrets; the engine accepts only the method a client registered.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      // Asymmetric only: no client_secret_jwt, so no client secret is ever a signing key.
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // OIDC Core §15.1: RS256 is what every relying party can verify; PS256 uses the same RSA key.
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: { properties: ['porta'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may only introspect its own tokens; others read as inactive.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      // Another client's token is left alone, answered like an unknown token (RFC 7009 §2.2).
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      requestObjects: { enabled: false },
      // Spec 70 §5: API resources of the client's application (RFC 8707), JWT access tokens (RFC 9068).
      // Without `resource`, an `openid` exchange still gets a token for userinfo (useGrantedResource: false).
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: resourceServerInfo(deps.applications, ttl),
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: logoutSource(deps),
        postLogoutSuccessSource: postLogoutSuccessSource(deps),
      },
      // RFC 7591/7592 where the organization turned it on (spec 70 §5).
      ...registrationFeatures(shape.isRegistrationEnabled),
      // Logout tokens to every client of an ended session with a backchannel_logout_uri (spec 70 §5).
      backchannelLogout: { enabled: true },
      // RFC 8628 per organization, with Porta's user-code pages (spec 70 §5).
      deviceFlow: deviceFlowFeature(deps),
    },
    ttl: {
      // A token for an API resource lives as long as the resource says (spec 70 §5).
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.get('access_token_ttl'),
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.get('access_token_ttl'),
      AuthorizationCode: () => ttl.get('authorization_code_ttl'),
      IdToken: () => ttl.get('id_token_ttl'),
      RefreshToken: () => ttl.get('refresh_token_ttl'),
      Grant: () => ttl.get('refresh_token_ttl'),
      Session: () => ttl.get('session_ttl'),
      Interaction: () => ttl.get('interaction_ttl'),
      DeviceCode: DEVICE_CODE_TTL_SECONDS,
    },
    rotateRefreshToken: true,
    // A client allowed the refresh_token grant gets a refresh token from the code flow, public SPAs and native
    // apps included (rotating, reuse revokes the grant), as relying-party libraries such as oidc-client-ts expect
    // with their defaults (spec 70 §5). Other grants (device) issue one when `offline_access` was granted.
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.kind === 'AuthorizationCode' || code.scopes.has('offline_access');
    },
    // Natural session expiry leaves grants and tokens alive (seed 001, point 2).
    expiresWithSession: async () => false,
    clientBasedCORS: (_ctx, origin, client) => isAllowedOrigin(origin, client.metadata()),
    renderError: renderError(deps),
    fetch: outboundFetch(deps.config.env),
    fetchResponseBodyLimits: { jwks_uri: CLIENT_JWKS_BODY_LIMIT },
    // Spec 70 §5: the granted scopes' claims go into the ID token too, unless the client asks for a minimal one
    // (findAccount's claims() decides per client).
    conformIdTokenClaims: false,
    // Custom claims flagged for access tokens, read at issuance and answered by introspection (spec 10 §4).
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const client = ctx?.oidc?.client ?? (token.clientId ? await provider.Client.find(token.clientId) : undefined);
      return accessTokenClaims(deps.access, token.accountId, applicationIdOf(client));
    },
  };

  // The constructor wants an issuer; the one in force is the scope's (below).
  const provider = new Provider(`${deps.config.issuerBaseUrl}/`, configuration);
  Object.defineProperty(provider, 'issuer', { enumerable: true, get: () => currentTenant().issuer });
  holdBuiltClients(provider);
  // Several active secrets per client, compared in constant time (spec 10 §6).
  const clients = deps.clients;
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(
    this: { clientAuthMethod: string },
    actual: string,
  ) {
    // The engine takes a secret in either place for both secret methods; the registered one is the only one
    // accepted (spec 70 §5): a client_secret_basic client sending client_secret_post is refused, and vice versa.
    const usedBasic = (Provider as unknown as { ctx?: { headers: Record<string, unknown> } }).ctx?.headers.authorization !== undefined;
    if (usedBasic !== (this.clientAuthMethod === 'client_secret_basic')) {
      throw new errors.InvalidClientAuth('the provided authentication mechanism does not match the registered client authentication method');
    }
    const porta = portaOf(this);
    if (!porta?.internal_id || typeof actual !== 'string') return false;
    return clients.verifySecret(porta.internal_id, actual);
  };
  // Spec 70 §5: `sid` in every ID token of a browser session, not only for back-channel logout clients; it is
  // the session's per-client id that logout tokens and id_token_hint checks compare.
  provider.Client.prototype.includeSid = () => true;
  mirrorSessions(provider, deps);
  installRegistration(provider);
  installBackchannelLogout(provider, deps.backchannelLogout);
  installDeviceFlow(provider, deps);
  if (deps.metrics.isEnabled) countIssuedTokens(provider, deps.metrics);
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    deps.log.error({ err, org: findTenant()?.org.slug, route: ctx.oidc?.route }, 'oidc.server_error');
  });
  return provider;
}

const TOKEN_TYPES = ['access_token', 'id_token', 'refresh_token'] as const;

/** Every successful token response, by grant type and the kinds of token its body carries. */
function countIssuedTokens(provider: Provider, metrics: OidcDeps['metrics']): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const body = ctx.body as Record<string, unknown> | undefined;
    metrics.tokensIssued(String(ctx.oidc.params?.grant_type), TOKEN_TYPES.filter((type) => typeof body?.[type] === 'string'));
  });
}

function isAllowedOrigin(origin: string, metadata: Record<string, unknown>): boolean {
  const porta = metadata.porta as { allowed_origins?: string[] } | undefined;
  if (porta?.allowed_origins?.includes(origin)) return true;
  const redirects = (metadata.redirect_uris as string[] | undefined) ?? [];
  return redirects.some((uri) => {
    try {
      return new URL(uri).origin === origin;
    } catch {
      return false;
    }
  });
}

export { errors };
