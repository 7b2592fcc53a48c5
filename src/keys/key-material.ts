import { createHash, createPrivateKey, generateKeyPair } from 'node:crypto';
import { z } from 'zod';

/**
 * Spec 70 §5: the key set always holds an RSA key (RS256, and PS256 for the clients that ask for it) and a
 * P-256 key (ES256). ID tokens default to RS256 (OIDC Core §15.1).
 */
export const SigningAlgorithm = z.enum(['RS256', 'ES256']);
export type SigningAlgorithm = z.infer<typeof SigningAlgorithm>;
export const SIGNING_ALGORITHMS = SigningAlgorithm.options;
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'RS256';

const RSA_MODULUS_BITS = 2048;

export interface KeyMaterial {
  kid: string;
  algorithm: SigningAlgorithm;
  publicKeyPem: string;
  privateKeyPem: string;
}

// Type aliases (not interfaces) so they fit index-signature types such as node's JsonWebKey.
export type PublicEcJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string; use: 'sig'; alg: 'ES256' };
/**
 * No `alg`: oidc-provider restricts a key that names an algorithm to exactly that one, and the RSA key signs
 * both RS256 and PS256 ID tokens. The engine picks RSA keys for RS256/PS256 and P-256 keys for ES256 by type.
 */
export type PublicRsaJwk = { kty: 'RSA'; n: string; e: string; kid: string; use: 'sig' };
export type PublicJwk = PublicEcJwk | PublicRsaJwk;

/** A private signing key as oidc-provider's `jwks` option takes it. */
export type SigningJwk =
  | (PublicEcJwk & { d: string })
  | (PublicRsaJwk & { d: string; p: string; q: string; dp: string; dq: string; qi: string });

/** Spec 10 §12: the kid is the first 16 hex characters of SHA-256 over the SPKI PEM. */
export const kidOf = (spkiPem: string): string => createHash('sha256').update(spkiPem).digest('hex').slice(0, 16);

const PEM = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;

/** Off the event loop: a 2048-bit RSA key takes tens of milliseconds or more. */
export function generateKeyMaterial(algorithm: SigningAlgorithm): Promise<KeyMaterial> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: string, privateKey: string) =>
      err ? reject(err) : resolve({ kid: kidOf(publicKey), algorithm, publicKeyPem: publicKey, privateKeyPem: privateKey });
    if (algorithm === 'RS256') generateKeyPair('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001, ...PEM }, done);
    else generateKeyPair('ec', { namedCurve: 'P-256', ...PEM }, done);
  });
}

export function toSigningJwk(kid: string, algorithm: string, privateKeyPem: string): SigningJwk {
  const jwk = createPrivateKey(privateKeyPem).export({ format: 'jwk' });
  if (algorithm === 'RS256') {
    const { n, e, d, p, q, dp, dq, qi } = jwk;
    if (jwk.kty !== 'RSA' || !n || !e || !d || !p || !q || !dp || !dq || !qi) throw new Error(`signing key ${kid} is not an RSA key`);
    return { kty: 'RSA', n, e, kid, use: 'sig', d, p, q, dp, dq, qi };
  }
  if (algorithm !== 'ES256' || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) {
    throw new Error(`signing key ${kid} (${algorithm}) is not a P-256 key`);
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d, kid, use: 'sig', alg: 'ES256' };
}

/** Only the public members, in a fixed order; never the private ones. */
export function toPublicJwk(jwk: SigningJwk): PublicJwk {
  if (jwk.kty === 'RSA') return { kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, use: jwk.use };
  return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, use: jwk.use, alg: jwk.alg };
}

/** The algorithm a key is stored under; the RSA key also signs PS256 when a client asks for it. */
export const algorithmOf = (jwk: Pick<SigningJwk, 'kty'>): SigningAlgorithm => (jwk.kty === 'RSA' ? 'RS256' : 'ES256');

/** Algorithms without a key in `keys`: the engine cannot sign those ID tokens. */
export const missingAlgorithms = (keys: ReadonlyArray<Pick<SigningJwk, 'kty'>>): SigningAlgorithm[] =>
  SIGNING_ALGORITHMS.filter((algorithm) => !keys.some((k) => algorithmOf(k) === algorithm));
