import { z } from 'zod';

/** A passkey as the admin API, the GDPR export and the pages show it: never its public key. */
export interface Passkey {
  id: string;
  name: string | null;
  /** The authenticator model's AAGUID; all zeros when it does not say (attestation `none`). */
  aaguid: string | null;
  /** Synced to a cloud account (backup state): `swk` in the amr; device-bound ones give `hwk`. */
  isBackedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export const PASSKEY_NAME_MAX_LENGTH = 100;

/** An optional label the user gives a passkey ("Work laptop"); blank means none. */
export const PasskeyName = z
  .string()
  .trim()
  .max(PASSKEY_NAME_MAX_LENGTH)
  .transform((name) => (name === '' ? null : name));

export const RenamePasskeyInput = z.strictObject({ name: PasskeyName.nullable() });
export type RenamePasskeyInput = z.input<typeof RenamePasskeyInput>;

/**
 * What a ceremony is for. `sign_in`: a discoverable credential, no user known beforehand; `second_factor`:
 * one of a known user's passkeys after a first factor; `registration`: a new passkey of a known user.
 */
export type CeremonyPurpose = 'sign_in' | 'second_factor' | 'registration';
export const CEREMONY_PURPOSES: readonly CeremonyPurpose[] = ['sign_in', 'second_factor', 'registration'];

/**
 * `required` where the passkey must count as two factors on its own (spec 70 §1: a sign-in that satisfies
 * every policy); `preferred` elsewhere, where the verdict is read from the response's UV flag.
 */
export type UserVerification = 'required' | 'preferred';

/** The WebAuthn response as the browser library serialises it; checked in depth by the verifier. */
export const CeremonyResponse = z.looseObject({
  id: z.string().min(1).max(1400),
  rawId: z.string().min(1).max(1400),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: z.string().min(1).max(20_000) }),
  clientExtensionResults: z.looseObject({}).optional().default({}),
  authenticatorAttachment: z.string().max(50).optional(),
});
export type CeremonyResponse = z.infer<typeof CeremonyResponse>;
