import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';

export const SIGNING_ALGORITHM = 'ES256';

export interface KeyMaterial {
  kid: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

// Type aliases (not interfaces) so they fit index-signature types such as node's JsonWebKey.
export type PublicJwk = {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  use: 'sig';
  alg: typeof SIGNING_ALGORITHM;
};

/** A private signing key as oidc-provider's `jwks` option takes it. */
export type SigningJwk = PublicJwk & { d: string };

/** Spec 10 §12: the kid is the first 16 hex characters of SHA-256 over the SPKI PEM. */
export const kidOf = (spkiPem: string): string => createHash('sha256').update(spkiPem).digest('hex').slice(0, 16);

export function generateKeyMaterial(): KeyMaterial {
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { kid: kidOf(publicKey), publicKeyPem: publicKey, privateKeyPem: privateKey };
}

export function toSigningJwk(kid: string, privateKeyPem: string): SigningJwk {
  const jwk = createPrivateKey(privateKeyPem).export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y || !jwk.d) throw new Error(`signing key ${kid} is not a P-256 key`);
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d, kid, use: 'sig', alg: SIGNING_ALGORITHM };
}

/** Only the public members, in a fixed order; never `d`. */
export function toPublicJwk({ kty, crv, x, y, kid, use, alg }: SigningJwk): PublicJwk {
  return { kty, crv, x, y, kid, use, alg };
}
