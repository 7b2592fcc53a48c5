import Provider, { type Configuration, type KoaContextWithOIDC, errors } from 'oidc-provider';
import { createAdapterFactory } from './adapter.js';
import { toEngineMetadata } from '../clients/index.js';
import { findAccountFor } from './account.js';
import { accessTokenClaims, applicationIdOf } from './rbac-claims.js';
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.js';
import type { OidcDeps, Organization } from './types.js';
import { mirrorSessions } from './session-mirror.js';

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
  if (jwks.keys.length === 0) {
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
    },
    interactions: { url: (_ctx, interaction) => `/${org.slug}/interaction/${interaction.uid}` },
    scopes: [...SCOPES],
    claims: {
      openid: ['sub', 'org_id', 'org_slug', 'roles', 'permissions', ...customClaimNames],
      profile: PROFILE_CLAIMS,
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      address: ['address'],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
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
      pushedAuthorizationRequests: { enabled: true },
      requestObjects: { enabled: false },
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: logoutSource(deps, org),
        postLogoutSuccessSource: postLogoutSuccessSource(deps, org),
      },
    },
    ttl: {
      AccessToken: () => ttl.get('access_token_ttl'),
      ClientCredentials: () => ttl.get('access_token_ttl'),
      AuthorizationCode: () => ttl.get('authorization_code_ttl'),
      IdToken: () => ttl.get('id_token_ttl'),
      RefreshToken: () => ttl.get('refresh_token_ttl'),
      Grant: () => ttl.get('refresh_token_ttl'),
      Session: () => ttl.get('session_ttl'),
      Interaction: () => ttl.get('interaction_ttl'),
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.scopes.has('offline_access') || (client.applicationType === 'web' && client.clientAuthMethod !== 'none');
    },
    // Natural session expiry leaves grants and tokens alive (seed 001, point 2).
    expiresWithSession: async () => false,
    clientBasedCORS: (_ctx, origin, client) => isAllowedOrigin(origin, client.metadata()),
    renderError: renderError(deps, org),
    conformIdTokenClaims: true,
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
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { metadata(): Record<string, unknown> }, actual: string) {
    const porta = this.metadata().porta as { internal_id?: string } | undefined;
    if (!porta?.internal_id || typeof actual !== 'string') return false;
    return clients.verifySecret(porta.internal_id, actual);
  };
  mirrorSessions(provider, deps, org);
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
