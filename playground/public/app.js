// The SPA playground: authorization code + PKCE as a public client, entirely in the browser.
import { createKeySet, discover, pkceChallenge, randomToken, validateIdToken } from './oidc.js';

// sessionStorage: per tab, gone when the tab closes; never localStorage for tokens.
const PENDING = 'porta-playground.pending';
const TOKENS = 'porta-playground.tokens';
const LOGOUT_STATE = 'porta-playground.logout-state';

const $ = (id) => document.getElementById(id);

function readJson(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function show(id, isShown) {
  $(id).hidden = !isShown;
}

function fail(message) {
  $('error').textContent = message;
  show('error', true);
}

async function start() {
  const config = await (await fetch('/config.json')).json();
  $('issuer').textContent = `Issuer: ${config.issuer}`;
  if (location.origin !== new URL(config.redirectUri).origin) {
    // PKCE verifier and state live in this origin's sessionStorage; the callback must come back here.
    $('status').textContent = `Open this page at ${new URL(config.redirectUri).origin} (the registered redirect URI's origin).`;
    return;
  }
  const metadata = await discover(config.issuer);
  const keys = createKeySet(metadata.jwks_uri);
  $('login').addEventListener('click', () => login(config, metadata).catch((err) => fail(err.message)));
  $('logout').addEventListener('click', () => logout(config, metadata));
  let isSignedOut = false;
  try {
    if (location.pathname === '/callback') await completeLogin(config, metadata, keys);
    else if (location.pathname === '/logged-out') isSignedOut = checkLogoutState();
  } catch (err) {
    fail(err.message);
  }
  await render(metadata, isSignedOut);
}

async function login(config, metadata) {
  const pending = { verifier: randomToken(32), state: randomToken(16), nonce: randomToken(16) };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await pkceChallenge(pending.verifier),
    code_challenge_method: 'S256',
    ...(config.loginHint ? { login_hint: config.loginHint } : {}),
  });
  location.assign(url);
}

async function completeLogin(config, metadata, keys) {
  const params = new URLSearchParams(location.search);
  const pending = readJson(PENDING);
  sessionStorage.removeItem(PENDING);
  // The code is single-use and must not stay in the address bar or history.
  history.replaceState(null, '', '/');
  if (!pending || params.get('state') !== pending.state) return fail('The response does not belong to a sign-in started here (state mismatch).');
  if (params.has('iss') && params.get('iss') !== metadata.issuer) return fail('The response comes from another issuer (RFC 9207).');
  if (params.has('error')) return fail(`Sign-in failed: ${params.get('error')}`);
  const res = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: config.redirectUri,
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await res.json();
  if (!res.ok) return fail(`Token request failed: ${tokens.error ?? res.status}`);
  const claims = await validateIdToken(tokens.id_token, {
    issuer: metadata.issuer,
    clientId: config.clientId,
    nonce: pending.nonce,
    jwks: await keys.forToken(tokens.id_token),
  });
  sessionStorage.setItem(TOKENS, JSON.stringify({ idToken: tokens.id_token, accessToken: tokens.access_token, claims }));
}

/**
 * Seed 001: keep the ID token before clearing storage and send it as id_token_hint, so Porta knows the
 * session and signs out without asking for confirmation.
 */
function logout(config, metadata) {
  const idToken = readJson(TOKENS)?.idToken;
  sessionStorage.clear();
  const state = randomToken(16);
  sessionStorage.setItem(LOGOUT_STATE, state);
  const url = new URL(metadata.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    post_logout_redirect_uri: config.postLogoutRedirectUri,
    state,
    ...(idToken ? { id_token_hint: idToken } : {}),
  });
  location.assign(url);
}

/** True when Porta sent us back with the state our sign-out carried. */
function checkLogoutState() {
  const expected = sessionStorage.getItem(LOGOUT_STATE);
  sessionStorage.removeItem(LOGOUT_STATE);
  const isExpected = Boolean(expected) && new URLSearchParams(location.search).get('state') === expected;
  if (!isExpected) fail('Back from sign-out with an unexpected state.');
  return isExpected;
}

async function render(metadata, isSignedOut) {
  const saved = readJson(TOKENS);
  show('login', !saved);
  show('logout', Boolean(saved));
  show('claims', Boolean(saved));
  show('userinfo', Boolean(saved));
  if (!saved) {
    $('status').textContent = isSignedOut ? 'You are signed out.' : 'Not signed in.';
    return;
  }
  $('status').textContent = `Signed in as ${saved.claims.sub}.`;
  $('claims-rows').replaceChildren(
    ...Object.entries(saved.claims).map(([name, value]) => {
      const row = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = name;
      const td = document.createElement('td');
      td.dataset.claim = name;
      td.textContent = typeof value === 'string' ? value : JSON.stringify(value);
      row.append(th, td);
      return row;
    }),
  );
  const res = await fetch(metadata.userinfo_endpoint, { headers: { authorization: `Bearer ${saved.accessToken}` } });
  $('userinfo-json').textContent = res.ok ? JSON.stringify(await res.json(), null, 2) : `UserInfo failed: HTTP ${res.status}`;
}

start().catch((err) => fail(err.message));
