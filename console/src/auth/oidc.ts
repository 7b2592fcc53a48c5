/**
 * Sign-in for the console (spec 70 §3): authorization code + PKCE with the public client
 * `porta-admin-console` of the admin organization. Tokens live in this module's memory only, never in
 * localStorage or sessionStorage; a reload signs in again through the issuer's session. Only the PKCE
 * verifier and state cross the redirect in sessionStorage, and are removed as soon as the code comes back.
 */
export const CLIENT_ID = 'porta-admin-console';
const SCOPE = 'openid profile email offline_access';
const PENDING_KEY = 'porta-admin-console:sign-in';
/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;
/** The `state` the issuer hands back to the post-logout redirect. */
export const SIGNED_OUT_STATE = 'signed-out';

interface Metadata {
  issuer: string;
  orgSlug: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
}

interface Tokens {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  /** Epoch ms. */
  expiresAt: number;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

export class SignInError extends Error {}

let metadata: Promise<Metadata> | null = null;
let tokens: Tokens | null = null;
let refreshing: Promise<Tokens> | null = null;
const endedListeners = new Set<() => void>();

function loadMetadata(): Promise<Metadata> {
  metadata ??= fetch('/api/admin/metadata', { headers: { Accept: 'application/json' } }).then(async (res) => {
    if (!res.ok) {
      metadata = null;
      const body = (await res.json().catch(() => null)) as { message?: string } | null;
      throw new SignInError(body?.message ?? `Porta answered ${res.status} to /api/admin/metadata.`);
    }
    return (await res.json()) as Metadata;
  });
  return metadata;
}

/** ISSUER_BASE_URL, as the server derives the console's redirect URIs from it. */
function baseUrlOf(meta: Metadata): string {
  return meta.issuer.slice(0, meta.issuer.length - meta.orgSlug.length - 1);
}

export async function consoleUrls(): Promise<{ redirectUri: string; postLogoutRedirectUri: string }> {
  const base = baseUrlOf(await loadMetadata());
  return { redirectUri: `${base}/admin/callback`, postLogoutRedirectUri: `${base}/admin` };
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(data: Uint8Array): string {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function challengeOf(verifier: string): Promise<string> {
  if (!crypto.subtle) throw new SignInError('The console needs a secure context: open it over https (or on localhost).');
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Sends the browser to the issuer's sign-in; back at /admin/callback, `completeSignIn` takes over. */
export async function beginSignIn(returnTo: string): Promise<never> {
  const meta = await loadMetadata();
  const { redirectUri } = await consoleUrls();
  const pending: PendingSignIn = { state: randomString(16), verifier: randomString(48), returnTo };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: SCOPE,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
  return new Promise<never>(() => undefined);
}

async function tokenRequest(form: Record<string, string>): Promise<Tokens> {
  const meta = await loadMetadata();
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...form }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new SignInError(typeof body.error_description === 'string' ? body.error_description : `The token endpoint answered ${res.status}.`);
  }
  return {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
    idToken: typeof body.id_token === 'string' ? body.id_token : (tokens?.idToken ?? null),
    expiresAt: Date.now() + (typeof body.expires_in === 'number' ? body.expires_in : 300) * 1000,
  };
}

/** The issuer sent the browser back with `code` and `state`: redeem them. Returns where to go next. */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
  const error = params.get('error');
  if (error) throw new SignInError(params.get('error_description') ?? `Sign-in failed: ${error}.`);
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state) {
    throw new SignInError('This sign-in link is stale or was opened in another tab. Sign in again.');
  }
  const { redirectUri } = await consoleUrls();
  tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pending.verifier });
  return pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//') ? pending.returnTo : '/';
}

export const isSignedIn = (): boolean => tokens !== null;

/**
 * A fresh access token for the next request, refreshed first when it expires soon (or when `force`, after a
 * 401). The rotating refresh token is spent once: concurrent callers share one refresh.
 */
export async function accessToken(force = false): Promise<string> {
  if (!tokens) throw new SignInError('Not signed in.');
  if (!force && tokens.expiresAt - EARLY_MS > Date.now()) return tokens.accessToken;
  const spent = tokens;
  refreshing ??= (async () => {
    try {
      if (!spent.refreshToken) throw new SignInError('The session has no refresh token.');
      tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: spent.refreshToken });
      return tokens;
    } catch (err) {
      tokens = null;
      for (const listener of endedListeners) listener();
      throw err;
    } finally {
      refreshing = null;
    }
  })();
  return (await refreshing).accessToken;
}

/** Called when the session cannot be renewed (refresh refused): the console asks to sign in again. */
export function onSessionEnded(listener: () => void): () => void {
  endedListeners.add(listener);
  return () => endedListeners.delete(listener);
}

/**
 * Signs out at the issuer: revokes the refresh token (which ends the grant and its access tokens), forgets
 * the tokens, then ends the browser session at the issuer's end-session endpoint, which comes back to
 * /admin with `state=signed-out`.
 */
export async function signOut(): Promise<never> {
  const meta = await loadMetadata();
  const { postLogoutRedirectUri } = await consoleUrls();
  const ending = tokens;
  tokens = null;
  const revoke = ending?.refreshToken ?? ending?.accessToken;
  if (revoke) {
    await fetch(`${meta.issuer}/auth/token/revocation`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, token: revoke, token_type_hint: ending?.refreshToken ? 'refresh_token' : 'access_token' }).toString(),
    }).catch(() => undefined);
  }
  const url = new URL(meta.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    post_logout_redirect_uri: postLogoutRedirectUri,
    state: SIGNED_OUT_STATE,
    ...(ending?.idToken ? { id_token_hint: ending.idToken } : {}),
  }).toString();
  window.location.assign(url.toString());
  return new Promise<never>(() => undefined);
}
