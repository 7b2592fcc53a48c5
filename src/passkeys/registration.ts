import { randomBytes } from 'node:crypto';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Actor } from '../actors/index.js';
import { parseInput } from '../platform/validation.js';
import { CHALLENGE_TTL_SECONDS } from './challenges.js';
import type { Core, Subject } from './core.js';
import { notAccountOwner, passkeyAlreadyRegistered, PasskeyRegistrationRejected, userInactive } from './errors.js';
import { parseAuthenticatorDataHead, parseClientData, relyingPartyName, rpIdHashOf } from './relying-party.js';
import { CeremonyResponse, PasskeyName, type Passkey, type UserVerification } from './schema.js';

const USER_HANDLE_BYTES = 32;

export interface RegistrationStart {
  ceremonyId: string;
  userVerification?: UserVerification;
}

export interface RegistrationFinish {
  ceremonyId: string;
  response: unknown;
  name?: string | null;
}

/** The new passkey, and whether the authenticator verified the user while creating it. */
export interface RegisteredPasskey {
  passkey: Passkey;
  isUserVerified: boolean;
}

/** Spec 70 §1 enrolment: a discoverable credential (resident key required) bound to Porta's RP ID. */
export function createRegistration(core: Core) {
  const { deps, repo, challenges, rp, now, record } = core;

  /**
   * A passkey is added by its owner (signed in, or half-way through a sign-in) or by Porta itself; the
   * ceremony needs the person at the authenticator, so an admin cannot add one for someone else.
   */
  function assertOwner(actor: Actor, s: Subject): void {
    const isOwner = actor.kind === 'account' && actor.userId === s.user.id && actor.organizationId === s.user.organizationId;
    if (!isOwner && actor.kind !== 'system') throw notAccountOwner();
    if (s.user.status !== 'active') throw userInactive();
  }

  async function userHandleOf(s: Subject): Promise<Buffer> {
    const existing = await repo.findUserHandle(s.org.id, s.user.id);
    if (existing) return existing;
    const handle = await repo.ensureUserHandle(s.org.id, s.user.id, randomBytes(USER_HANDLE_BYTES));
    if (!handle) throw userInactive();
    return handle;
  }

  function rejectUnlessBound(response: CeremonyResponse, expectedChallenge: string): void {
    const client = parseClientData(response.response.clientDataJSON);
    if (!client || client.type !== 'webauthn.create') throw new PasskeyRegistrationRejected('malformed_response');
    if (client.challenge !== expectedChallenge) throw new PasskeyRegistrationRejected('challenge_missing');
    if (client.origin !== rp.origin) throw new PasskeyRegistrationRejected('origin_mismatch');
    const authenticatorData = (response.response as { authenticatorData?: unknown }).authenticatorData;
    if (typeof authenticatorData === 'string') {
      const head = parseAuthenticatorDataHead(authenticatorData);
      if (head && !head.rpIdHash.equals(rpIdHashOf(rp.id))) throw new PasskeyRegistrationRejected('rp_id_mismatch');
    }
  }

  return {
    /**
     * The options of `navigator.credentials.create()` for the user, their existing passkeys excluded; the
     * challenge waits in the ephemeral store for this flow.
     */
    async registrationOptions(actor: Actor, orgId: string, userId: string, start: RegistrationStart): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const s = await core.subject(orgId, userId);
      assertOwner(actor, s);
      const userVerification = start.userVerification ?? 'preferred';
      const [handle, existing] = await Promise.all([userHandleOf(s), repo.credentialIdsOf(orgId, userId)]);
      const displayName = [s.user.givenName, s.user.familyName].filter(Boolean).join(' ') || s.user.email;
      const options = await generateRegistrationOptions({
        rpName: relyingPartyName(s.org),
        rpID: rp.id,
        userID: new Uint8Array(handle),
        userName: s.user.email,
        userDisplayName: displayName,
        attestationType: 'none',
        timeout: CHALLENGE_TTL_SECONDS * 1000,
        excludeCredentials: existing.map((c) => ({ id: c.credentialId.toString('base64url'), transports: c.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification },
      });
      await challenges.put({ organizationId: orgId, ceremonyId: start.ceremonyId, purpose: 'registration' }, { challenge: options.challenge, userId, userVerification });
      return options;
    },

    /**
     * Verifies the authenticator's answer to this flow's challenge (used once, whatever the outcome) and
     * stores the passkey; the user gets the factor-change notice. Throws `passkey_registration_rejected`
     * or `passkey_already_registered`.
     */
    async register(actor: Actor, orgId: string, userId: string, finish: RegistrationFinish): Promise<RegisteredPasskey> {
      const s = await core.subject(orgId, userId);
      assertOwner(actor, s);
      const name = parseInput(PasskeyName.nullable().optional(), finish.name) ?? null;
      const pending = await challenges.take({ organizationId: orgId, ceremonyId: finish.ceremonyId, purpose: 'registration' });
      if (!pending || pending.userId !== userId) throw new PasskeyRegistrationRejected('challenge_missing');
      const parsed = CeremonyResponse.safeParse(finish.response);
      if (!parsed.success) throw new PasskeyRegistrationRejected('malformed_response');
      rejectUnlessBound(parsed.data, pending.challenge);
      let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verified = await verifyRegistrationResponse({
          response: parsed.data as unknown as RegistrationResponseJSON,
          expectedChallenge: pending.challenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: pending.userVerification === 'required',
        });
      } catch (err) {
        deps.log.info({ organizationId: orgId, userId, err: (err as Error).message }, 'passkey.registration_rejected');
        const isUvMissing = /user verification/i.test((err as Error).message);
        throw new PasskeyRegistrationRejected(isUvMissing ? 'user_verification_missing' : 'invalid_attestation');
      }
      if (!verified.verified) throw new PasskeyRegistrationRejected('invalid_attestation');
      const info = verified.registrationInfo;
      const credential = {
        credentialId: Buffer.from(info.credential.id, 'base64url'),
        publicKey: Buffer.from(info.credential.publicKey),
        signCount: info.credential.counter,
        transports: (info.credential.transports ?? []).filter((t) => typeof t === 'string').slice(0, 10),
        aaguid: info.aaguid ?? null,
        isBackedUp: info.credentialBackedUp,
        name,
      };
      return deps.db.transaction(async () => {
        const passkey = await repo.insert(orgId, userId, credential, now());
        if (!passkey) throw passkeyAlreadyRegistered();
        await record(actor, orgId, userId, 'user.passkey.registered', {
          passkeyId: passkey.id, aaguid: passkey.aaguid, backedUp: passkey.isBackedUp, userVerified: info.userVerified, transports: passkey.transports,
        });
        await deps.twoFactor().notifyFactorChange(orgId, userId, 'passkey_added', { passkeyName: passkey.name });
        return { passkey, isUserVerified: info.userVerified };
      });
    },
  };
}
