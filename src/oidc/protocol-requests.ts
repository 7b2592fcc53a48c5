import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { formFields } from '../pages/index.js';
import { renderErrorPage } from './pages.js';
import { SCOPES } from './provider.js';
import type { OidcDeps, Organization } from './types.js';

/** Endpoints a relying party may also reach with a form POST (OIDC Core §3.1.2.1, RP-Initiated Logout 1.0 §2). */
const FORM_POST_ENDPOINTS = new Set(['/auth/authorize', '/auth/session/end']);
/** Longest query such a POST may turn into: proxies commonly refuse request lines past 8 KB. */
const MAX_QUERY_LENGTH = 8 * 1024;
const KNOWN_SCOPES: ReadonlySet<string> = new Set(SCOPES);

/** An engine endpoint path as its router matches it: case and a trailing slash do not matter. */
export function endpointOf(rest: string): string {
  return rest.toLowerCase().replace(/\/+$/, '');
}

export function isFormPostEndpoint(ctx: Context, endpoint: string): boolean {
  return ctx.method === 'POST' && FORM_POST_ENDPOINTS.has(endpoint);
}

/**
 * Answers a form POST to the authorization or end-session endpoint with 303 to the same endpoint, the
 * form's fields (all of them, repeated ones included) as its query. The browser session cookie is
 * SameSite=Lax: a browser sends it with the GET that follows the redirect but not with a relying party's
 * cross-site POST, so the engine sees the request exactly as if it had come as a GET, session included.
 */
export async function redirectFormPost(ctx: Context, deps: OidcDeps, endpoint: string): Promise<void> {
  const org = ctx.state.org as Organization;
  const query = new URLSearchParams(await formFields(ctx)).toString();
  if (query.length > MAX_QUERY_LENGTH) return renderErrorPage(ctx, deps, org, 'errors.generic', 400, 'invalid_request');
  ctx.status = 303;
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(`${deps.config.issuerBaseUrl}/${org.slug}${endpoint}${query === '' ? '' : `?${query}`}`);
}

/**
 * RFC 6749 §3.3: the scopes a client is not registered for are left out of its authorization request
 * (GET, or pushed with PAR) instead of failing it, so a relying party asking for its library's default
 * scopes still signs in (a device authorization request likewise); the token response's `scope` then
 * names what was granted. Unknown scope values are the engine's to ignore (OIDC Core §3.1.2.1).
 */
export async function narrowRequestedScope(ctx: Context, provider: Provider, endpoint: string): Promise<void> {
  if (endpoint === '/auth/authorize' && ctx.method === 'GET') {
    const query = new URLSearchParams(ctx.querystring);
    if (await narrowScope(query, provider)) ctx.querystring = query.toString();
  } else if ((endpoint === '/auth/par' || endpoint === '/auth/device/auth') && ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(await formFields(ctx));
    // The engine reads the body from here (handOverBody); its length is recounted there.
    if (await narrowScope(form, provider)) ctx.req.body = Buffer.from(form.toString());
  }
}

async function narrowScope(params: URLSearchParams, provider: Provider): Promise<boolean> {
  const clientIds = params.getAll('client_id');
  const scopes = params.getAll('scope');
  // Repeated parameters are the engine's to refuse, untouched.
  if (clientIds.length !== 1 || scopes.length !== 1) return false;
  let registered: string | undefined;
  try {
    registered = (await provider.Client.find(clientIds[0]!))?.scope;
  } catch {
    return false;
  }
  if (registered === undefined) return false;
  const allowed = new Set(registered.split(' '));
  const requested = scopes[0]!.split(' ');
  const kept = requested.filter((scope) => !KNOWN_SCOPES.has(scope) || allowed.has(scope));
  if (kept.length === requested.length) return false;
  if (kept.length === 0) params.delete('scope');
  else params.set('scope', kept.join(' '));
  return true;
}
