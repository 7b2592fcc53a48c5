// Server-side calls to Porta as a confidential client (client_secret_basic).
import { createKeySet, discover, pkceChallenge, randomToken, validateIdToken } from '../playground/public/oidc.js';

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicAuth(clientId, clientSecret) {
  const encode = (v) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export function createProviderClient({ issuer, clientId, clientSecret, redirectUri, postLogoutRedirectUri, scope }) {
  let metadata;
  let keys;
  const authorization = basicAuth(clientId, clientSecret);

  /** Discovery on first use (and again after a failure), so the BFF may start before Porta. */
  async function provider() {
    if (!metadata) {
      metadata = await discover(issuer);
      keys = createKeySet(metadata.jwks_uri);
    }
    return metadata;
  }

  async function post(endpoint, params) {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : {};
    if (!res.ok) throw new Error(`${new URL(endpoint).pathname}: ${body.error ?? `HTTP ${res.status}`}`);
    return body;
  }

  async function idTokenClaims(idToken, nonce) {
    const m = await provider();
    return validateIdToken(idToken, { issuer: m.issuer, clientId, nonce, jwks: await keys.forToken(idToken) });
  }

  return {
    /** A new sign-in: the URL to send the browser to, and what the callback must check. */
    async startSignIn() {
      const m = await provider();
      const pending = { state: randomToken(16), nonce: randomToken(16), verifier: randomToken(32) };
      const url = new URL(m.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await pkceChallenge(pending.verifier),
        code_challenge_method: 'S256',
      });
      return { url: url.toString(), pending };
    },

    /** Checks the callback against `pending`, redeems the code and validates the ID token. */
    async completeSignIn(callbackParams, pending) {
      const m = await provider();
      if (!pending || callbackParams.get('state') !== pending.state) throw new Error('state mismatch: this callback does not belong to a sign-in started here');
      if (callbackParams.has('iss') && callbackParams.get('iss') !== m.issuer) throw new Error('the response comes from another issuer (RFC 9207)');
      if (callbackParams.has('error')) throw new Error(`sign-in failed: ${callbackParams.get('error')}`);
      const tokens = await post(m.token_endpoint, {
        grant_type: 'authorization_code',
        code: callbackParams.get('code') ?? '',
        redirect_uri: redirectUri,
        code_verifier: pending.verifier,
      });
      return { tokens, claims: await idTokenClaims(tokens.id_token, pending.nonce) };
    },

    /** Refresh-token grant; Porta rotates the refresh token, so the new one replaces the old. */
    async refresh(refreshToken) {
      const m = await provider();
      const tokens = await post(m.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken });
      return { tokens, claims: tokens.id_token ? await idTokenClaims(tokens.id_token, undefined) : undefined };
    },

    async userinfo(accessToken) {
      const m = await provider();
      const res = await fetch(m.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
      if (!res.ok) throw new Error(`userinfo: HTTP ${res.status}`);
      return res.json();
    },

    /** RFC 7009; answers 200 for unknown or already revoked tokens too. */
    async revoke(token, hint) {
      const m = await provider();
      await post(m.revocation_endpoint, { token, token_type_hint: hint });
    },

    async endSessionUrl({ idToken, state }) {
      const m = await provider();
      const url = new URL(m.end_session_endpoint);
      url.search = new URLSearchParams({ post_logout_redirect_uri: postLogoutRedirectUri, state, client_id: clientId, ...(idToken ? { id_token_hint: idToken } : {}) });
      return url.toString();
    },
  };
}
