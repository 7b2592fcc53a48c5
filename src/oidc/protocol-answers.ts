import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { withFormActions } from '../pages/index.js';

type Oidc = KoaContextWithOIDC['oidc'];
interface OAuthError {
  error?: unknown;
  error_description?: unknown;
}

/** Endpoints that authenticate the client (RFC 6749 §2.3), whose failures are RFC 6749 §5.2 `invalid_client`. */
const CLIENT_AUTH_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request', 'device_authorization']);
const CLIENT_CREDENTIAL_PARAMS = ['client_id', 'client_secret', 'client_assertion'];

/**
 * The engine's answer, adjusted where it departs from the RFCs that relying-party libraries check with
 * their default settings. Runs after the engine has answered; reads what it left in `ctx.oidc`.
 */
export function conformAnswer(ctx: Context): void {
  const oidc = (ctx as unknown as { oidc?: Oidc }).oidc;
  const route = oidc?.route;
  if (!oidc || !route) return;
  if (route === 'authorization' || route === 'resume') allowFormPostTarget(ctx, oidc);
  if (route === 'token') {
    // RFC 6749 §5.1: token responses are never cached, by HTTP/1.1 and HTTP/1.0 caches alike.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    refuseGrantTypeAsUnauthorized(ctx, oidc);
  }
  if (route === 'introspection') answerStructuredTokenAsInactive(ctx);
  if (route === 'revocation') answerRevocationAsJson(ctx);
  if (CLIENT_AUTH_ROUTES.has(route)) challengeClient(ctx, oidc);
}

function errorOf(ctx: Context): OAuthError | undefined {
  const body = ctx.body as unknown;
  return body !== null && typeof body === 'object' && 'error' in body ? (body as OAuthError) : undefined;
}

/**
 * OAuth 2.0 Form Post Response Mode: the engine's auto-submit page posts the response to the client's
 * redirect URI, which the page policy (`form-action 'self'`) would block. That page, and only it, may
 * post to the origin of the redirect URI the engine validated for this request.
 */
function allowFormPostTarget(ctx: Context, oidc: Oidc): void {
  if (!ctx.response.is('html')) return;
  const params = (oidc.params ?? {}) as Record<string, unknown>;
  const redirectUri = params.redirect_uri;
  if (params.response_mode !== 'form_post' || typeof redirectUri !== 'string' || !oidc.client?.redirectUriAllowed(redirectUri)) return;
  const policy = String(ctx.response.get('Content-Security-Policy') ?? '');
  // The auto-submit page is the engine's one page with an inline script, whose hash it added to the policy.
  if (!policy.includes("'sha256-")) return;
  const { origin, protocol } = new URL(redirectUri);
  if (protocol !== 'https:' && protocol !== 'http:') return;
  ctx.set('Content-Security-Policy', withFormActions(policy, [origin]));
}

/** RFC 6749 §5.2: a grant type the server supports but this client may not use is `unauthorized_client`. */
function refuseGrantTypeAsUnauthorized(ctx: Context, oidc: Oidc): void {
  const error = errorOf(ctx);
  const grantType = (oidc.params as Record<string, unknown> | undefined)?.grant_type;
  if (error?.error !== 'invalid_request' || !oidc.client || typeof grantType !== 'string') return;
  // The engine checks the grant type right after authenticating the client; an unsupported one is unsupported_grant_type.
  if (oidc.client.grantTypeAllowed(grantType)) return;
  ctx.body = { error: 'unauthorized_client', error_description: 'the client is not allowed to use this grant type' };
}

/**
 * RFC 7662 §2.2: a token the server cannot introspect (an ID token, any JWT, one it did not issue) is
 * `{"active":false}`; the engine refuses JWTs with `unsupported_token_type`, after authenticating the client.
 */
function answerStructuredTokenAsInactive(ctx: Context): void {
  if (ctx.status !== 400 || errorOf(ctx)?.error !== 'unsupported_token_type') return;
  ctx.status = 200;
  ctx.body = { active: false };
}

/** RFC 7009 §2.2: 200 with an empty body, which relying parties parse as JSON: `{}`. */
function answerRevocationAsJson(ctx: Context): void {
  if (ctx.status === 200 && (ctx.body === '' || ctx.body == null)) ctx.body = {};
}

/**
 * RFC 6749 §5.2: missing client authentication is `invalid_client` like a failed one (the engine says
 * `invalid_request`), answered 401 with a challenge (RFC 9110 §15.5.2); the engine sends one only when
 * the client used the Authorization header. The challenge names Basic, which every secret-based client
 * may use at these endpoints.
 */
function challengeClient(ctx: Context, oidc: Oidc): void {
  const error = errorOf(ctx);
  if (!error) return;
  if (error.error === 'invalid_request' && presentsNoClientCredentials(ctx, oidc)) {
    ctx.status = 401;
    ctx.body = { error: 'invalid_client', error_description: 'client authentication is required' };
  }
  if (ctx.status !== 401 || errorOf(ctx)?.error !== 'invalid_client' || ctx.response.headers['www-authenticate'] !== undefined) return;
  const description = String(errorOf(ctx)?.error_description ?? '');
  ctx.set('WWW-Authenticate', `Basic realm="${quoted(oidc.provider.issuer)}", error="invalid_client", error_description="${quoted(description)}"`);
}

/** The request was read, and names no client at all: no Authorization header, no client_id, secret or assertion. */
function presentsNoClientCredentials(ctx: Context, oidc: Oidc): boolean {
  const params = oidc.params as Record<string, unknown> | undefined;
  if (!params || oidc.client || ctx.get('Authorization') !== '') return false;
  return CLIENT_CREDENTIAL_PARAMS.every((name) => params[name] === undefined);
}

function quoted(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
