/**
 * A software WebAuthn authenticator for tests without a browser: it answers Porta's creation and request
 * options with real P-256 keys, attestation `none` and ES256 signatures, and lets a test bend any part of
 * the answer (origin, RP ID, counter, flags, challenge) to prove each check refuses it.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface CeremonyBend {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** The signature counter to report (default: the authenticator's, incremented per assertion). */
  counter?: number;
  isUserVerified?: boolean;
  /** Send this user handle instead of the one given at registration (null: none). */
  userHandle?: string | null;
}

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
  isBackedUp: boolean;
}

function coseKeyOf(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  return isoCBOR.encode(new Map<number, number | Uint8Array>([
    [1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))], [-3, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
  ]));
}

function flagsOf(o: { isUserVerified: boolean; hasCredential?: boolean; isBackedUp: boolean }): number {
  // UP, UV, BE, BS, AT
  return 0x01 | (o.isUserVerified ? 0x04 : 0) | (o.isBackedUp ? 0x18 : 0) | (o.hasCredential ? 0x40 : 0);
}

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export interface SoftAuthenticator {
  origin: string;
  rpId: string;
  credentials: SoftCredential[];
  /** Answers `navigator.credentials.create()` options (PublicKeyCredentialCreationOptionsJSON). */
  register(options: { challenge: string; user: { id: string } }, bend?: CeremonyBend & { isBackedUp?: boolean }): Record<string, unknown>;
  /** Answers `navigator.credentials.get()` options with the first (or the given) credential. */
  assert(options: { challenge: string }, bend?: CeremonyBend, credential?: SoftCredential): Record<string, unknown>;
}

/** An authenticator for the relying party at `origin` (its RP ID is the host unless bent). */
export function softAuthenticator(origin: string): SoftAuthenticator {
  const rpId = new URL(origin).hostname;
  const credentials: SoftCredential[] = [];
  return {
    origin, rpId, credentials,
    register(options, bend = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = randomBytes(32);
      const isBackedUp = bend.isBackedUp ?? false;
      const credential: SoftCredential = { id, privateKey, userHandle: options.user.id, counter: bend.counter ?? 0, isBackedUp };
      const authData = Buffer.concat([
        sha256(bend.rpId ?? rpId),
        Buffer.from([flagsOf({ isUserVerified: bend.isUserVerified ?? true, hasCredential: true, isBackedUp })]),
        counterBytes(credential.counter),
        Buffer.alloc(16),
        Buffer.from([id.length >> 8, id.length & 0xff]),
        id,
        Buffer.from(coseKeyOf(publicKey)),
      ]);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: bend.type ?? 'webauthn.create', challenge: bend.challenge ?? options.challenge, origin: bend.origin ?? origin, crossOrigin: false }));
      const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
      credentials.push(credential);
      return {
        id: b64url(id), rawId: b64url(id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
        response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), authenticatorData: b64url(authData), transports: ['internal'] },
      };
    },
    assert(options, bend = {}, credential = credentials[0]) {
      if (!credential) throw new Error('the soft authenticator holds no credential');
      if (bend.counter === undefined && credential.counter > 0) credential.counter += 1;
      const counter = bend.counter ?? credential.counter;
      const authData = Buffer.concat([
        sha256(bend.rpId ?? rpId),
        Buffer.from([flagsOf({ isUserVerified: bend.isUserVerified ?? true, isBackedUp: credential.isBackedUp })]),
        counterBytes(counter),
      ]);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: bend.type ?? 'webauthn.get', challenge: bend.challenge ?? options.challenge, origin: bend.origin ?? origin, crossOrigin: false }));
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
      const userHandle = bend.userHandle === undefined ? credential.userHandle : bend.userHandle;
      return {
        id: b64url(credential.id), rawId: b64url(credential.id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
        response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature), ...(userHandle === null ? {} : { userHandle }) },
      };
    },
  };
}
