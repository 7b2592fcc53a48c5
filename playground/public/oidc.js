// OpenID Connect helpers for the playgrounds. Plain ES module on WebCrypto, so the same file runs in
// browsers (the SPA) and in Node.js 20+ (the BFF imports it).

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function base64url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `bytes` random bytes, base64url: 32 bytes make a 43-character PKCE verifier (RFC 7636 §4.1). */
export function randomToken(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** RFC 7636 S256: BASE64URL(SHA-256(verifier)). */
export async function pkceChallenge(verifier) {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(verifier))));
}

/** The provider's metadata; `issuer` must be exactly the issuer we asked for (OIDC Discovery §4.3). */
export async function discover(issuer, fetchImpl = fetch) {
  const res = await fetchImpl(`${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`discovery failed: HTTP ${res.status}`);
  const metadata = await res.json();
  if (metadata.issuer !== issuer) throw new Error(`discovery answered for issuer ${metadata.issuer}, expected ${issuer}`);
  return metadata;
}

const ALGORITHMS = {
  ES256: { key: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
  RS256: { key: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } },
};

export function decodeJwt(jwt) {
  const parts = typeof jwt === 'string' ? jwt.split('.') : [];
  if (parts.length !== 3) throw new Error('not a signed JWT');
  const [header, payload] = parts.slice(0, 2).map((p) => JSON.parse(decoder.decode(fromBase64url(p))));
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: fromBase64url(parts[2]) };
}

async function verifySignature(jwt, jwks) {
  const alg = ALGORITHMS[jwt.header.alg];
  if (!alg) throw new Error(`unsupported ID token algorithm ${jwt.header.alg}`);
  const jwk = jwks.keys.find((k) => k.kid === jwt.header.kid);
  if (!jwk) throw new Error(`no key ${jwt.header.kid} in the provider's JWKS`);
  // Only the public members: WebCrypto rejects a JWK whose `alg` or `key_ops` disagree with the usage.
  const { kty, crv, x, y, n, e } = jwk;
  const key = await crypto.subtle.importKey('jwk', { kty, crv, x, y, n, e }, alg.key, false, ['verify']);
  if (!(await crypto.subtle.verify(alg.verify, key, jwt.signature, encoder.encode(jwt.signingInput)))) {
    throw new Error('ID token signature is invalid');
  }
}

/**
 * Validates an ID token (OIDC Core §3.1.3.7): signature against the provider's JWKS, `iss`, `aud`
 * (and `azp` with several audiences), `exp`, and `nonce` when one was sent. Returns the claims.
 */
export async function validateIdToken(idToken, { issuer, clientId, nonce, jwks, now = Date.now(), leewaySeconds = 60 }) {
  const jwt = decodeJwt(idToken);
  await verifySignature(jwt, jwks);
  const claims = jwt.payload;
  if (claims.iss !== issuer) throw new Error(`ID token issuer ${claims.iss} is not ${issuer}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(clientId)) throw new Error('ID token is not meant for this client');
  if (audiences.length > 1 && claims.azp !== clientId) throw new Error('ID token azp is not this client');
  if (typeof claims.exp !== 'number' || claims.exp + leewaySeconds < now / 1000) throw new Error('ID token has expired');
  if (nonce !== undefined && claims.nonce !== nonce) throw new Error('ID token nonce does not match');
  return claims;
}

/** The provider's JWKS; fetched again when a token names a key we have not seen (key rotation). */
export function createKeySet(jwksUri, fetchImpl = fetch) {
  let cached;
  async function load() {
    const res = await fetchImpl(jwksUri, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`JWKS fetch failed: HTTP ${res.status}`);
    cached = await res.json();
    return cached;
  }
  return {
    async forToken(idToken) {
      const { kid } = decodeJwt(idToken).header;
      if (cached?.keys?.some((k) => k.kid === kid)) return cached;
      return load();
    },
  };
}
