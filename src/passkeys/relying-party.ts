import { createHash } from 'node:crypto';

/**
 * Spec 70 §1: Porta is one WebAuthn relying party for every organization. Its RP ID is the host of
 * ISSUER_BASE_URL and the only origin it accepts is that URL's origin (scheme, host and port). A passkey
 * is bound to the RP ID by the authenticator: moving Porta to another host strands every passkey.
 */
export interface RelyingParty {
  /** `auth.example.com` (no port: WebAuthn RP IDs are hosts). */
  id: string;
  /** `https://auth.example.com` (with a port when the URL names one). */
  origin: string;
}

export function relyingPartyOf(issuerBaseUrl: string): RelyingParty {
  const url = new URL(issuerBaseUrl);
  return { id: url.hostname, origin: url.origin };
}

/** The RP name an authenticator shows: the organization's company name, else its slug. */
export function relyingPartyName(org: { slug: string; branding: { companyName: string | null } }): string {
  return org.branding.companyName ?? org.slug;
}

/** What the browser signed over (WebAuthn §5.8.1), as far as Porta checks it before the library does. */
export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
}

/** Null when it is not the JSON object WebAuthn says it is. */
export function parseClientData(clientDataJSON: string): ClientData | null {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof data !== 'object' || data === null) return null;
    const { type, challenge, origin } = data;
    if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string') return null;
    return { type, challenge, origin };
  } catch {
    return null;
  }
}

/** The fixed head of authenticator data (WebAuthn §6.1): RP ID hash, flags, signature counter. */
export interface AuthenticatorDataHead {
  rpIdHash: Buffer;
  isUserPresent: boolean;
  isUserVerified: boolean;
  isBackupEligible: boolean;
  isBackedUp: boolean;
  signCount: number;
}

export function parseAuthenticatorDataHead(authenticatorData: string): AuthenticatorDataHead | null {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  if (bytes.length < 37) return null;
  const flags = bytes[32]!;
  return {
    rpIdHash: bytes.subarray(0, 32),
    isUserPresent: (flags & 0x01) !== 0,
    isUserVerified: (flags & 0x04) !== 0,
    isBackupEligible: (flags & 0x08) !== 0,
    isBackedUp: (flags & 0x10) !== 0,
    signCount: bytes.readUInt32BE(33),
  };
}

export const rpIdHashOf = (rpId: string) => createHash('sha256').update(rpId).digest();

/**
 * WebAuthn §6.1.1: a signature counter that did not grow means a cloned authenticator, unless both the
 * stored and the presented values are 0 (authenticators without a counter, such as synced passkeys).
 */
export function isCounterRegression(stored: number, presented: number): boolean {
  return (stored > 0 || presented > 0) && presented <= stored;
}
