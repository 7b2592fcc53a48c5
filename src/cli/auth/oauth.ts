import { createHash, randomBytes } from 'node:crypto';
import { CliError, EXIT } from '../context.js';
import { send } from '../api/client.js';

/** `GET /api/admin/metadata` (spec 20 §2). */
export interface AdminMetadata {
  issuer: string;
  orgSlug: string;
  clientId: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  expiresAt: string;
}

export const LOGIN_SCOPE = 'openid profile email offline_access';

export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--server must be an http(s) URL, not "${url}"`, EXIT.usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--server must be an http(s) URL, not "${url}"`, EXIT.usage);
  return parsed.toString().replace(/\/+$/, '');
}

async function jsonOf(res: Response): Promise<Record<string, unknown> | null> {
  const text = await res.text();
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function fetchMetadata(server: string): Promise<AdminMetadata> {
  const res = await send(`${server}/api/admin/metadata`);
  const body = await jsonOf(res);
  if (res.status === 503 && body?.error === 'not_initialized') {
    throw new CliError(`Porta at ${server} is not initialised yet: run \`porta init\` on the server first.`, EXIT.runtime, body);
  }
  if (!res.ok || typeof body?.token_endpoint !== 'string' || typeof body.authorization_endpoint !== 'string') {
    const detail = typeof body?.message === 'string' ? `: ${body.message}` : '';
    throw new CliError(`${server} did not answer as a Porta server (GET /api/admin/metadata → ${res.status})${detail}`, EXIT.runtime, body ?? undefined);
  }
  return body as unknown as AdminMetadata;
}

/** The issuer's discovery document (userinfo and revocation endpoints are not in the admin metadata). */
export async function fetchDiscovery(issuer: string): Promise<Record<string, unknown>> {
  const res = await send(`${issuer}/.well-known/openid-configuration`);
  const body = await jsonOf(res);
  if (!res.ok || !body) throw new CliError(`${issuer} has no readable discovery document (${res.status}).`, EXIT.runtime);
  return body;
}

export interface Pkce {
  verifier: string;
  challenge: string;
  state: string;
  nonce: string;
}

export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return {
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
  };
}

export function authorizationUrl(metadata: AdminMetadata, clientId: string, redirectUri: string, pkce: Pkce): string {
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: LOGIN_SCOPE,
    prompt: 'login consent',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: pkce.state,
    nonce: pkce.nonce,
  }).toString();
  return url.toString();
}

/** The code of a callback URL, after checking its state; an error answer ends the login (exit 3). */
export function codeFromCallback(callback: string, expectedState: string): string {
  let url: URL;
  try {
    url = new URL(callback.trim());
  } catch {
    throw new CliError('That is not a URL: paste the whole address your browser was sent to (it starts with http://127.0.0.1/callback?).', EXIT.usage);
  }
  const error = url.searchParams.get('error');
  if (error) {
    const description = url.searchParams.get('error_description');
    throw new CliError(`Login was not completed: ${error}${description ? ` (${description})` : ''}`, EXIT.auth);
  }
  if (url.searchParams.get('state') !== expectedState) throw new CliError('The callback does not belong to this login (state mismatch): start `porta login` again.', EXIT.auth);
  const code = url.searchParams.get('code');
  if (!code) throw new CliError('The callback URL carries no authorization code.', EXIT.auth);
  return code;
}

async function tokenRequest(tokenEndpoint: string, params: Record<string, string>, now: number): Promise<TokenSet> {
  const res = await send(tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(params).toString(),
  });
  const body = await jsonOf(res);
  if (!res.ok || typeof body?.access_token !== 'string') {
    const error = typeof body?.error === 'string' ? body.error : `status ${res.status}`;
    const description = typeof body?.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new CliError(`The token endpoint refused the request (${error}${description}).`, EXIT.auth, { error: 'token_request_failed', message: `${error}${description}` });
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
    idToken: typeof body.id_token === 'string' ? body.id_token : null,
    expiresAt: new Date(now + expiresIn * 1000).toISOString(),
  };
}

/** Authorization code + PKCE for the public CLI client (token endpoint auth `none`). */
export function exchangeCode(tokenEndpoint: string, input: { clientId: string; code: string; redirectUri: string; verifier: string }, now = Date.now()): Promise<TokenSet> {
  return tokenRequest(tokenEndpoint, {
    grant_type: 'authorization_code',
    client_id: input.clientId,
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.verifier,
  }, now);
}

export function refreshTokens(tokenEndpoint: string, clientId: string, refreshToken: string, now = Date.now()): Promise<TokenSet> {
  return tokenRequest(tokenEndpoint, { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }, now);
}

/** RFC 7009 revocation; best effort, so it reports instead of throwing. */
export async function revokeToken(revocationEndpoint: string, clientId: string, token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean> {
  try {
    const res = await send(revocationEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: hint, client_id: clientId }).toString(),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export async function fetchUserinfo(userinfoEndpoint: string, accessToken: string): Promise<Record<string, unknown>> {
  const res = await send(userinfoEndpoint, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  const body = await jsonOf(res);
  if (res.status === 401) throw new CliError('The stored token is no longer accepted: run `porta login`.', EXIT.auth, { error: 'unauthorized', message: 'token rejected by userinfo' });
  if (!res.ok || !body) throw new CliError(`userinfo answered ${res.status}.`, EXIT.runtime);
  return body;
}

/**
 * The payload of a JWT without checking its signature: the ID token comes straight from the token
 * endpoint over the connection the CLI opened (OIDC Core §3.1.3.7, point 6), and is used for its claims only.
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | null {
  const part = jwt.split('.')[1];
  if (!part) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
