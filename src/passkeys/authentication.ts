import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { accountActor, anonymousActor, type RequestOrigin } from '../actors/index.js';
import type { User } from '../users/index.js';
import { CHALLENGE_TTL_SECONDS, type CeremonyBinding, type PendingChallenge } from './challenges.js';
import type { Core } from './core.js';
import { PasskeyRejected, userNotFound, type SignInFailure } from './errors.js';
import { isCounterRegression, parseAuthenticatorDataHead, parseClientData, rpIdHashOf, type AuthenticatorDataHead } from './relying-party.js';
import type { StoredCredential } from './repo.js';
import { CeremonyResponse, type Passkey, type UserVerification } from './schema.js';

export interface AuthenticationStart {
  ceremonyId: string;
  purpose: 'sign_in' | 'second_factor';
  /** `second_factor`: the user who passed the first factor; only their passkeys are allowed. */
  userId?: string;
  userVerification?: UserVerification;
}

export interface AuthenticationFinish {
  ceremonyId: string;
  purpose: 'sign_in' | 'second_factor';
  response: unknown;
  /** Where the request came from: the audit entry's actor is built from it once the outcome is known. */
  from: RequestOrigin;
  /** The relying party being signed in to, for the audit entry. */
  clientId?: string | null;
}

/** A verified assertion: who signed in, with which passkey, and what the authenticator said about it. */
export interface PasskeyAssertion {
  user: User;
  passkey: Passkey;
  /** The UV flag: biometrics or a PIN were checked, so the passkey counts as two factors (spec 70 §1). */
  isUserVerified: boolean;
  isBackedUp: boolean;
}

interface Checked {
  pending: PendingChallenge;
  response: CeremonyResponse;
  head: AuthenticatorDataHead;
  stored: StoredCredential;
}

/**
 * Spec 70 §1 sign-in and second factor: the challenge of this flow is taken once, the browser's origin and
 * the RP ID must be Porta's exactly, the credential must be one of this organization's (a passkey of
 * organization A never signs in at B), the signature counter must not go back, and the user must be active.
 */
export function createAuthentication(core: Core) {
  const { deps, repo, challenges, rp, now, record } = core;

  async function refuse(finish: AuthenticationFinish, orgId: string, reason: SignInFailure, userId: string | null, passkeyId: string | null = null): Promise<never> {
    deps.log.info({ organizationId: orgId, reason, purpose: finish.purpose }, 'user.login.passkey.failed');
    await deps.db.transaction(() =>
      record(anonymousActor(finish.from, 'login'), orgId, userId, 'user.login.passkey.failed', {
        reason, purpose: finish.purpose, clientId: finish.clientId ?? null, ...(passkeyId ? { passkeyId } : {}),
      }),
    );
    throw new PasskeyRejected(reason, userId, passkeyId);
  }

  /** Each check in the order a forged or replayed response would meet it; the first failure is the reason. */
  async function check(orgId: string, finish: AuthenticationFinish, binding: CeremonyBinding): Promise<Checked> {
    const pending = await challenges.take(binding);
    if (!pending) return refuse(finish, orgId, 'challenge_missing', null);
    const expectedUser = pending.userId;
    const parsed = CeremonyResponse.safeParse(finish.response);
    if (!parsed.success) return refuse(finish, orgId, 'malformed_response', expectedUser);
    const response = parsed.data;
    const client = parseClientData(response.response.clientDataJSON);
    if (!client) return refuse(finish, orgId, 'malformed_response', expectedUser);
    if (client.type !== 'webauthn.get') return refuse(finish, orgId, 'wrong_ceremony', expectedUser);
    if (client.challenge !== pending.challenge) return refuse(finish, orgId, 'challenge_mismatch', expectedUser);
    if (client.origin !== rp.origin) return refuse(finish, orgId, 'origin_mismatch', expectedUser);
    const authenticatorData = (response.response as { authenticatorData?: unknown }).authenticatorData;
    const head = typeof authenticatorData === 'string' ? parseAuthenticatorDataHead(authenticatorData) : null;
    if (!head) return refuse(finish, orgId, 'malformed_response', expectedUser);
    if (!head.rpIdHash.equals(rpIdHashOf(rp.id))) return refuse(finish, orgId, 'rp_id_mismatch', expectedUser);
    const stored = await repo.findByCredentialId(orgId, Buffer.from(response.rawId, 'base64url'));
    if (!stored) return refuse(finish, orgId, 'unknown_credential', expectedUser);
    if (expectedUser !== null && stored.userId !== expectedUser) return refuse(finish, orgId, 'wrong_user', expectedUser, stored.id);
    if (!(await isUserHandleOf(orgId, stored, response, finish.purpose))) return refuse(finish, orgId, 'user_handle_mismatch', stored.userId, stored.id);
    if (isCounterRegression(stored.signCount, head.signCount)) {
      deps.log.warn({ organizationId: orgId, passkeyId: stored.id, stored: stored.signCount, presented: head.signCount }, 'passkey.counter_regression: possibly a cloned authenticator');
      return refuse(finish, orgId, 'counter_regression', stored.userId, stored.id);
    }
    if (pending.userVerification === 'required' && !head.isUserVerified) return refuse(finish, orgId, 'user_verification_missing', stored.userId, stored.id);
    return { pending, response, head, stored };
  }

  /**
   * A usernameless sign-in names its user only through the user handle, which must be the one Porta gave
   * that user; after a first factor the handle is optional (WebAuthn §7.2 step 6) but must match if sent.
   */
  async function isUserHandleOf(orgId: string, stored: StoredCredential, response: CeremonyResponse, purpose: AuthenticationFinish['purpose']): Promise<boolean> {
    const presented = (response.response as { userHandle?: unknown }).userHandle;
    if (typeof presented !== 'string' || presented === '') return purpose === 'second_factor';
    const handle = await repo.findUserHandle(orgId, stored.userId);
    return handle !== null && handle.equals(Buffer.from(presented, 'base64url'));
  }

  async function verifySignature(c: Checked): Promise<{ newCounter: number; isUserVerified: boolean; isBackedUp: boolean } | null> {
    try {
      const result = await verifyAuthenticationResponse({
        response: c.response as unknown as AuthenticationResponseJSON,
        expectedChallenge: c.pending.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: { id: c.stored.credentialId.toString('base64url'), publicKey: new Uint8Array(c.stored.publicKey), counter: c.stored.signCount, transports: c.stored.transports },
        requireUserVerification: c.pending.userVerification === 'required',
      });
      if (!result.verified) return null;
      const info = result.authenticationInfo;
      return { newCounter: info.newCounter, isUserVerified: info.userVerified, isBackedUp: info.credentialBackedUp };
    } catch {
      return null;
    }
  }

  return {
    /**
     * The options of `navigator.credentials.get()`: no allow list for a usernameless sign-in (the
     * authenticator offers its discoverable credentials), the user's passkeys as a second factor.
     */
    async authenticationOptions(orgId: string, start: AuthenticationStart): Promise<PublicKeyCredentialRequestOptionsJSON> {
      let allow: Array<{ id: string; transports?: string[] }> | undefined;
      if (start.purpose === 'second_factor') {
        if (!start.userId) throw userNotFound();
        const { user } = await core.subject(orgId, start.userId);
        allow = (await repo.credentialIdsOf(orgId, user.id)).map((c) => ({ id: c.credentialId.toString('base64url'), transports: c.transports }));
      }
      const userVerification = start.userVerification ?? 'preferred';
      const options = await generateAuthenticationOptions({ rpID: rp.id, allowCredentials: allow, userVerification, timeout: CHALLENGE_TTL_SECONDS * 1000 });
      await challenges.put(
        { organizationId: orgId, ceremonyId: start.ceremonyId, purpose: start.purpose },
        { challenge: options.challenge, userId: start.userId ?? null, userVerification },
      );
      return options;
    },

    /**
     * Verifies an assertion against this flow's challenge (taken once, whatever the outcome) and records
     * the use: the counter only rises, and of two concurrent assertions with one counter only one passes.
     * Audits `user.login.passkey` (and `2fa.verify.success` as a second factor) or
     * `user.login.passkey.failed` {reason}; throws PasskeyRejected, whose reason the person never sees.
     */
    async authenticate(orgId: string, finish: AuthenticationFinish): Promise<PasskeyAssertion> {
      const binding: CeremonyBinding = { organizationId: orgId, ceremonyId: finish.ceremonyId, purpose: finish.purpose };
      const c = await check(orgId, finish, binding);
      const verified = await verifySignature(c);
      if (!verified) return refuse(finish, orgId, 'invalid_signature', c.stored.userId, c.stored.id);
      const user = await deps.users.findById(orgId, c.stored.userId);
      if (!user || user.status !== 'active') return refuse(finish, orgId, 'user_inactive', c.stored.userId, c.stored.id);
      const at = now();
      const isRecorded = await deps.db.transaction(async () => {
        if (!(await repo.recordUse(orgId, c.stored.id, c.stored.signCount, verified.newCounter, verified.isBackedUp, at))) return false;
        const actor = accountActor(user, finish.from, 'login');
        const metadata = { passkeyId: c.stored.id, userVerified: verified.isUserVerified, backedUp: verified.isBackedUp, purpose: finish.purpose, clientId: finish.clientId ?? null };
        await record(actor, orgId, user.id, 'user.login.passkey', metadata);
        if (finish.purpose === 'second_factor') await record(actor, orgId, user.id, '2fa.verify.success', { method: 'passkey', passkeyId: c.stored.id });
        return true;
      });
      if (!isRecorded) return refuse(finish, orgId, 'counter_regression', user.id, c.stored.id);
      const passkey: Passkey = { ...c.stored, isBackedUp: verified.isBackedUp, lastUsedAt: at.toISOString() };
      return { user, passkey: publicView(passkey), isUserVerified: verified.isUserVerified, isBackedUp: verified.isBackedUp };
    },
  };
}

function publicView(p: Passkey): Passkey {
  return { id: p.id, name: p.name, aaguid: p.aaguid, isBackedUp: p.isBackedUp, transports: p.transports, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt };
}
