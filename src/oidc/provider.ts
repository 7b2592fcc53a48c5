import Provider, { type Configuration, type KoaContextWithOIDC, errors } from 'oidc-provider';
import { createAdapterFactory } from './adapter.js';
import { toEngineMetadata } from '../clients/index.js';
import { missingAlgorithms } from '../keys/index.js';
import { findAccountFor } from './account.js';
import { accessTokenClaims, applicationIdOf } from './rbac-claims.js';
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.js';
import type { OidcDeps, Organization } from './types.js';
import { mirrorSessions } from './session-mirror.js';
import { installBackchannelLogout } from './backchannel-logout.js';
import { loadExistingGrant } from './grants.js';
import { CLIENT_JWKS_BODY_LIMIT, outboundFetch } from './outbound-fetch.js';
import { resourceServerInfo } from './resources.js';
import { REGISTRATION_PATH, installRegistration, registrationFeatures, registrationStore } from './registration.js';
import { DEVICE_CODE_TTL_SECONDS, deviceFlowFeature, installDeviceFlow } from './device-flow.js';

export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'address', 'phone'] as const;

const PROFILE_CLAIMS = [
  'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
  'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
];

/**
 * Builds the engine for one organization: its own issuer, adapter scope, cookie path and clients.
 * `customClaimNames` are every application's custom claims: the engine drops claims it does not list.
 */
export async function buildProvider(deps: OidcDeps, org: Organization, customClaimNames: readonly string[] = []): Promise<Provider> {
  const issuer = `${deps.config.issuerBaseUrl}/${org.slug}`;
  let jwks = await deps.keys.getSigningJwks();
  if (missingAlgorithms(jwks.keys).length > 0) {
    // The schema may have become current after start-up (migrations run while serving).
    await deps.keys.ensureActiveKey();
    jwks = await deps.keys.getSigningJwks();
  }
  const adapter = createAdapterFactory({
    db: deps.db,
    kv: deps.kv,
    log: deps.log,
    clock: deps.clock,
    organizationId: org.id,
    mirror: deps.sessions,
    findClient: async (clientId: string) => {
      const client = await deps.clients.findByClientId(org.id, clientId);
      if (!client || client.status !== 'active') return undefined;
      // Spec 20 §5.3: clients of an inactive or archived application fail with invalid_client.
      const application = await deps.applications.findByIdOrSlug(client.applicationId);
      return application?.status === 'active' ? toEngineMetadata(client) : undefined;
    },
    // Dynamic registration (spec 70 §5): initial access tokens from Porta's store, client writes through the clients domain.
    ...registrationStore(deps, org),
  });
  const ttl = deps.ttl;

  const configuration: Configuration = {
    adapter,
    jwks: jwks as Configuration['jwks'],
    findAccount: findAccountFor(deps, org),
    cookies: {
      keys: [...deps.config.cookieKeys],
      // Cookies stay under /{org}: organizations never share a browser session.
      long: { httpOnly: true, sameSite: 'lax', path: `/${org.slug}` },
      short: { httpOnly: true, sameSite: 'lax', path: `/${org.slug}` },
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
    interactions: { url: (_ctx, interaction) => `/${org.slug}/interaction/${interaction.uid}` },
    scopes: [...SCOPES],
    claims: {
      openid: ['sub', 'org_id', 'org_slug', 'roles', 'permissions', ...customClaimNames],
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
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' || (client.metadata().porta as { require_pkce?: boolean } | undefined)?.require_pkce !== false },
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
        logoutSource: logoutSource(deps, org),
        postLogoutSuccessSource: postLogoutSuccessSource(deps, org),
      },
      // RFC 7591/7592 where the organization turned it on (spec 70 §5).
      ...registrationFeatures(org),
      // Logout tokens to every client of an ended session with a backchannel_logout_uri (spec 70 §5).
      backchannelLogout: { enabled: true },
      // RFC 8628 per organization, with Porta's user-code pages (spec 70 §5).
      deviceFlow: deviceFlowFeature(deps, org),
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
    renderError: renderError(deps, org),
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

  const provider = new Provider(issuer, configuration);
  // Several active secrets per client, compared in constant time (spec 10 §6).
  const clients = deps.clients;
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(
    this: { metadata(): Record<string, unknown>; clientAuthMethod: string },
    actual: string,
  ) {
    // The engine takes a secret in either place for both secret methods; the registered one is the only one
    // accepted (spec 70 §5): a client_secret_basic client sending client_secret_post is refused, and vice versa.
    const usedBasic = (Provider as unknown as { ctx?: { headers: Record<string, unknown> } }).ctx?.headers.authorization !== undefined;
    if (usedBasic !== (this.clientAuthMethod === 'client_secret_basic')) {
      throw new errors.InvalidClientAuth('the provided authentication mechanism does not match the registered client authentication method');
    }
    const porta = this.metadata().porta as { internal_id?: string } | undefined;
    if (!porta?.internal_id || typeof actual !== 'string') return false;
    return clients.verifySecret(porta.internal_id, actual);
  };
  // Spec 70 §5: `sid` in every ID token of a browser session, not only for back-channel logout clients; it is
  // the session's per-client id that logout tokens and id_token_hint checks compare.
  provider.Client.prototype.includeSid = () => true;
  mirrorSessions(provider, deps, org);
  installRegistration(provider);
  installBackchannelLogout(provider, deps.backchannelLogout, org.id);
  installDeviceFlow(provider, deps, org);
  if (deps.metrics.isEnabled) countIssuedTokens(provider, deps.metrics);
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    deps.log.error({ err, org: org.slug, route: ctx.oidc?.route }, 'oidc.server_error');
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
